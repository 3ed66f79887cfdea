"""Training and validation losses with NeuralForecast's names and arguments
(``neuralforecast.losses.pytorch``). They describe the loss; the engine computes it (masked, with
horizon weights, NeuralForecast 3.3's semantics and output column names)."""
from __future__ import annotations

from typing import Any, Optional, Sequence

__all__ = ["BaseLoss", "MAE", "MSE", "RMSE", "MAPE", "SMAPE", "MASE", "HuberLoss", "QuantileLoss", "MQLoss"]


def _weights(horizon_weight: Any) -> Optional[list[float]]:
    if horizon_weight is None:
        return None
    try:
        import numpy as np

        return [float(w) for w in np.asarray(horizon_weight, dtype=float).ravel()]
    except Exception as e:  # noqa: BLE001 - re-raised with context
        raise ValueError(f"horizon_weight must be a sequence of numbers, got {horizon_weight!r}") from e


class BaseLoss:
    """A loss as the engine knows it: a name plus NeuralForecast's constructor arguments."""

    def __init__(self, horizon_weight: Optional[Sequence[float]] = None) -> None:
        self.horizon_weight = _weights(horizon_weight)

    def to_config(self) -> dict[str, Any]:
        """The engine's JSON form, e.g. ``{"name": "MQLoss", "level": [80, 90]}``."""
        cfg: dict[str, Any] = {"name": type(self).__name__}
        if self.horizon_weight is not None:
            cfg["horizon_weight"] = self.horizon_weight
        return cfg

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.to_config().items() if k != "name")
        return f"{type(self).__name__}({args})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, BaseLoss) and self.to_config() == other.to_config()


class MAE(BaseLoss):
    """Mean absolute error."""


class MSE(BaseLoss):
    """Mean squared error."""


class RMSE(BaseLoss):
    """Root mean squared error."""


class MAPE(BaseLoss):
    """Mean absolute percentage error."""


class SMAPE(BaseLoss):
    """Symmetric mean absolute percentage error (NeuralForecast's definition, in [0, 2])."""


class MASE(BaseLoss):
    """Mean absolute scaled error against the seasonal naive of the input window."""

    def __init__(self, seasonality: int, horizon_weight: Optional[Sequence[float]] = None) -> None:
        super().__init__(horizon_weight)
        if int(seasonality) < 1:
            raise ValueError(f"MASE: seasonality must be >= 1, got {seasonality}")
        self.seasonality = int(seasonality)

    def to_config(self) -> dict[str, Any]:
        return {**super().to_config(), "seasonality": self.seasonality}


class HuberLoss(BaseLoss):
    """Huber loss: squared below ``delta``, linear above."""

    def __init__(self, delta: float = 1.0, horizon_weight: Optional[Sequence[float]] = None) -> None:
        super().__init__(horizon_weight)
        self.delta = float(delta)

    def to_config(self) -> dict[str, Any]:
        return {**super().to_config(), "delta": self.delta}


class QuantileLoss(BaseLoss):
    """Pinball loss of one quantile ``q`` in (0, 1)."""

    def __init__(self, q: float, horizon_weight: Optional[Sequence[float]] = None) -> None:
        super().__init__(horizon_weight)
        if not 0.0 < float(q) < 1.0:
            raise ValueError(f"QuantileLoss: q must be in (0, 1), got {q}")
        self.q = float(q)

    def to_config(self) -> dict[str, Any]:
        return {**super().to_config(), "q": self.q}


class MQLoss(BaseLoss):
    """Multi-quantile loss: the median plus the ``level`` prediction intervals (or explicit
    ``quantiles``); forecasts get NeuralForecast's ``-median`` / ``-lo-X`` / ``-hi-X`` columns."""

    def __init__(self, level: Optional[Sequence[float]] = [80, 90],
                 quantiles: Optional[Sequence[float]] = None,
                 horizon_weight: Optional[Sequence[float]] = None) -> None:
        super().__init__(horizon_weight)
        self.level = None if level is None else [float(x) for x in level]
        self.quantiles = None if quantiles is None else [float(q) for q in quantiles]
        if self.quantiles is not None and any(not 0.0 < q < 1.0 for q in self.quantiles):
            raise ValueError(f"MQLoss: quantiles must be in (0, 1), got {self.quantiles}")
        if self.level is not None and any(not 0.0 <= x < 100.0 for x in self.level):
            raise ValueError(f"MQLoss: levels must be in [0, 100), got {self.level}")

    def to_config(self) -> dict[str, Any]:
        cfg = super().to_config()
        if self.quantiles is not None:
            cfg["quantiles"] = self.quantiles
        else:
            cfg["level"] = self.level if self.level is not None else [80.0, 90.0]
        return cfg


_BY_NAME = {c.__name__.lower(): c for c in (MAE, MSE, RMSE, MAPE, SMAPE, MASE, HuberLoss, QuantileLoss, MQLoss)}


def from_config(cfg: Any) -> BaseLoss:
    """The inverse of :meth:`BaseLoss.to_config` (configs read back from the engine)."""
    if isinstance(cfg, str):
        cfg = {"name": cfg}
    cls = _BY_NAME[str(cfg["name"]).lower()]
    kwargs = {k: v for k, v in cfg.items() if k != "name"}
    if cls is MQLoss and "quantiles" in kwargs:
        kwargs.pop("level", None)
    return cls(**kwargs)
