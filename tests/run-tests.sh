#!/usr/bin/env bash
# `npm test`: starts private Postgres and Redis (installing them when missing) and a real Kubernetes control
# plane (etcd + kube-apiserver, built from Go modules on first use), then runs every suite: Jest (unit,
# integration and end-to-end) and the flagd testbed through cucumber-js, against the core and over OFREP.
# XC_TIER=int (`npm run test:int`) runs the integration suites and the testbed; XC_TIER=e2e (`npm run
# test:e2e`) the end-to-end suites. Prints one closing tally line and exits non-zero when anything failed or
# nothing ran.
set -uo pipefail
cd "$(dirname "$0")/.."

eval "$(tests/services/services.sh up)" || { echo "could not start the test services" >&2; exit 1; }
eval "$(tests/control-plane/control-plane.sh up)" || { echo "could not start the Kubernetes control plane" >&2; exit 1; }
go_tools=$(tests/tools/build-go-tools.sh) || { echo "could not build helm and actionlint" >&2; exit 1; }
export XC_HELM="$go_tools/helm" XC_ACTIONLINT="$go_tools/actionlint"
cleanup() {
  if [ "${XC_CONTROL_PLANE_STARTED:-}" = 1 ]; then tests/control-plane/control-plane.sh down; fi
  if [ "${XC_SERVICES_STARTED:-}" = 1 ]; then tests/services/services.sh down; fi
}
trap cleanup EXIT

results=$(mktemp -d)
status=0
# --forceExit: after every suite has finished and the results are written, Node's own exit cleanup
# (FreeEnvironment -> CleanupHandles) was seen spinning forever on a request that never completes, with no
# handle left open (gdb backtrace; not reproduced with any suite alone). Exiting explicitly skips that cleanup.
node --experimental-vm-modules --no-warnings=ExperimentalWarning node_modules/jest/bin/jest.js \
  --json --outputFile="$results/jest.json" --forceExit "$@" || status=1
reports=("$results/jest.json")
if [ "${XC_TIER:-all}" != e2e ]; then
  npm run --silent test:testbed -- --format "json:$results/testbed-core.json" || status=1
  npm run --silent test:testbed:ofrep -- --format "json:$results/testbed-ofrep.json" || status=1
  reports+=("$results/testbed-core.json" "$results/testbed-ofrep.json")
fi
node tests/support/tally.ts "${reports[@]}" || status=1
exit $status
