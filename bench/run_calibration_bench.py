#!/usr/bin/env python3
"""Calibration of probabilistic forecasts on M3 Monthly (1428 series, h = 18), neurodivergent next
to NeuralForecast 3.3 with the same hyperparameters and steps, in one run.

NHITS (input_size 24, max_steps --steps, robust scaler, seed 1) with four kinds of intervals:
DistributionLoss(Normal), DistributionLoss(StudentT), MQLoss and MAE + conformal intervals
(PredictionIntervals(n_windows=--windows), conformal_distribution), each asked for level=[80, 90].
Printed per library: empirical coverage of the 80% and 90% intervals on the 18 held-out months,
scaled CRPS (utilsforecast's scaled_crps over the four interval bounds and the median, mean over
series), MAE of the point forecast, and fit + predict seconds.

Run: python3 bench/run_calibration_bench.py [--steps 300] [--windows 5] [--threads 1] [--padding]
     [--configs conformal]
(needs the Python package built, torch==2.13.0, neuralforecast==3.3.0, utilsforecast).
"""
import argparse
import logging
import os
import platform
import subprocess
import time

import numpy as np
import pandas as pd

HERE = os.path.dirname(os.path.abspath(__file__))
DATA = os.path.join(HERE, "..", "..", "shared", "data", "m3")
H = 18
LEVELS = [80, 90]


def cpu_name():
    try:
        out = subprocess.run(["lscpu"], capture_output=True, text=True).stdout
        return next(l.split(":", 1)[1].strip() for l in out.splitlines() if l.startswith("Model name"))
    except Exception:  # noqa: BLE001
        return platform.processor() or "unknown CPU"


def read(path):
    """M3's dates; the few series dated from year 1 (e.g. N2801) are moved to year 2001 (pandas'
    datetime64[ns] cannot hold year 1)."""
    df = pd.read_csv(path)
    parts = df.ds.str.split("-", expand=True)
    year = parts[0].astype(int)
    year = year.where(year >= 1000, year + 2000)
    df["ds"] = pd.to_datetime(year.astype(str) + "-" + parts[1] + "-" + parts[2])
    return df


def configs(lib, steps, windows, padding):
    if lib == "nd":
        from neurodivergent.losses.pytorch import MAE, MQLoss, DistributionLoss
        from neurodivergent.models import NHITS
        from neurodivergent.utils import PredictionIntervals
    else:
        from neuralforecast.losses.pytorch import MAE, MQLoss, DistributionLoss
        from neuralforecast.models import NHITS
        from neuralforecast.utils import PredictionIntervals
    common = dict(h=H, input_size=24, max_steps=steps, scaler_type="robust", random_seed=1,
                  enable_progress_bar=False, start_padding_enabled=padding)
    if lib == "nf":
        common.update(logger=False, enable_model_summary=False, accelerator="cpu", enable_checkpointing=False)
    return [
        ("Normal", NHITS(loss=DistributionLoss("Normal", level=LEVELS), **common), None),
        ("StudentT", NHITS(loss=DistributionLoss("StudentT", level=LEVELS), **common), None),
        ("MQLoss", NHITS(loss=MQLoss(level=LEVELS), **common), None),
        ("conformal", NHITS(loss=MAE(), **common), PredictionIntervals(n_windows=windows)),
    ]


def score(fc, test, name):
    m = fc.merge(test, on=["unique_id", "ds"])
    point = "NHITS-median" if "NHITS-median" in m and "NHITS" not in m else "NHITS"
    out = {}
    for lv in LEVELS:
        out[f"cov{lv}"] = float(((m.y >= m[f"NHITS-lo-{lv}"]) & (m.y <= m[f"NHITS-hi-{lv}"])).mean())
    qcols = {0.05: "NHITS-lo-90", 0.1: "NHITS-lo-80", 0.5: point, 0.9: "NHITS-hi-80", 0.95: "NHITS-hi-90"}
    ql = 0.0
    for q, c in qcols.items():
        d = m.y - m[c]
        m[f"_ql{q}"] = np.maximum(q * d, (q - 1) * d)
    m["_mql"] = m[[f"_ql{q}" for q in qcols]].mean(axis=1)
    per = m.groupby("unique_id").agg(mql=("_mql", "mean"), n=("y", "size"), norm=("y", lambda s: s.abs().sum()))
    out["scrps"] = float((2 * per.mql * per.n / (per.norm + np.finfo(float).eps)).mean())
    out["mae"] = float((m.y - m[point]).abs().mean())
    return out


def run(lib, train, test, steps, windows, padding, only):
    if lib == "nd":
        from neurodivergent import NeuralForecast
    else:
        from neuralforecast import NeuralForecast
    rows = []
    for name, model, pi in configs(lib, steps, windows, padding):
        if only and name not in only:
            continue
        t0 = time.perf_counter()
        nf = NeuralForecast(models=[model], freq="MS")
        nf.fit(train, prediction_intervals=pi) if pi is not None else nf.fit(train)
        fc = nf.predict(level=LEVELS)
        secs = time.perf_counter() - t0
        r = score(fc, test, name)
        r.update(lib=lib, config=name, seconds=secs)
        rows.append(r)
        print(f"  {lib:2s} {name:9s} cov80 {r['cov80']:.3f} cov90 {r['cov90']:.3f} sCRPS {r['scrps']:.4f} "
              f"MAE {r['mae']:.1f} ({secs:.1f} s)", flush=True)
    return rows


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--steps", type=int, default=300)
    ap.add_argument("--windows", type=int, default=5)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--padding", action="store_true",
                    help="start_padding_enabled=True (lets short series give more conformal windows)")
    ap.add_argument("--configs", default="", help="comma-separated subset of Normal,StudentT,MQLoss,conformal")
    args = ap.parse_args()
    for name in ("lightning", "pytorch_lightning", "lightning_fabric", "lightning.pytorch"):
        logging.getLogger(name).setLevel(logging.ERROR)
    import torch
    import neurodivergent

    torch.set_num_threads(args.threads)
    neurodivergent.set_num_threads(args.threads)
    train, test = (read(os.path.join(DATA, f"m3_monthly_{part}.csv")) for part in ("train", "test"))
    print(f"M3 Monthly: {train.unique_id.nunique()} series, h = {H}; NHITS, {args.steps} steps, "
          f"{args.threads} thread(s); CPU: {cpu_name()}", flush=True)
    only = [c for c in args.configs.split(",") if c]
    rows = (run("nd", train, test, args.steps, args.windows, args.padding, only) +
            run("nf", train, test, args.steps, args.windows, args.padding, only))
    df = pd.DataFrame(rows)
    print("\n| intervals | nd cov80 | NF cov80 | nd cov90 | NF cov90 | nd sCRPS | NF sCRPS | nd MAE | NF MAE | nd s | NF s |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for name in df.config.unique():
        a, b = df[(df.config == name) & (df.lib == "nd")].iloc[0], df[(df.config == name) & (df.lib == "nf")].iloc[0]
        print(f"| {name} | {a.cov80:.3f} | {b.cov80:.3f} | {a.cov90:.3f} | {b.cov90:.3f} | {a.scrps:.4f} | "
              f"{b.scrps:.4f} | {a.mae:.1f} | {b.mae:.1f} | {a.seconds:.1f} | {b.seconds:.1f} |")


if __name__ == "__main__":
    main()
