"""Goldens for the forecasting layer, written to tests/golden/forecast.json.

boxcox: NeuralForecast 3.3's local_scaler_type="boxcox" is coreforecast's
        LocalBoxCoxScaler(method="loglik", lower=0.0) (neuralforecast/core.py, _type2scaler); we
        run that scaler, as NeuralForecast does, on float32 data: per-series lambdas, transformed
        values and the inverse, for hand-made edge cases and for every M3 monthly training series
        (read by the test from the shared data directory).

naive2: the M4 competition's Naive2 benchmark, written here from the organizers' R code
        ("Benchmarks and Evaluation.R", github.com/M4Competition/M4-methods: SeasonalityTest with
        R's acf and ACF(1) squared, decompose(type="multiplicative"), naive on the adjusted series,
        re-seasonalized), in numpy, independently of the C++; when statsmodels is importable its
        acf and seasonal_decompose (same definitions as R's) are checked against ours. Applied to
        the last 18 months of every 40th M3 monthly series (history: the rest), with sMAPE, MASE
        (m = 12) and OWA of the seasonal naive forecast, per series and overall as M4 reports it.

Run: python3 tests/golden/make_forecast_goldens.py   (needs coreforecast, neuralforecast, pandas)
"""
import json
import os
import sys

import numpy as np
import pandas as pd

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "forecast.json")
DATA = os.path.join(HERE, "..", "..", "..", "shared", "data")


def boxcox_scaler():
    import neuralforecast.core as nfc
    return nfc._type2scaler["boxcox"]()  # exactly what NeuralForecast instantiates


def boxcox_fit(series):
    from coreforecast.grouped_array import GroupedArray
    values = np.concatenate(series).astype(np.float32)
    indptr = np.cumsum([0] + [len(s) for s in series]).astype(np.int32)
    ga = GroupedArray(values, indptr)
    sc = boxcox_scaler().fit(ga)
    z = sc.transform(ga)
    back = sc.inverse_transform(GroupedArray(z, indptr))
    return values, indptr, sc.stats_[:, 0], z, back


def boxcox_cases():
    rng = np.random.RandomState(7)
    air = pd.read_csv(os.path.join(DATA, "air_passengers.csv"))["y"].to_numpy()
    series = {
        "air_passengers": air,
        "lognormal": np.exp(rng.randn(60) * 0.5 + 3.0),
        "linear_trend": np.arange(1, 41, dtype=np.float64) * 2.5,
        "with_zeros": np.array([0.0, 1.0, 2.0, 3.0, 0.0, 5.0, 4.0]),
        "constant": np.full(12, 5.0),
        "single": np.array([7.0]),
        "two": np.array([3.0, 9.0]),
        "small_values": rng.rand(30) * 1e-3 + 1e-4,
        "large_values": rng.rand(30) * 1e6 + 1e5,
    }
    names = list(series)
    values, indptr, lambdas, z, back = boxcox_fit([series[k] for k in names])
    cases = {"names": names, "values": values.tolist(), "indptr": indptr.tolist(), "lambda": lambdas.tolist(),
             "z": z.tolist(), "inverse": back.tolist()}
    # Out-of-sample transforms as predict uses them: a model output z mapped back, incl. z < -1/lambda.
    zs = np.array([-3.0, -1.0, -0.2, 0.0, 0.7, 2.5, 10.0], dtype=np.float32)
    from coreforecast.grouped_array import GroupedArray
    sc = boxcox_scaler()
    sc.stats_ = np.array([[0.5, 0.0], [1.5, 0.0], [0.05, 0.0]], dtype=np.float32)
    zz = np.concatenate([zs] * 3)
    ip = np.array([0, 7, 14, 21], dtype=np.int32)
    cases["inverse_lambdas"] = [0.5, 1.5, 0.05]
    cases["inverse_z"] = zs.tolist()
    cases["inverse_out"] = sc.inverse_transform(GroupedArray(zz, ip)).tolist()
    xs = np.array([-2.0, 0.0, 0.5, 3.0, 100.0], dtype=np.float32)
    cases["forward_x"] = xs.tolist()
    cases["forward_out"] = sc.transform(GroupedArray(np.concatenate([xs] * 3), np.array([0, 5, 10, 15], np.int32))).tolist()
    # Every M3 monthly training series (float32, file order of first appearance).
    m3 = pd.read_csv(os.path.join(DATA, "m3", "m3_monthly_train.csv"))
    ids = list(dict.fromkeys(m3["unique_id"]))
    groups = [m3.loc[m3["unique_id"] == u, "y"].to_numpy() for u in ids]
    _, _, m3_lambdas, _, _ = boxcox_fit(groups)
    cases["m3_monthly_ids"] = ids
    cases["m3_monthly_lambda"] = m3_lambdas.tolist()
    # coreforecast's error for negative values, for the record.
    try:
        boxcox_fit([np.array([1.0, -1.0, 2.0])])
        cases["negative_error"] = ""
    except ValueError as e:
        cases["negative_error"] = str(e)
    return cases


def r_acf(x, max_lag):
    """R's acf(x)$acf[-1]: lags 1..max_lag, biased (sum of products / sum of squares)."""
    d = x - x.mean()
    den = np.sum(d * d)
    return np.array([np.sum(d[k:] * d[:-k]) / den for k in range(1, max_lag + 1)])


def m4_seasonality_test(x, m):
    """SeasonalityTest in M4-methods' 'Benchmarks and Evaluation.R'."""
    n = len(x)
    if m <= 1 or n < 3 * m:
        return False
    max_lag = min(int(np.floor(10 * np.log10(n))), n - 1)  # R's default lag.max
    if m > max_lag:
        return False  # xacf[ppy] is NA in R -> FALSE
    xacf = r_acf(x, max_lag)
    clim = 1.645 / np.sqrt(n) * np.sqrt(np.cumsum(np.concatenate([[1.0], 2 * xacf ** 2])))
    test = abs(xacf[m - 1]) > clim[m - 1]
    return bool(test) if np.isfinite(xacf[m - 1]) else False


def r_decompose_multiplicative(x, m):
    """R's decompose(ts(x, frequency=m), type='multiplicative')$seasonal."""
    n = len(x)
    w = np.r_[0.5, np.ones(m - 1), 0.5] / m if m % 2 == 0 else np.ones(m) / m
    half = len(w) // 2
    trend = np.full(n, np.nan)
    trend[half:n - half] = np.convolve(x, w, mode="valid")  # symmetric filter: no flip issue
    ratio = x / trend
    figure = np.array([np.nanmean(ratio[i::m]) for i in range(m)])
    figure = figure / figure.mean()
    return np.resize(figure, n)


def naive2(x, m, h):
    if m4_seasonality_test(x, m):
        seas = r_decompose_multiplicative(x, m)
        level = x[-1] / seas[-1]
        return level * np.resize(seas[-m:], h), True
    return np.full(h, x[-1]), False


def check_with_statsmodels(x, m):
    try:
        from statsmodels.tsa.seasonal import seasonal_decompose
        from statsmodels.tsa.stattools import acf
    except Exception:  # noqa: BLE001
        return False
    assert np.allclose(acf(x, nlags=m, fft=False)[1:], r_acf(x, m), rtol=1e-10, atol=1e-12)
    sm = seasonal_decompose(x, model="multiplicative", period=m).seasonal
    assert np.allclose(sm, r_decompose_multiplicative(x, m), rtol=1e-10), "decomposition differs from statsmodels"
    return True


def smape(y, f):
    return 100.0 * np.mean(2 * np.abs(y - f) / (np.abs(y) + np.abs(f)))


def mase(insample, y, f, m):
    return np.mean(np.abs(y - f)) / np.mean(np.abs(insample[m:] - insample[:-m]))


def naive2_cases():
    m, h = 12, 18
    m3 = pd.read_csv(os.path.join(DATA, "m3", "m3_monthly_train.csv"))
    ids = list(dict.fromkeys(m3["unique_id"]))[::40]
    rows, checked = [], 0
    for u in ids:
        y = m3.loc[m3["unique_id"] == u, "y"].to_numpy(np.float32).astype(np.float64)
        insample, test = y[:-h], y[-h:]
        f2, seasonal = naive2(insample, m, h)
        checked += seasonal and check_with_statsmodels(insample, m)
        snaive = np.resize(insample[-m:], h)  # the "model" scored: seasonal naive
        rows.append({"id": u, "seasonal": seasonal, "naive2": f2.tolist(),
                     "smape": smape(test, snaive), "mase": mase(insample, test, snaive, m),
                     "smape_naive2": smape(test, f2), "mase_naive2": mase(insample, test, f2, m)})
    for r in rows:
        r["owa"] = 0.5 * (r["smape"] / r["smape_naive2"] + r["mase"] / r["mase_naive2"])
    mean = lambda k: float(np.mean([r[k] for r in rows]))  # noqa: E731
    overall = 0.5 * (mean("smape") / mean("smape_naive2") + mean("mase") / mean("mase_naive2"))
    print(f"naive2: {len(rows)} series, {sum(r['seasonal'] for r in rows)} seasonal, "
          f"{checked} cross-checked with statsmodels", file=sys.stderr)
    return {"m": m, "h": h, "series": rows, "owa_overall": overall}


def main():
    import coreforecast
    import neuralforecast
    doc = {"neuralforecast": neuralforecast.__version__, "coreforecast": coreforecast.__version__,
           "boxcox": boxcox_cases(), "naive2": naive2_cases()}
    with open(OUT, "w") as f:
        json.dump(doc, f)
    print("wrote", OUT, file=sys.stderr)


if __name__ == "__main__":
    main()
