"""Losses with NeuralForecast's names: ``from neurodivergent.losses.pytorch import MAE, MQLoss``
(as in ``neuralforecast.losses.pytorch``) or ``from neurodivergent.losses import MAE``."""
from .pytorch import MAE, MAPE, MASE, MSE, RMSE, SMAPE, BaseLoss, HuberLoss, MQLoss, QuantileLoss

__all__ = ["BaseLoss", "MAE", "MSE", "RMSE", "MAPE", "SMAPE", "MASE", "HuberLoss", "QuantileLoss", "MQLoss"]
