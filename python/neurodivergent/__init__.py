"""neurodivergent: neural time-series forecasting with NeuralForecast's API on a C++ engine.

Switch from NeuralForecast by changing the imports::

    from neurodivergent import NeuralForecast
    from neurodivergent.models import NHITS, LSTM
    from neurodivergent.losses.pytorch import MAE, MQLoss
"""
from ._core import get_num_threads, set_num_threads
from .core import NeuralForecast

__version__ = "0.1.0"
__all__ = ["NeuralForecast", "set_num_threads", "get_num_threads", "__version__"]
