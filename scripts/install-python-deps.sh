#!/usr/bin/env bash
# Installs what the Python package's build and tests need (idempotent): the build backend and
# nanobind, numpy / pandas / polars / pytest, and the parity peers: torch 2.13.0 (CPU build) and
# neuralforecast 3.3.0, pinned together so that the resolver can never pull another torch.
set -euo pipefail
cd "$(dirname "$0")/.."
PIP="python3 -m pip install -q --disable-pip-version-check"
pins=$(mktemp)
trap 'rm -f "$pins"' EXIT
echo "torch==2.13.0" > "$pins"
python3 -c "import torch; assert torch.__version__.startswith('2.13.0')" 2>/dev/null || $PIP torch==2.13.0
$PIP -c "$pins" "scikit-build-core>=0.10" "nanobind>=2.0" numpy pandas polars pytest safetensors matplotlib \
  "neuralforecast==3.3.0" 2>&1 | grep -v "Running pip as the 'root' user" || true
python3 -c "import torch, neuralforecast; assert torch.__version__.startswith('2.13.0'), torch.__version__"
