#!/usr/bin/env python3
"""NeuralForecast peer of bench/forecast_bench.cc: the same ETTh1 job (7 series, rows 0..8639),
model and hyperparameters, on the same thread count; prints one JSON object.
Usage: neuralforecast_etth1.py ETTh1.csv MODEL '{"h": 24, "input_size": 96, "max_steps": 100}' THREADS"""
import json
import logging
import os
import resource
import statistics
import sys
import time
import warnings

warnings.filterwarnings("ignore")
logging.disable(logging.WARNING)


def main():
    path, model_name, hp, threads = sys.argv[1], sys.argv[2], json.loads(sys.argv[3]), int(sys.argv[4])
    import pandas as pd
    import torch

    torch.set_num_threads(threads)
    import neuralforecast.models as nfm
    from neuralforecast import NeuralForecast

    wide = pd.read_csv(path).iloc[:8640]
    wide["date"] = pd.to_datetime(wide["date"])
    df = wide.melt(id_vars="date", var_name="unique_id", value_name="y").rename(columns={"date": "ds"})
    df = df.sort_values(["unique_id", "ds"]).reset_index(drop=True)
    cls = {m.lower(): getattr(nfm, m) for m in dir(nfm) if isinstance(getattr(nfm, m), type)}[model_name.lower()]
    model = cls(**hp, enable_progress_bar=False, enable_model_summary=False, logger=False,
                enable_checkpointing=False, accelerator="cpu")
    nf = NeuralForecast(models=[model], freq="h")
    t0 = time.perf_counter()
    nf.fit(df)
    fit_s = time.perf_counter() - t0
    one = df[df.unique_id == "OT"]
    for _ in range(2):
        nf.predict(df=one)
    lat_one = []
    for _ in range(10):
        a = time.perf_counter()
        nf.predict(df=one)
        lat_one.append(time.perf_counter() - a)
    lat_all = []
    for _ in range(5):
        a = time.perf_counter()
        nf.predict(df=df)
        lat_all.append(time.perf_counter() - a)
    steps = hp.get("max_steps", 1000)
    print(json.dumps({"fit_s": fit_s, "steps": steps, "step_ms": 1e3 * fit_s / steps,
                      "predict_one_ms": 1e3 * statistics.median(lat_one),
                      "predict_all_ms": 1e3 * statistics.median(lat_all),
                      "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0}))


if __name__ == "__main__":
    main()
