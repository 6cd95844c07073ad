#!/usr/bin/env bash
# `npm test`: starts private Postgres and Redis (installing them when missing) and a real Kubernetes control
# plane (etcd + kube-apiserver, built from Go modules on first use), then runs every suite: Jest (unit,
# integration and end-to-end) and the flagd testbed through cucumber-js, against the core and over OFREP.
# XC_TIER=int (`npm run test:int`) runs the integration suites and the testbed; XC_TIER=e2e (`npm run
# test:e2e`) the end-to-end suites. The full and e2e runs then run TLS_E2E_SUITES once more against a second
# Postgres and Redis that speak only TLS (services.sh with XC_SERVICES_TLS=1: sslmode=verify-full, rediss://,
# certificates made by openssl for the run). Prints one closing tally line and exits non-zero when anything
# failed or nothing ran.
set -uo pipefail
cd "$(dirname "$0")/.."

eval "$(tests/services/services.sh up)" || { echo "could not start the test services" >&2; exit 1; }
eval "$(tests/control-plane/control-plane.sh up)" || { echo "could not start the Kubernetes control plane" >&2; exit 1; }
go_tools=$(tests/tools/build-go-tools.sh) || { echo "could not build helm and actionlint" >&2; exit 1; }
export XC_HELM="$go_tools/helm" XC_ACTIONLINT="$go_tools/actionlint"
# The end-to-end suites that exercise both apps against Postgres and Redis (propagation through Redis, the chaos
# cases, a cold start from Redis, a Sentinel failover), run again over TLS: about 5 minutes on this machine.
TLS_E2E_SUITES=(tests/e2e/propagation.e2e.test.ts tests/e2e/chaos.e2e.test.ts tests/e2e/cold-start.e2e.test.ts
  tests/e2e/sentinel-failover.e2e.test.ts)
services_dir=${XC_SERVICES_DIR:-${TMPDIR:-/tmp}/exclusive-change-services-$(id -u)}
tls_services_dir="$services_dir-tls"
tls_started=0
cleanup() {
  if [ "$tls_started" = 1 ]; then XC_SERVICES_DIR="$tls_services_dir" tests/services/services.sh down; fi
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
if [ "${XC_TIER:-all}" = all ] || [ "${XC_TIER:-all}" = e2e ] && [ $# -eq 0 ]; then
  if tls_env=$(XC_SERVICES_DIR="$tls_services_dir" XC_SERVICES_TLS=1 tests/services/services.sh up); then
    tls_started=1
    # a subshell: the TLS exports (DATABASE_ADMIN_URL, REDIS_URL, the CA files) stay in this pass
    (
      eval "$tls_env"
      XC_TIER=e2e node --experimental-vm-modules --no-warnings=ExperimentalWarning node_modules/jest/bin/jest.js \
        --json --outputFile="$results/jest-tls.json" --forceExit "${TLS_E2E_SUITES[@]}"
    ) || status=1
    reports+=("$results/jest-tls.json")
  else
    echo "could not start the TLS test services" >&2
    status=1
  fi
fi
node tests/support/tally.ts "${reports[@]}" || status=1
exit $status
