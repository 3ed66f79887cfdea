"""Losses with NeuralForecast's names: ``from neurodivergent.losses.pytorch import MAE, MQLoss``
(as in ``neuralforecast.losses.pytorch``) or ``from neurodivergent.losses import MAE``."""
from .pytorch import (GMM, MAE, MAPE, MASE, MSE, NBMM, PMM, RMSE, SMAPE, BaseLoss, DistributionLoss, HuberLoss, MQLoss,
                      QuantileLoss)

__all__ = ["BaseLoss", "MAE", "MSE", "RMSE", "MAPE", "SMAPE", "MASE", "HuberLoss", "QuantileLoss", "MQLoss",
           "DistributionLoss", "GMM", "PMM", "NBMM"]
