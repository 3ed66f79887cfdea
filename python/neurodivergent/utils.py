"""Datasets and helpers as ``neuralforecast.utils`` has them."""
from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["AirPassengers", "AirPassengersDF", "AirPassengersPanel", "PredictionIntervals", "DEFAULT_QUANTILE_GRID",
           "gaussian_copula_sample", "schaake_shuffle_sample"]

DEFAULT_QUANTILE_GRID = [round(q / 100, 2) for q in range(1, 100)]

# Monthly international airline passengers (thousands), 1949-1960 (Box & Jenkins).
AirPassengers = np.array(
    [112, 118, 132, 129, 121, 135, 148, 148, 136, 119, 104, 118, 115, 126, 141, 135, 125, 149, 170, 170, 158, 133,
     114, 140, 145, 150, 178, 163, 172, 178, 199, 199, 184, 162, 146, 166, 171, 180, 193, 181, 183, 218, 230, 242,
     209, 191, 172, 194, 196, 196, 236, 235, 229, 243, 264, 272, 237, 211, 180, 201, 204, 188, 235, 227, 234, 264,
     302, 293, 259, 229, 203, 229, 242, 233, 267, 269, 270, 315, 364, 347, 312, 274, 237, 278, 284, 277, 317, 313,
     318, 374, 413, 405, 355, 306, 271, 306, 315, 301, 356, 348, 355, 422, 465, 467, 404, 347, 305, 336, 340, 318,
     362, 348, 363, 435, 491, 505, 404, 359, 310, 337, 360, 342, 406, 396, 420, 472, 548, 559, 463, 407, 362, 405,
     417, 391, 419, 461, 472, 535, 622, 606, 508, 461, 390, 432],
    dtype=np.float32)

# As neuralforecast.utils.AirPassengersDF: unique_id 1.0, month-end timestamps.
AirPassengersDF = pd.DataFrame({
    "unique_id": np.ones(len(AirPassengers)),
    "ds": pd.date_range(start="1949-01-31", periods=len(AirPassengers), freq=pd.offsets.MonthEnd()),
    "y": AirPassengers,
})


def _panel() -> pd.DataFrame:
    # As neuralforecast.utils.AirPassengersPanel: the series and a shifted copy, with a trend and
    # a future exogenous month-of-year column.
    a = AirPassengersDF.copy()
    a["unique_id"] = "Airline1"
    b = AirPassengersDF.copy()
    b["unique_id"] = "Airline2"
    b["y"] = b["y"] + 300
    df = pd.concat([a, b], ignore_index=True)
    df["trend"] = np.arange(len(df))
    df["y_[lag12]"] = df.groupby("unique_id")["y"].shift(12).fillna(df["y"])
    return df


AirPassengersPanel = _panel()


class PredictionIntervals:
    """Conformal prediction intervals set-up, as ``neuralforecast.utils.PredictionIntervals``.

    Given to ``NeuralForecast.fit(prediction_intervals=...)`` (or ``cross_validation``), it makes
    ``predict(level=...)`` / ``predict(quantiles=...)`` work for point models: the conformity
    scores are the absolute errors of a cross-validation with ``n_windows`` windows
    ``step_size`` apart.

    Parameters
    ----------
    n_windows : int
        Calibration windows (at least 2).
    method : str
        "conformal_distribution" (quantiles of forecast +- every score) or "conformal_error"
        (the forecast +- quantiles of the scores).
    step_size : int
        Steps between the calibration windows.
    """

    def __init__(self, n_windows: int = 2, method: str = "conformal_distribution", step_size: int = 1):
        if n_windows < 2:
            raise ValueError("You need at least two windows to compute conformal intervals")
        allowed_methods = ["conformal_error", "conformal_distribution"]
        if method not in allowed_methods:
            raise ValueError(f"method must be one of {allowed_methods}")
        if step_size < 1:
            raise ValueError("step_size must be at least 1")
        self.n_windows = int(n_windows)
        self.method = method
        self.step_size = int(step_size)

    def __repr__(self) -> str:
        return (f"PredictionIntervals(n_windows={self.n_windows}, method='{self.method}', "
                f"step_size={self.step_size})")

    def _engine(self):
        from . import _core
        return _core.PredictionIntervals(self.n_windows, self.method, self.step_size)


def _sample(method, quantile_positions, quantile_values, y_hist, n_paths, seed):
    from . import _core
    xp = np.asarray(quantile_positions, dtype=np.float32).ravel()
    qv = np.asarray(quantile_values, dtype=np.float32)
    if qv.ndim != 3 or qv.shape[2] != len(xp):
        raise ValueError(f"quantile_values must be [n_series, H, {len(xp)}], got shape {qv.shape}")
    hist = [np.asarray(y, dtype=np.float32).ravel().tolist() for y in y_hist]
    if len(hist) != qv.shape[0]:
        raise ValueError(f"y_hist has {len(hist)} series, quantile_values {qv.shape[0]}")
    return _core.sample_paths(xp.tolist(), qv.ravel().tolist(), qv.shape[0], qv.shape[1], hist,
                              [str(i) for i in range(qv.shape[0])], int(n_paths), 1 if seed is None else int(seed),
                              method)


def gaussian_copula_sample(quantile_positions, quantile_values, y_hist, n_paths, seed=None):
    """Sample paths [n_series, n_paths, H] from quantile forecasts [n_series, H, Q] joined by an
    AR(1) Gaussian copula, as ``neuralforecast.utils.gaussian_copula_sample`` (numpy arrays in and
    out; ``seed=None`` is seed 1)."""
    return _sample("gaussian_copula", quantile_positions, quantile_values, y_hist, n_paths, seed)


def schaake_shuffle_sample(quantile_positions, quantile_values, y_hist, n_paths, seed=None):
    """Independent marginal draws reordered by the ranks of historical windows, as
    ``neuralforecast.utils.schaake_shuffle_sample``."""
    return _sample("schaake_shuffle", quantile_positions, quantile_values, y_hist, n_paths, seed)
