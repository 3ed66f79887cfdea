#!/usr/bin/env bash
# The README's main command: set-up, Release build, then `nd demo` (forecast of the embedded
# AirPassengers data against its held-out last year, with an SVG plot in nd_demo.svg).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/build.sh
build/nd demo "$@"
