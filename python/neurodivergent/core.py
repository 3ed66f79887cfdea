"""``NeuralForecast``: NeuralForecast's orchestrator API on the C++ engine.

Same constructor, methods, arguments, defaults and output frames as
``neuralforecast.NeuralForecast``; pandas in gives pandas out, polars in gives polars out.
Training and forecasting run in C++ with the GIL released; Ctrl-C stops training at the next step.
"""
from __future__ import annotations

import json
import os
from typing import Any, Optional, Sequence, Union

import numpy as np
import pandas as pd

from . import _core, _frames
from ._frames import _id_column, time_back
from .models import BaseModel, model_class
from .utils import PredictionIntervals

DataFrame = Any  # pandas.DataFrame or polars.DataFrame

_META = "python_meta.json"


def _freq_alias(freq: Union[str, int, Any]) -> str:
    """pandas offset / alias / int -> the engine's alias ("MS", "h", "15min", "1")."""
    if isinstance(freq, (int, np.integer)) and not isinstance(freq, bool):
        if freq < 1:
            raise ValueError(f"freq must be a positive integer step or a pandas alias, got {freq}")
        return str(int(freq))
    if hasattr(freq, "freqstr"):
        freq = freq.freqstr
    if not isinstance(freq, str):
        raise ValueError(f"freq must be a pandas frequency alias or an integer, got {freq!r}")
    base = freq
    # Anchored aliases: the engine's W is any weekday, its Q / Y ends and starts follow the data.
    for anchored in ("W-", "Q-", "QE-", "QS-", "Y-", "YE-", "YS-", "A-", "AS-"):
        if freq.upper().startswith(anchored.upper()) or any(
                freq[i:].upper().startswith(anchored.upper()) and freq[:i].isdigit() for i in range(1, 4)):
            base = freq.split("-")[0]
            break
    return base


def _not_supported(name: str, value: Any, ok: Any = None) -> None:
    if value is not ok and value != ok:
        raise ValueError(f"argument '{name}' is not supported by neurodivergent (got {value!r})")


class NeuralForecast:
    """Train neural forecasting models on many series and forecast them.

    Parameters
    ----------
    models : list of neurodivergent.models instances
        The models to train (NHITS, LSTM, ...); their forecasts get one column each (the alias or
        the class name).
    freq : str or int
        pandas frequency alias of the data ("MS", "ME", "h", "D", "W", "15min", ...) or, for integer
        timestamps, the step between them.
    local_scaler_type : str, optional
        Per-series scaling of the target and exogenous columns before training, inverted on the
        forecasts: "standard", "robust", "robust-iqr", "minmax" (or None).
    local_static_scaler_type : None
        Not supported (NeuralForecast's scaling of static features).
    """

    def __init__(self, models: Sequence[BaseModel], freq: Union[str, int], local_scaler_type: Optional[str] = None,
                 local_static_scaler_type: Optional[str] = None) -> None:
        if isinstance(models, BaseModel):
            models = [models]
        models = list(models)
        if not models:
            raise ValueError("models: give at least one model")
        for i, m in enumerate(models):
            if not isinstance(m, BaseModel):
                mod = type(m).__module__
                hint = " (import it from neurodivergent.models)" if mod.startswith("neuralforecast") else ""
                raise ValueError(f"models[{i}] is a {mod}.{type(m).__name__}, not a neurodivergent model{hint}")
        _not_supported("local_static_scaler_type", local_static_scaler_type)
        self.models: list[BaseModel] = models
        self.models_init = list(models)
        self.freq = freq
        self.local_scaler_type = local_scaler_type
        self._freq_alias = _freq_alias(freq)
        self._engine = self._new_engine()
        self._ids: Optional[_frames.IdInfo] = None
        self._time: Optional[_frames.TimeInfo] = None
        self._cols = ("unique_id", "ds", "y")
        self._polars = False
        self._fitted = False
        self.prediction_intervals = None

    # ---- helpers -----------------------------------------------------------------------------
    def _new_engine(self) -> "_core.Engine":
        specs = [(type(m).__name__, json.dumps(m._engine_kwargs())) for m in self.models]
        engine = _core.Engine(specs, self._freq_alias, self.local_scaler_type or "")
        self._link(self.models, engine)
        return engine

    @staticmethod
    def _link(models: Sequence[BaseModel], engine: "_core.Engine") -> None:
        """Each model learns where its engine model lives (TFT's interpretability methods read it)."""
        for k, m in enumerate(models):
            m.__dict__["_nd_link"] = (engine, k)

    def _exog(self, kind: str) -> list[str]:
        cols: list[str] = []
        for m in self.models:
            for c in getattr(m, kind) or []:
                if c not in cols:
                    cols.append(c)
        return cols

    def _verbose(self) -> bool:
        return all(m.enable_progress_bar for m in self.models)

    def _frame(self, df: DataFrame, what: str, with_target: bool = True):
        id_col, time_col, target_col = self._cols
        value_cols = [c for c in self._exog("hist_exog_list") + self._exog("futr_exog_list")]
        return _frames.to_engine(df, what, id_col, time_col, target_col if with_target else None, value_cols)

    def _static(self, static_df: Optional[DataFrame], ids: _frames.IdInfo) -> Optional["_core.StaticFrame"]:
        stat = self._exog("stat_exog_list")
        if static_df is None:
            if stat:
                raise ValueError(f"models use static exogenous variables {stat}: pass static_df")
            return None
        return _frames.static_to_engine(static_df, self._cols[0], stat, ids)

    def _prepare(self, df: DataFrame, static_df: Optional[DataFrame], use_init_models: bool,
                 cols: tuple[str, str, str]):
        """Training data for fit / cross_validation. As in NeuralForecast, models continue from
        their current weights unless use_init_models asks for the models as first given."""
        if use_init_models:
            self.models = list(self.models_init)
            self._engine = self._new_engine()
        self._cols = cols
        frame, ids, tinfo = self._frame(df, "df")
        stat = self._static(static_df, ids)
        self._engine.verbose = self._verbose()
        self._ids, self._time, self._polars = ids, tinfo, _frames.is_polars(df)
        return frame, stat

    def _forecast_inputs(self, df: Optional[DataFrame], static_df: Optional[DataFrame],
                         futr_df: Optional[DataFrame]):
        """predict / simulate inputs as the engine takes them (None: the fit data), with the id and
        time information and the frame kind of the result."""
        id_col, time_col, _ = self._cols
        ids, tinfo, frame, like_polars = self._ids, self._time, None, self._polars
        if df is not None:
            frame, ids, tinfo = self._frame(df, "df")
            like_polars = _frames.is_polars(df)
        stat = self._static(static_df, ids) if static_df is not None else None
        futr = None
        if futr_df is not None:
            futr, _, _ = _frames.to_engine(futr_df, "futr_df", id_col, time_col, None, self._exog("futr_exog_list"))
        return frame, stat, futr, ids, tinfo, like_polars

    @staticmethod
    def _intervals(level: Any, quantiles: Any) -> tuple[list[float], list[float]]:
        """NeuralForecast's level / quantiles arguments, checked, as the engine takes them."""
        if level is not None and quantiles is not None:
            raise ValueError("You can't set both level and quantiles.")
        lv = [] if level is None else [float(x) for x in level]
        qs = [] if quantiles is None else [float(q) for q in quantiles]
        bad_l = [x for x in lv if not 0.0 < x < 100.0]
        if bad_l:
            raise ValueError(f"level must be in (0, 100), got {bad_l}")
        bad_q = [q for q in qs if not 0.0 < q < 1.0]
        if bad_q:
            raise ValueError(f"quantiles must be in (0, 1), got {bad_q}")
        return lv, qs

    # ---- NeuralForecast API ------------------------------------------------------------------
    def fit(self, df: Optional[DataFrame] = None, static_df: Optional[DataFrame] = None, val_size: Optional[int] = 0,
            val_df: Optional[DataFrame] = None, use_init_models: bool = False, verbose: bool = False,
            id_col: str = "unique_id", time_col: str = "ds", target_col: str = "y",
            distributed_config: Any = None, prediction_intervals: Any = None) -> None:
        """Train every model on ``df`` (long format: id, time, target and exogenous columns).
        The last ``val_size`` values of each series are held out for validation and early stopping."""
        if df is None:
            raise ValueError("fit: df is required (neurodivergent keeps no dataset between calls)")
        for name, value in (("val_df", val_df), ("distributed_config", distributed_config)):
            _not_supported(name, value)
        pi = _prediction_intervals(prediction_intervals)
        frame, stat = self._prepare(df, static_df, use_init_models, (id_col, time_col, target_col))
        self._engine.fit(frame, int(val_size or 0), stat, pi)
        self.prediction_intervals = prediction_intervals
        self._fitted = True

    def predict(self, df: Optional[DataFrame] = None, static_df: Optional[DataFrame] = None,
                futr_df: Optional[DataFrame] = None, verbose: bool = False, engine: Any = None,
                level: Optional[list[Union[int, float]]] = None, quantiles: Optional[list[float]] = None,
                h: Optional[int] = None, **data_kwargs: Any) -> DataFrame:
        """Forecast the next ``h`` steps after each series of ``df`` (default: the fit data).
        Models with future exogenous variables need ``futr_df`` with those columns for the ``h``
        timestamps after each series."""
        self._require_fitted("predict")
        lv, qs = self._intervals(level, quantiles)
        _not_supported("engine", engine)
        if data_kwargs:
            raise ValueError(f"predict: unsupported argument(s) {sorted(data_kwargs)}")
        if h is not None and any(int(h) != m.h for m in self.models):
            raise ValueError(f"predict: h={h} differs from the models' horizon; neurodivergent forecasts the trained h")
        id_col, time_col, _ = self._cols
        frame, stat, futr, ids, tinfo, like_polars = self._forecast_inputs(df, static_df, futr_df)
        out = self._engine.predict(frame, stat, futr, lv, qs)
        return _frames.forecast_from_engine(out, ids, tinfo, id_col, time_col, like_polars)

    def cross_validation(self, df: Optional[DataFrame] = None, static_df: Optional[DataFrame] = None,
                         n_windows: Optional[int] = 1, step_size: int = 1, val_size: Optional[int] = 0,
                         test_size: Optional[int] = None, use_init_models: bool = False, use_fitted: bool = False,
                         verbose: bool = False, refit: Union[bool, int] = False, id_col: str = "unique_id",
                         time_col: str = "ds", target_col: str = "y", prediction_intervals: Any = None,
                         level: Optional[list[Union[int, float]]] = None, quantiles: Optional[list[float]] = None,
                         h: Optional[int] = None, **data_kwargs: Any) -> DataFrame:
        """Rolling-origin evaluation: ``n_windows`` forecasts whose cutoffs are ``step_size`` apart,
        the last one ``h`` steps before the end of each series (or give ``test_size`` with
        ``n_windows=None``). Columns: id, time, cutoff, one per model output, then the target."""
        if df is None:
            raise ValueError("cross_validation: df is required")
        lv, qs = self._intervals(level, quantiles)
        pi = _prediction_intervals(prediction_intervals)
        if pi is not None:
            if not lv and not qs:
                raise ValueError("When passing prediction_intervals you need to set the level or quantiles argument.")
            if not refit:
                raise ValueError("Passing prediction_intervals is only supported with refit=True.")
        _not_supported("use_fitted", use_fitted, False)
        if data_kwargs:
            raise ValueError(f"cross_validation: unsupported argument(s) {sorted(data_kwargs)}")
        if not isinstance(refit, bool):
            raise ValueError(f"cross_validation: refit must be True or False (refit every k windows is not supported), "
                             f"got {refit!r}")
        if h is not None and any(int(h) != m.h for m in self.models):
            raise ValueError(f"cross_validation: h={h} differs from the models' horizon")
        if n_windows is None and test_size is None:
            raise ValueError("cross_validation: give n_windows or test_size")
        if n_windows is not None and test_size is not None:
            raise ValueError("cross_validation: give n_windows or test_size, not both")
        frame, stat = self._prepare(df, static_df, use_init_models, (id_col, time_col, target_col))
        res = self._engine.cross_validation(frame, int(n_windows or 0), int(step_size), int(val_size or 0),
                                            int(test_size or 0), bool(refit), stat, lv, qs, pi)
        self.prediction_intervals = prediction_intervals
        self._fitted = True
        return _frames.cv_from_engine(res, self._ids, self._time, id_col, time_col, target_col, self._polars)

    def simulate(self, df: Optional[DataFrame] = None, static_df: Optional[DataFrame] = None,
                 futr_df: Optional[DataFrame] = None, n_paths: int = 100, quantiles: Optional[list[float]] = None,
                 seed: Optional[int] = None, method: str = "gaussian_copula", verbose: bool = False,
                 engine: Any = None, **data_kwargs: Any) -> DataFrame:
        """``n_paths`` temporally coherent sample paths of the next ``h`` steps per series and model
        (NeuralForecast 3.3's ``simulate``): marginals from each model's quantile forecasts at
        ``quantiles`` (default 0.01, ..., 0.99; multi-quantile losses use their own, point models
        their conformal quantiles), joined by a Gaussian copula with each series' AR(1) correlation
        (``"gaussian_copula"``) or reordered by historical templates (``"schaake_shuffle"``).
        Columns: id, time, ``sample_id``, one per model. ``seed=None`` uses seed 1 (the engine is
        deterministic; NeuralForecast's would draw fresh randomness)."""
        self._require_fitted("simulate")
        _not_supported("engine", engine)
        if data_kwargs:
            raise ValueError(f"simulate: unsupported argument(s) {sorted(data_kwargs)}")
        if not isinstance(n_paths, (int, np.integer)) or isinstance(n_paths, bool) or n_paths < 1:
            raise ValueError(f"`n_paths` must be a positive integer, got {n_paths!r}.")
        if method not in ("gaussian_copula", "schaake_shuffle"):
            raise ValueError(f"Unknown simulation method '{method}'. Valid methods: ['gaussian_copula', 'schaake_shuffle']")
        _, qs = self._intervals(None, quantiles)
        id_col, time_col, _ = self._cols
        frame, stat, futr, ids, tinfo, like_polars = self._forecast_inputs(df, static_df, futr_df)
        sim = self._engine.simulate(frame, stat, futr, int(n_paths), qs, 1 if seed is None else int(seed), method)
        S, P, h = len(sim.ids), sim.n_paths, sim.h
        one = _id_column(ids, sim.ids, np.full(S, h, dtype=np.int64))
        data = {id_col: np.tile(one, P), time_col: time_back(np.tile(np.asarray(sim.ds), P), tinfo),
                "sample_id": np.repeat(np.arange(P, dtype=np.int64), S * h)}
        for name, col in zip(sim.columns, sim.values):
            data[name] = col
        if not ids.natural_order:
            order = np.lexsort((np.tile(np.arange(S * h), P), data[id_col], data["sample_id"]))
            data = {k: v[order] for k, v in data.items()}
        return _frames._make(like_polars, data)

    def predict_insample(self, step_size: int = 1, level: Optional[list[Union[int, float]]] = None,
                         quantiles: Optional[list[float]] = None) -> DataFrame:
        """Forecasts of the fitted models over their training data (windows ``step_size`` apart),
        with the actuals; columns as cross_validation's."""
        self._require_fitted("predict_insample")
        lv, qs = self._intervals(level, quantiles)
        res = self._engine.predict_insample(int(step_size), lv, qs)
        id_col, time_col, target_col = self._cols
        return _frames.cv_from_engine(res, self._ids, self._time, id_col, time_col, target_col, self._polars)

    def make_future_dataframe(self, df: Optional[DataFrame] = None, h: Optional[int] = None) -> DataFrame:
        """The id and time columns of the ``h`` steps after each series (fill in future exogenous
        values and pass it as ``futr_df``)."""
        h = int(h if h is not None else self.models[0].h)
        if df is not None:
            frame, ids, tinfo = self._frame(df, "df", with_target=False)
            like_polars = _frames.is_polars(df)
        else:
            self._require_fitted("make_future_dataframe")
            frame, ids, tinfo, like_polars = None, self._ids, self._time, self._polars
        ts = self._engine.future_times(frame, h)
        id_col, time_col, _ = self._cols
        counts = np.full(len(ts.ids), h, dtype=np.int64)
        data = {id_col: _frames._id_column(ids, ts.ids, counts), time_col: _frames.time_back(ts.ds, tinfo)}
        data = _frames._reorder(data, ids, id_col, [id_col, time_col])
        return _frames._make(like_polars, data)

    def get_missing_future(self, futr_df: DataFrame, df: Optional[DataFrame] = None, h: Optional[int] = None) -> DataFrame:
        """The rows of ``make_future_dataframe`` that ``futr_df`` lacks."""
        expected = self.make_future_dataframe(df, h)
        id_col, time_col, _ = self._cols
        if _frames.is_polars(expected):
            return expected.join(futr_df.select([id_col, time_col]), on=[id_col, time_col], how="anti")
        merged = expected.merge(futr_df[[id_col, time_col]].drop_duplicates(), on=[id_col, time_col], how="left",
                                indicator=True)
        return merged.loc[merged["_merge"] == "left_only", [id_col, time_col]].reset_index(drop=True)

    def save(self, path: str, model_index: Optional[list[int]] = None, save_dataset: bool = True,
             overwrite: bool = False) -> None:
        """Save the fitted models and their fit data into directory ``path`` (weights as
        safetensors, configs as JSON); ``NeuralForecast.load(path)`` gives bit-identical forecasts."""
        self._require_fitted("save")
        _not_supported("model_index", model_index)
        _not_supported("save_dataset", save_dataset, True)
        self._engine.save(str(path), bool(overwrite))
        meta = {"id_col": self._cols[0], "time_col": self._cols[1], "target_col": self._cols[2],
                "id_dtype": str(self._ids.values.dtype), "time_dtype": str(self._time.dtype), "freq": self.freq,
                "local_scaler_type": self.local_scaler_type,
                "enable_progress_bar": [m.enable_progress_bar for m in self.models]}
        tmp = os.path.join(str(path), _META + ".tmp")
        with open(tmp, "w") as f:
            json.dump(meta, f)
        os.replace(tmp, os.path.join(str(path), _META))

    @staticmethod
    def load(path: str, verbose: bool = False, **kwargs: Any) -> "NeuralForecast":
        """Load what ``save`` (or the ``nd`` command line tool) wrote."""
        engine = _core.Engine.load(str(path))
        meta_path = os.path.join(str(path), _META)
        meta: dict[str, Any] = {}
        if os.path.exists(meta_path):
            with open(meta_path) as f:
                meta = json.load(f)
        models = []
        for cfg in engine.configs():
            c = json.loads(cfg)
            config = {k: v for k, v in c["config"].items() if v is not None}
            models.append(model_class(c["class"])(**config))
        for m, bar in zip(models, meta.get("enable_progress_bar", [])):
            m.enable_progress_bar = bar
        self = NeuralForecast.__new__(NeuralForecast)
        self.models, self.models_init = models, list(models)
        self.freq = meta.get("freq", engine.freq)
        self.local_scaler_type = meta.get("local_scaler_type")
        self._freq_alias = engine.freq
        self._engine = engine
        NeuralForecast._link(models, engine)
        self._cols = (meta.get("id_col", "unique_id"), meta.get("time_col", "ds"), meta.get("target_col", "y"))
        train = engine.train_frame()
        id_dtype = np.dtype(meta.get("id_dtype", "object"))
        values = np.array([_text_to_id(t, id_dtype) for t in train.ids], dtype=id_dtype)
        try:
            natural = bool(len(values) < 2 or (np.diff(np.argsort(values, kind="stable")) > 0).all())
        except TypeError:
            natural = True
        self._ids = _frames.IdInfo(values, list(train.ids), natural)
        time_dtype = np.dtype(meta.get("time_dtype", "datetime64[ns]" if train.datetime else "int64"))
        self._time = _frames.TimeInfo(train.datetime, time_dtype)
        self._polars = False
        self._fitted = True
        pi = engine.prediction_intervals
        self.prediction_intervals = (None if pi is None else
                                     PredictionIntervals(pi.n_windows, pi.method, pi.step_size))
        return self

    @property
    def _cs_df(self) -> Optional[DataFrame]:
        """The conformity scores of the last calibration, as NeuralForecast's ``_cs_df``: one row
        per (series, calibration window, step), one column per point model (absolute errors).
        Unlike NeuralForecast's it carries the id column but not ds / cutoff."""
        if not self._fitted or self.prediction_intervals is None:
            return None
        id_col = self._cols[0]
        data: dict[str, Any] = {}
        for m in self.models:
            alias = m.alias or type(m).__name__
            sc = np.asarray(self._engine.conformity_scores(alias))
            if sc.size == 0:
                continue
            if id_col not in data:
                data[id_col] = np.repeat(self._ids.values, sc.shape[1] * sc.shape[2])
            data[alias] = sc.reshape(-1)
        return pd.DataFrame(data) if data else None

    def _require_fitted(self, what: str) -> None:
        if not self._fitted:
            raise ValueError(f"{what}() before fit(): call fit(df) first")

    def __repr__(self) -> str:
        return f"NeuralForecast(models=[{', '.join(map(repr, self.models))}], freq={self.freq!r})"


def _prediction_intervals(pi: Any) -> Optional["_core.PredictionIntervals"]:
    """fit / cross_validation's prediction_intervals as the engine takes it."""
    if pi is None:
        return None
    if isinstance(pi, PredictionIntervals):
        return pi._engine()
    if type(pi).__name__ == "PredictionIntervals" and hasattr(pi, "n_windows"):  # neuralforecast.utils' own
        return PredictionIntervals(pi.n_windows, pi.method, getattr(pi, "step_size", 1))._engine()
    raise ValueError(f"prediction_intervals must be a neurodivergent.utils.PredictionIntervals, got {type(pi).__name__}")


def _text_to_id(text: str, dtype: np.dtype) -> Any:
    if dtype.kind == "f":
        return float(text)
    if dtype.kind in "iu":
        return int(text)
    return text
