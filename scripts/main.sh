#!/usr/bin/env bash
# The README's main command. Until the forecasting layer lands this is the engine benchmark
# summary: our kernels, training steps and inference next to PyTorch 2.13 measured in the same run.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh --with-torch
scripts/build.sh
python3 bench/run_engine_bench.py "$@"
