#!/usr/bin/env bash
# The README's test command: set-up, Release build, and the whole test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/build.sh
ctest --test-dir build --output-on-failure -j"$(nproc)"
