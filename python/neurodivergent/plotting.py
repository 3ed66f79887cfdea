"""Plot history, forecasts and prediction intervals (matplotlib, optional)."""
from __future__ import annotations

from typing import Any, Optional, Sequence

import numpy as np
import pandas as pd

from . import _frames


def _to_pandas(df: Any) -> Optional[pd.DataFrame]:
    if df is None or isinstance(df, pd.DataFrame):
        return df
    if _frames.is_polars(df):
        return pd.DataFrame({c: df.get_column(c).to_numpy() for c in df.columns})
    raise ValueError(f"expected a pandas or polars DataFrame, got {type(df).__name__}")


def plot_series(df: Any = None, forecasts_df: Any = None, ids: Optional[Sequence[Any]] = None,
                models: Optional[Sequence[str]] = None, level: Optional[Sequence[float]] = None,
                max_ids: int = 8, max_insample_length: Optional[int] = None, id_col: str = "unique_id",
                time_col: str = "ds", target_col: str = "y", ax: Any = None) -> Any:
    """History (``df``) and forecasts (``forecasts_df``, e.g. ``nf.predict()``) of up to
    ``max_ids`` series, one panel each; ``level`` shades the ``-lo-X`` / ``-hi-X`` intervals.
    Returns the matplotlib figure."""
    try:
        import matplotlib.pyplot as plt
    except ImportError as e:  # pragma: no cover - depends on the environment
        raise ValueError("plot_series needs matplotlib (pip install matplotlib)") from e
    df, forecasts_df = _to_pandas(df), _to_pandas(forecasts_df)
    if df is None and forecasts_df is None:
        raise ValueError("plot_series: give df and/or forecasts_df")
    base = df if df is not None else forecasts_df
    all_ids = list(pd.unique(base[id_col]))
    ids = list(ids) if ids is not None else all_ids[:max_ids]
    if forecasts_df is not None and models is None:
        models = [c for c in forecasts_df.columns
                  if c not in (id_col, time_col, "cutoff", target_col) and "-lo-" not in c and "-hi-" not in c]
    n = len(ids)
    if ax is None:
        fig, axes = plt.subplots(n, 1, figsize=(10, 2.6 * n), squeeze=False)
        axes = axes[:, 0]
    else:
        axes, fig = np.atleast_1d(ax), np.atleast_1d(ax)[0].figure
    for a, uid in zip(axes, ids):
        if df is not None:
            h = df[df[id_col] == uid]
            if max_insample_length:
                h = h.tail(max_insample_length)
            a.plot(h[time_col], h[target_col], color="black", lw=1, label=target_col)
        if forecasts_df is not None:
            f = forecasts_df[forecasts_df[id_col] == uid]
            for m in models or []:
                line = a.plot(f[time_col], f[m], lw=1.2, label=m)[0]
                base_name = m[: -len("-median")] if m.endswith("-median") else m
                for lv in sorted(level or [], reverse=True):
                    lo, hi = f"{base_name}-lo-{lv}", f"{base_name}-hi-{lv}"
                    if lo in f.columns and hi in f.columns:
                        a.fill_between(f[time_col], f[lo], f[hi], color=line.get_color(), alpha=0.15,
                                       label=f"{base_name} {lv}%")
        a.set_title(str(uid), fontsize=9)
        a.legend(fontsize=7, loc="upper left")
    fig.tight_layout()
    return fig


__all__ = ["plot_series"]
