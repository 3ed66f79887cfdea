"""Shared pieces of the NeuralForecast parity suite: skip cleanly when NeuralForecast (and the
torch it needs) is absent; CI installs torch==2.13.0 and neuralforecast, so there it runs."""
import os
import warnings

import pytest

warnings.filterwarnings("ignore")
os.environ.setdefault("PYTORCH_LIGHTNING_DISABLE_LOGGING", "1")

torch = pytest.importorskip("torch")
pytest.importorskip("neuralforecast")
