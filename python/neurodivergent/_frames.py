"""pandas / polars frames <-> the engine's CSR frames.

The engine wants series sorted by id (byte order of the id text) and time, timestamps as int64
(seconds for datetimes), values as float32 columns. Going back, ids and timestamps regain their
original types and rows follow NeuralForecast's order (by original id, then time).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Sequence

import numpy as np
import pandas as pd

from . import _core

try:  # polars is optional
    import polars as pl
except ImportError:  # pragma: no cover - exercised when polars is absent
    pl = None


def is_polars(df: Any) -> bool:
    return pl is not None and isinstance(df, pl.DataFrame)


def _columns(df: Any) -> list[str]:
    return [str(c) for c in df.columns]


def _col(df: Any, name: str) -> np.ndarray:
    if is_polars(df):
        s = df.get_column(name)
        if s.dtype == pl.Utf8 or s.dtype == pl.Categorical:
            return np.asarray(s.cast(pl.Utf8).to_list(), dtype=object)
        return s.to_numpy()
    return df[name].to_numpy()


def check_frame_type(df: Any, what: str) -> None:
    if isinstance(df, pd.DataFrame) or is_polars(df):
        return
    raise ValueError(f"{what} must be a pandas or polars DataFrame, got {type(df).__name__}")


@dataclass
class TimeInfo:
    """How timestamps looked in the user's frame, to give them back the same way."""

    datetime: bool
    dtype: Any  # numpy dtype of the user's ds column


@dataclass
class IdInfo:
    """The user's ids (in engine order) and whether the engine's text order is the user's order."""

    values: np.ndarray  # original id values, one per engine series, in engine order
    text: list[str]
    natural_order: bool  # True when sorting by the original values gives the engine's order


def _time_to_int(ds: np.ndarray, col: str, what: str) -> tuple[np.ndarray, TimeInfo]:
    if np.issubdtype(ds.dtype, np.datetime64):
        if np.isnat(ds).any():
            raise ValueError(f"{what}: column '{col}' has missing timestamps (NaT)")
        return ds.astype("datetime64[s]").astype(np.int64), TimeInfo(True, ds.dtype)
    if np.issubdtype(ds.dtype, np.integer):
        return ds.astype(np.int64), TimeInfo(False, ds.dtype)
    raise ValueError(f"{what}: column '{col}' must hold datetimes or integers, found dtype {ds.dtype}")


def _ds_column(df: Any, col: str, what: str) -> tuple[np.ndarray, TimeInfo]:
    if not is_polars(df):
        s = df[col]
        if isinstance(s.dtype, pd.DatetimeTZDtype):
            raise ValueError(f"{what}: column '{col}' is time zone-aware; convert it with .dt.tz_localize(None) first")
        return _time_to_int(s.to_numpy(), col, what)
    s = df.get_column(col)
    if s.dtype == pl.Date:
        s = s.cast(pl.Datetime("ms"))
    if isinstance(s.dtype, pl.Datetime) and s.dtype.time_zone is not None:
        raise ValueError(f"{what}: column '{col}' is time zone-aware; convert it with .dt.replace_time_zone(None) first")
    return _time_to_int(s.to_numpy(), col, what)


def time_back(ds: np.ndarray, info: TimeInfo) -> np.ndarray:
    if info.datetime:
        return ds.astype("datetime64[s]").astype(info.dtype)
    return ds.astype(info.dtype)


def _id_text(v: Any) -> str:
    if isinstance(v, (float, np.floating)) and float(v).is_integer():
        return repr(float(v))
    return str(v)


def to_engine(df: Any, what: str, id_col: str, time_col: str, target_col: str | None,
              value_cols: Sequence[str]) -> tuple["_core.Frame", IdInfo, TimeInfo]:
    """A long-format frame -> (engine Frame, id info, time info). target_col (when given) becomes
    the engine's 'y', first; value_cols follow."""
    check_frame_type(df, what)
    have = _columns(df)
    need = [id_col, time_col] + ([target_col] if target_col else []) + list(value_cols)
    missing = [c for c in need if c not in have]
    if missing:
        raise ValueError(f"{what}: missing column(s) {missing}; the frame has {have}")
    if len(df) == 0:
        raise ValueError(f"{what}: the frame has no rows")
    # Factorizing the pandas column directly is ~10x faster than going through a NumPy object
    # array (Arrow-backed strings); missing ids get code -1.
    if is_polars(df):
        codes, uniques = pd.factorize(_col(df, id_col), sort=False)
    else:
        codes, uniques = df[id_col].factorize(sort=False)
    if (codes < 0).any():
        raise ValueError(f"{what}: column '{id_col}' has missing ids")
    uniques = np.asarray(uniques.to_numpy() if hasattr(uniques, "to_numpy") else uniques)
    text = [_id_text(u) for u in uniques]
    if len(set(text)) != len(text):
        raise ValueError(f"{what}: ids in '{id_col}' are not distinct as text")
    text_rank = np.empty(len(text), dtype=np.int64)
    text_rank[np.argsort(np.array(text, dtype=object), kind="stable")] = np.arange(len(text))
    code = text_rank[codes]
    ds, tinfo = _ds_column(df, time_col, what)
    if len(code) > 1 and ((np.diff(code) < 0) | ((np.diff(code) == 0) & (np.diff(ds) < 0))).any():
        order = np.lexsort((ds, code))
        code, ds = code[order], ds[order]
    else:
        order = None
    dup = (np.diff(code) == 0) & (np.diff(ds) == 0)
    if dup.any():
        r = int(np.argmax(dup)) + 1
        uid = uniques[np.argsort(text_rank)][code[r]]
        shown = pd.Timestamp(ds[r], unit="s") if tinfo.datetime else int(ds[r])
        raise ValueError(f"{what}: duplicate rows for {id_col} {uid!r} at {time_col} {shown}")
    counts = np.bincount(code, minlength=len(text))
    indptr = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
    cols = ([target_col] if target_col else []) + list(value_cols)
    values = np.empty((len(cols), len(ds)), dtype=np.float32)
    for i, c in enumerate(cols):
        v = _col(df, c)
        if not (np.issubdtype(v.dtype, np.number) or v.dtype == bool):
            raise ValueError(f"{what}: column '{c}' must be numeric, found dtype {v.dtype}")
        v = v.astype(np.float32)
        values[i] = v if order is None else v[order]
    names = (["y"] if target_col else []) + list(value_cols)
    by_rank = np.argsort(text_rank)
    id_values = uniques[by_rank]
    id_text = [text[k] for k in by_rank]
    try:
        natural = bool(len(id_values) < 2 or (np.diff(np.argsort(id_values, kind="stable")) > 0).all())
    except TypeError:
        natural = True
    frame = _core.Frame(id_text, indptr, np.ascontiguousarray(ds), tinfo.datetime, names, values)
    return frame, IdInfo(id_values, id_text, natural), tinfo


def static_to_engine(static_df: Any, id_col: str, columns: Sequence[str], ids: IdInfo) -> "_core.StaticFrame":
    check_frame_type(static_df, "static_df")
    have = _columns(static_df)
    missing = [c for c in [id_col, *columns] if c not in have]
    if missing:
        raise ValueError(f"static_df: missing column(s) {missing}; the frame has {have}")
    sid = [_id_text(v) for v in _col(static_df, id_col)]
    if len(set(sid)) != len(sid):
        raise ValueError(f"static_df: more than one row for some {id_col}")
    values = np.empty((len(columns), len(sid)), dtype=np.float32)
    for i, c in enumerate(columns):
        v = _col(static_df, c)
        if not (np.issubdtype(v.dtype, np.number) or v.dtype == bool):
            raise ValueError(f"static_df: column '{c}' must be numeric, found dtype {v.dtype}")
        values[i] = v.astype(np.float32)
    return _core.StaticFrame(sid, list(columns), values)


def _make(like_polars: bool, data: dict[str, np.ndarray]) -> Any:
    if like_polars:
        return pl.DataFrame(data)
    return pd.DataFrame(data)


def _id_column(ids: IdInfo, text_ids: Sequence[str], counts: np.ndarray) -> np.ndarray:
    pos = {t: i for i, t in enumerate(ids.text)}
    vals = np.array([ids.values[pos[t]] for t in text_ids], dtype=ids.values.dtype)
    return np.repeat(vals, counts)


def _reorder(data: dict[str, np.ndarray], ids: IdInfo, id_col: str, keys: Sequence[str]) -> dict[str, np.ndarray]:
    if ids.natural_order:
        return data
    order = np.lexsort(tuple(data[k] for k in reversed(keys)))
    return {k: v[order] for k, v in data.items()}


def forecast_from_engine(f: "_core.Frame", ids: IdInfo, tinfo: TimeInfo, id_col: str, time_col: str,
                         like_polars: bool) -> Any:
    counts = np.diff(f.indptr)
    data = {id_col: _id_column(ids, f.ids, counts), time_col: time_back(f.ds, tinfo)}
    for name, col in zip(f.columns, f.values):
        data[name] = col
    return _make(like_polars, _reorder(data, ids, id_col, [id_col, time_col]))


def cv_from_engine(r: "_core.CVResult", ids: IdInfo, tinfo: TimeInfo, id_col: str, time_col: str,
                   target_col: str, like_polars: bool) -> Any:
    data = {id_col: _id_column(ids, r.ids, r.counts), time_col: time_back(r.ds, tinfo),
            "cutoff": time_back(r.cutoff, tinfo)}
    for name, col in zip(r.columns, r.values):
        data[target_col if name == "y" else name] = col
    return _make(like_polars, _reorder(data, ids, id_col, [id_col, "cutoff", time_col]))
