#!/usr/bin/env python3
"""NeuralForecast peer of bench/run_transformer_bench.py: trains MODEL on ETTh1 (7 series, rows
0..8639) with the given hyperparameters on THREADS threads and times every training step with a
Lightning callback (batch start -> batch end: window sampling, scaling, forward, loss, backward,
optimizer step; not the fit set-up). Prints one JSON object: median and mean step time (the first
WARMUP steps excluded) and the fit time.
Usage: neuralforecast_transformers.py ETTh1.csv MODEL '{"h": 96, "input_size": 96, "max_steps": 20}' THREADS"""
import json
import logging
import statistics
import sys
import time
import warnings

warnings.filterwarnings("ignore")
logging.disable(logging.WARNING)
WARMUP = 2


def main():
    path, model_name, hp, threads = sys.argv[1], sys.argv[2], json.loads(sys.argv[3]), int(sys.argv[4])
    import pandas as pd
    import pytorch_lightning as pl
    import torch

    torch.set_num_threads(threads)
    import neuralforecast.models as nfm
    from neuralforecast import NeuralForecast

    times, t = [], [0.0]  # module-level state: NeuralForecast copies the callback objects

    class StepTimer(pl.Callback):
        def on_train_batch_start(self, trainer, module, batch, batch_idx):
            t[0] = time.perf_counter()

        def on_train_batch_end(self, trainer, module, outputs, batch, batch_idx):
            times.append(time.perf_counter() - t[0])

    wide = pd.read_csv(path).iloc[:8640]
    wide["date"] = pd.to_datetime(wide["date"])
    df = wide.melt(id_vars="date", var_name="unique_id", value_name="y").rename(columns={"date": "ds"})
    df = df.sort_values(["unique_id", "ds"]).reset_index(drop=True)
    cls = {m.lower(): getattr(nfm, m) for m in dir(nfm) if isinstance(getattr(nfm, m), type)}[model_name.lower()]
    timer = StepTimer()
    model = cls(**hp, enable_progress_bar=False, enable_model_summary=False, logger=False,
                enable_checkpointing=False, accelerator="cpu", callbacks=[timer])
    nf = NeuralForecast(models=[model], freq="h")
    t0 = time.perf_counter()
    nf.fit(df)
    fit_s = time.perf_counter() - t0
    steps = times[WARMUP:] if len(times) > WARMUP else times
    print(json.dumps({"fit_s": fit_s, "steps": len(times),
                      "step_ms": 1e3 * statistics.median(steps), "step_mean_ms": 1e3 * statistics.mean(steps),
                      "step_min_ms": 1e3 * min(steps)}))


if __name__ == "__main__":
    main()
