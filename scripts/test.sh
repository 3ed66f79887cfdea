#!/usr/bin/env bash
# The README's test command: set-up, Release build, and the whole test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/build.sh
# Test processes run in parallel, one per core; each uses one thread so their OpenMP pools do not
# spin against each other (tests that exercise threading set the count themselves).
ND_NUM_THREADS=1 ctest --test-dir build --output-on-failure -j"$(nproc)"
