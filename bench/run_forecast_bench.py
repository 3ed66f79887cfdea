#!/usr/bin/env python3
"""nd vs NeuralForecast on ETTh1 (7 hourly series, rows 0..8639), same model, hyperparameters,
max_steps and thread count: time per training step (ours: measured per step; NeuralForecast: fit
time / max_steps, which includes its set-up), total fit time, predict latency for one series and
for all series, peak RSS, and the ratios. Rounds alternate ours / peer; medians are reported.

Usage: python3 bench/run_forecast_bench.py [--data ../shared/data/ETTh1.csv] [--rounds 3] [--threads 1]
"""
import argparse
import json
import os
import statistics
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
JOBS = [
    ("NHITS", {"h": 24, "input_size": 96, "max_steps": 100}),
    ("LSTM", {"h": 24, "input_size": 96, "max_steps": 100}),
]
FIELDS = [("step_ms", "ms/step", 5.0, "faster"), ("fit_s", "fit s", None, "faster"),
          ("predict_one_ms", "predict 1 series ms", 100.0, "lower latency"),
          ("predict_all_ms", "predict all ms", None, "faster"), ("peak_rss_mb", "peak RSS MB", 3.0, "less memory")]


def run(cmd, env):
    out = subprocess.run(cmd, check=True, capture_output=True, text=True, env=env).stdout
    return json.loads(out.strip().splitlines()[-1])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", default=os.path.join(ROOT, "..", "shared", "data", "ETTh1.csv"))
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--threads", type=int, default=1)
    args = ap.parse_args()
    env = dict(os.environ, ND_NUM_THREADS=str(args.threads), OMP_NUM_THREADS=str(args.threads))
    for model, hp in JOBS:
        ours, peer = [], []
        for _ in range(args.rounds):
            ours.append(run([os.path.join(ROOT, "build", "bench", "forecast_bench"), args.data, model, json.dumps(hp)], env))
            peer.append(run([sys.executable, os.path.join(ROOT, "bench", "peers", "neuralforecast_etth1.py"), args.data,
                             model, json.dumps(hp), str(args.threads)], env))
        print(f"\n{model} {json.dumps(hp)}, {args.threads} thread(s), median of {args.rounds} rounds")
        print(f"{'':<22}{'nd':>12}{'NeuralForecast':>16}{'ratio':>10}  target")
        for key, label, target, word in FIELDS:
            a = statistics.median(r[key] for r in ours)
            b = statistics.median(r[key] for r in peer)
            ratio = b / a if a > 0 else float("inf")
            tgt = "" if target is None else (f">= {target:g}x " + ("ok" if ratio >= target else "MISS"))
            print(f"{label:<22}{a:>12.3f}{b:>16.3f}{ratio:>9.1f}x  {tgt}")


if __name__ == "__main__":
    main()
