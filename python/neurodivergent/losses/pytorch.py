"""Training and validation losses with NeuralForecast's names and arguments
(``neuralforecast.losses.pytorch``). They describe the loss; the engine computes it (masked, with
horizon weights, NeuralForecast 3.3's semantics and output column names)."""
from __future__ import annotations

from typing import Any, Optional, Sequence

__all__ = ["BaseLoss", "MAE", "MSE", "RMSE", "MAPE", "SMAPE", "MASE", "HuberLoss", "QuantileLoss", "MQLoss",
           "HuberQLoss", "HuberMQLoss", "TukeyLoss", "relMSE", "sCRPS", "Accuracy", "DistributionLoss", "GMM", "PMM",
           "NBMM"]


def _weights(horizon_weight: Any) -> Optional[list[float]]:
    if horizon_weight is None:
        return None
    try:
        import numpy as np

        return [float(w) for w in np.asarray(horizon_weight, dtype=float).ravel()]
    except Exception as e:  # noqa: BLE001 - re-raised with context
        raise ValueError(f"horizon_weight must be a sequence of numbers, got {horizon_weight!r}") from e


def _with_quantiles(cfg: dict[str, Any], level: Optional[list[float]], quantiles: Optional[list[float]]) -> dict[str, Any]:
    """cfg plus the explicit quantiles, else the levels (default [80, 90])."""
    if quantiles is not None:
        cfg["quantiles"] = quantiles
    else:
        cfg["level"] = level if level is not None else [80.0, 90.0]
    return cfg


class BaseLoss:
    """A loss as the engine knows it: a name plus NeuralForecast's constructor arguments."""

    is_distribution_output = False

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
        return _with_quantiles(super().to_config(), self.level, self.quantiles)


class HuberQLoss(BaseLoss):
    """Huberized quantile loss: ``q`` weighs under-forecasts, ``1 - q`` over-forecasts, with Huber's
    quadratic zone of width ``delta`` (NeuralForecast's ``HuberQLoss``; column suffix ``_q{q}_d{delta}``)."""

    def __init__(self, q: float, delta: float = 1.0, horizon_weight: Optional[Sequence[float]] = None) -> None:
        super().__init__(horizon_weight)
        if not 0.0 < float(q) < 1.0:
            raise ValueError(f"HuberQLoss: q must be in (0, 1), got {q}")
        self.q, self.delta = float(q), float(delta)

    def to_config(self) -> dict[str, Any]:
        return {**super().to_config(), "q": self.q, "delta": self.delta}


class HuberMQLoss(MQLoss):
    """Huberized multi-quantile loss (NeuralForecast's ``HuberMQLoss``): MQLoss's outputs and
    columns, each quantile's pinball loss huberized with ``delta``."""

    def __init__(self, level: Optional[Sequence[float]] = [80, 90], quantiles: Optional[Sequence[float]] = None,
                 delta: float = 1.0, horizon_weight: Optional[Sequence[float]] = None) -> None:
        super().__init__(level, quantiles, horizon_weight)
        self.delta = float(delta)

    def to_config(self) -> dict[str, Any]:
        return {**super().to_config(), "delta": self.delta}


class TukeyLoss(BaseLoss):
    """Tukey's biweight loss with threshold ``c`` (NeuralForecast's ``TukeyLoss``, computed as
    NeuralForecast 3.3 computes it; see the engine's losses.h)."""

    def __init__(self, c: float = 4.685, normalize: bool = True) -> None:
        super().__init__(None)
        self.c, self.normalize = float(c), bool(normalize)

    def to_config(self) -> dict[str, Any]:
        return {"name": "TukeyLoss", "c": self.c, "normalize": self.normalize}


class relMSE(BaseLoss):  # noqa: N801 - NeuralForecast's name
    """Relative MSE against a benchmark forecast. As in NeuralForecast, models refuse it as loss
    and valid_loss."""

    def __init__(self, y_train: Any = None, horizon_weight: Optional[Sequence[float]] = None) -> None:
        if y_train is not None:
            raise ValueError("relMSE: y_train is deprecated (NeuralForecast raises too)")
        super().__init__(horizon_weight)


class sCRPS(BaseLoss):  # noqa: N801 - NeuralForecast's name
    """Scaled CRPS of quantile forecasts, a valid_loss for models trained with a distribution loss
    of the same quantiles (NeuralForecast refuses it for training)."""

    def __init__(self, level: Optional[Sequence[float]] = [80, 90], quantiles: Optional[Sequence[float]] = None) -> None:
        super().__init__(None)
        self.level, self.quantiles = _levels(level, quantiles, "sCRPS")

    def to_config(self) -> dict[str, Any]:
        return _with_quantiles({"name": "sCRPS"}, self.level, self.quantiles)


class Accuracy(BaseLoss):
    """Share of forecasts equal to the target, a validation metric (not trainable)."""

    def __init__(self) -> None:
        super().__init__(None)


def _levels(level: Any, quantiles: Any, who: str) -> tuple[Optional[list[float]], Optional[list[float]]]:
    lv = None if level is None else [float(x) for x in level]
    qs = None if quantiles is None else [float(q) for q in quantiles]
    if qs is not None and any(not 0.0 < q < 1.0 for q in qs):
        raise ValueError(f"{who}: quantiles must be in (0, 1), got {qs}")
    if qs is None and lv is not None and any(not 0.0 < x < 100.0 for x in lv):
        raise ValueError(f"{who}: levels must be in (0, 100), got {lv}")
    return lv, qs


class DistributionLoss(BaseLoss):
    """Negative log-likelihood of a parametric distribution whose parameters the network outputs
    (NeuralForecast's ``DistributionLoss``): ``distribution`` is one of Normal, StudentT, Poisson,
    NegativeBinomial, Tweedie (pass ``rho`` in (1, 2)) or Bernoulli. Forecasts are the mean of
    ``num_samples`` draws plus the ``level`` intervals' (or ``quantiles``') quantiles of the draws;
    ``return_params=True`` adds the distribution's parameters as columns. ISQF is not supported yet."""

    _DISTRIBUTIONS = ("Normal", "StudentT", "Poisson", "NegativeBinomial", "Tweedie", "Bernoulli")
    is_distribution_output = True

    def __init__(self, distribution: str, level: Optional[Sequence[float]] = [80, 90],
                 quantiles: Optional[Sequence[float]] = None, num_samples: int = 1000, return_params: bool = False,
                 horizon_weight: Optional[Sequence[float]] = None, **distribution_kwargs: Any) -> None:
        super().__init__(horizon_weight)
        if distribution == "ISQF":
            raise ValueError("DistributionLoss: distribution 'ISQF' is not supported by neurodivergent yet")
        if distribution not in self._DISTRIBUTIONS:
            raise ValueError(f"DistributionLoss: {distribution} not available; expected one of {self._DISTRIBUTIONS}")
        unknown = set(distribution_kwargs) - ({"rho"} if distribution == "Tweedie" else set())
        if unknown:
            raise ValueError(f"DistributionLoss({distribution}): unsupported argument(s) {sorted(unknown)}")
        if distribution == "Tweedie" and "rho" not in distribution_kwargs:
            raise ValueError("DistributionLoss(distribution='Tweedie') needs rho, the variance power in (1, 2)")
        self.distribution = distribution
        self.level, self.quantiles = _levels(level, quantiles, "DistributionLoss")
        self.num_samples = int(num_samples)
        self.return_params = bool(return_params)
        self.distribution_kwargs = dict(distribution_kwargs)

    def to_config(self) -> dict[str, Any]:
        cfg = {**super().to_config(), "distribution": self.distribution, "num_samples": self.num_samples,
               "return_params": self.return_params}
        _with_quantiles(cfg, self.level, self.quantiles)
        if "rho" in self.distribution_kwargs:
            cfg["rho"] = float(self.distribution_kwargs["rho"])
        return cfg


class _Mixture(BaseLoss):
    is_distribution_output = True
    _correlation = True

    def __init__(self, n_components: int, level: Optional[Sequence[float]], quantiles: Optional[Sequence[float]],
                 num_samples: int, return_params: bool, batch_correlation: bool, horizon_correlation: bool,
                 weighted: bool) -> None:
        super().__init__(None)
        who = type(self).__name__
        if int(n_components) < 1:
            raise ValueError(f"{who}: n_components must be >= 1, got {n_components}")
        self.n_components = int(n_components)
        self.level, self.quantiles = _levels(level, quantiles, who)
        self.num_samples = int(num_samples)
        self.return_params = bool(return_params)
        self.batch_correlation = bool(batch_correlation)
        self.horizon_correlation = bool(horizon_correlation)
        self.weighted = bool(weighted)

    def to_config(self) -> dict[str, Any]:
        cfg = {**super().to_config(), "n_components": self.n_components, "num_samples": self.num_samples,
               "return_params": self.return_params, "weighted": self.weighted}
        if self._correlation:
            cfg["batch_correlation"] = self.batch_correlation
            cfg["horizon_correlation"] = self.horizon_correlation
        return _with_quantiles(cfg, self.level, self.quantiles)


class GMM(_Mixture):
    """Gaussian mixture (NeuralForecast's ``GMM``): ``n_components`` normals, equally weighted or with
    learned weights (``weighted=True``); ``batch_correlation`` / ``horizon_correlation`` share the
    mixture assignment across the windows of a batch / the steps of a window."""

    def __init__(self, n_components: int = 1, level: Optional[Sequence[float]] = [80, 90],
                 quantiles: Optional[Sequence[float]] = None, num_samples: int = 1000, return_params: bool = False,
                 batch_correlation: bool = False, horizon_correlation: bool = False, weighted: bool = False) -> None:
        super().__init__(n_components, level, quantiles, num_samples, return_params, batch_correlation,
                         horizon_correlation, weighted)


class PMM(_Mixture):
    """Poisson mixture (NeuralForecast's ``PMM``), arguments as ``GMM``'s."""

    def __init__(self, n_components: int = 10, level: Optional[Sequence[float]] = [80, 90],
                 quantiles: Optional[Sequence[float]] = None, num_samples: int = 1000, return_params: bool = False,
                 batch_correlation: bool = False, horizon_correlation: bool = False, weighted: bool = False) -> None:
        super().__init__(n_components, level, quantiles, num_samples, return_params, batch_correlation,
                         horizon_correlation, weighted)


class NBMM(_Mixture):
    """Negative binomial mixture (NeuralForecast's ``NBMM``). As in NeuralForecast 3.3, its means
    scale with the window scaler's location (``scaler_type='identity'`` gives them location 0)."""

    _correlation = False

    def __init__(self, n_components: int = 1, level: Optional[Sequence[float]] = [80, 90],
                 quantiles: Optional[Sequence[float]] = None, num_samples: int = 1000, return_params: bool = False,
                 weighted: bool = False) -> None:
        super().__init__(n_components, level, quantiles, num_samples, return_params, False, False, weighted)


_BY_NAME = {c.__name__.lower(): c for c in (MAE, MSE, RMSE, MAPE, SMAPE, MASE, HuberLoss, QuantileLoss, MQLoss,
                                            HuberQLoss, HuberMQLoss, TukeyLoss, relMSE, sCRPS, Accuracy,
                                            DistributionLoss, GMM, PMM, NBMM)}


def from_config(cfg: Any) -> BaseLoss:
    """The inverse of :meth:`BaseLoss.to_config` (configs read back from the engine)."""
    if isinstance(cfg, str):
        cfg = {"name": cfg}
    cls = _BY_NAME[str(cfg["name"]).lower()]
    kwargs = {k: v for k, v in cfg.items() if k != "name"}
    if "quantiles" in kwargs and kwargs["quantiles"] is not None:
        kwargs.pop("level", None)
    return cls(**kwargs)
