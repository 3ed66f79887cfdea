#!/usr/bin/env bash
# Installs the Debian packages the build, tests and benchmarks need (idempotent).
# Usage: scripts/install-deps.sh [--with-torch]   (--with-torch adds the PyTorch 2.13 CPU peer)
set -euo pipefail
SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
pkgs=(cmake ninja-build g++ pkg-config libopenblas-openmp-dev libhwy-dev nlohmann-json3-dev
      libcli11-dev libkissfft-dev libdnnl-dev libgtest-dev libgmock-dev libbenchmark-dev python3)
missing=()
for p in "${pkgs[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
if [ ${#missing[@]} -gt 0 ]; then
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi
if [ "${1:-}" = "--with-torch" ]; then
  python3 -c "import torch; assert torch.__version__.startswith('2.13.0')" 2>/dev/null \
    || python3 -m pip install -q torch==2.13.0
fi
