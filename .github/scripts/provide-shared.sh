#!/usr/bin/env bash
# On GitHub runners there is no ../shared beside the checkout (the folder our machines share: design notes,
# test vectors, the flagd testbed). Recreate what the tests read from it: the rollout vectors from the copy in
# tests/vectors/, and flagd's testbed from its public repository at the commit our copy came from.
set -euo pipefail
cd "$(dirname "$0")/../.."
shared=../shared
TESTBED_COMMIT=82ba89e

mkdir -p "$shared/vectors"
[ -f "$shared/vectors/rollout-md5.json" ] || cp tests/vectors/rollout-md5.json "$shared/vectors/"
if [ ! -d "$shared/peer-suites/flagd-testbed/evaluator" ]; then
  scratch=$(mktemp -d)
  git clone -q https://github.com/open-feature/flagd-testbed.git "$scratch/flagd-testbed"
  git -C "$scratch/flagd-testbed" checkout -q "$TESTBED_COMMIT"
  mkdir -p "$shared/peer-suites/flagd-testbed"
  cp -r "$scratch/flagd-testbed/evaluator" "$shared/peer-suites/flagd-testbed/"
  echo "Fetched by .github/scripts/provide-shared.sh from open-feature/flagd-testbed at commit $TESTBED_COMMIT, folder evaluator/." \
    >"$shared/peer-suites/flagd-testbed/SOURCE.md"
  rm -rf "$scratch"
fi
echo "shared: $(cd "$shared" && pwd)"
