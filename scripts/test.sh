#!/usr/bin/env bash
# The README's test command: set-up, Release build, the C++ test suite (ctest), then the Python
# package (`pip install .` into this Python) and its tests, including the parity suite against
# NeuralForecast.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/build.sh
# Test processes run in parallel, one per core; each uses one thread so their OpenMP pools do not
# spin against each other (tests that exercise threading set the count themselves).
ND_NUM_THREADS=1 ctest --test-dir build --output-on-failure -j"$(nproc)"

scripts/install-python-deps.sh
# pip install . reusing build/ (already compiled above): the same CMake project with the Python
# extension switched on; the other targets stay configured as scripts/build.sh left them.
python3 -m pip install -q --disable-pip-version-check --no-build-isolation --no-deps . \
  -C build-dir=build -C cmake.define.ND_BUILD_TESTS=ON -C cmake.define.ND_BUILD_BENCHMARKS=ON \
  -C cmake.define.ND_BUILD_CLI=ON 2>&1 | grep -v "Running pip as the 'root' user" || true
# From outside the source tree, so that the installed package is what gets imported.
(cd tests && ND_NUM_THREADS=1 python3 -m pytest -q -p no:cacheprovider --rootdir=. python parity)
