#!/usr/bin/env bash
# Regenerates the README's picture of the console (docs/images/console-flags-table.png): runs the console's
# browser suite against the real stack, which saves its screenshots to tests/console/screenshots/, and copies
# the flags table's. `npm run screenshot:readme`; the picture is never edited by hand.
set -euo pipefail
cd "$(dirname "$0")/../.."
XC_TIER=e2e bash tests/run-tests.sh tests/console/console.e2e.test.ts
mkdir -p docs/images
cp tests/console/screenshots/flags-table.png docs/images/console-flags-table.png
echo "docs/images/console-flags-table.png regenerated"
