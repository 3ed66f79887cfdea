#!/usr/bin/env python3
"""The same Python calls in neurodivergent and in NeuralForecast on ETTh1 (7 hourly series, rows
0..8639): NeuralForecast(models=[Model(h=24, input_size=96, max_steps=100, ...)], freq="h"), then
nf.fit(df), nf.predict() (all series) and nf.predict(df=<one series>). NeuralForecast's defaults
otherwise, on both sides.

Each library runs in its own fresh subprocess (so peak RSS is per library), threads pinned the
same way (NeuralForecast: OMP/MKL env + torch.set_num_threads; ours: ND_NUM_THREADS +
neurodivergent.set_num_threads). Measured: fit wall time (and fit / max_steps, which includes
each library's set-up), predict latency for all 7 series (nf.predict(), median of --calls after 2
warm-ups), single-series predict latency (nf.predict(df=one series' frame), same), RSS right after
the imports and peak RSS (ru_maxrss) at the end. Rounds alternate the two libraries; the table
shows medians over rounds and the ratio NeuralForecast / neurodivergent.

Usage: PYTHONPATH=python python3 bench/peers/python_api_bench.py [--rounds 3] [--threads 1]
           [--models NHITS,LSTM] [--max-steps 100] [--calls 20] [--data ../shared/data/ETTh1.csv]
"""
import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DEFAULT_DATA = os.path.join(ROOT, "..", "shared", "data", "ETTh1.csv")
LIBS = ("neurodivergent", "neuralforecast")
# key, label, target ratio (NF / ours) or None, what the ratio means
FIELDS = [
    ("fit_s", "fit s", 5.0, "faster training"),
    ("step_ms", "fit / max_steps ms", 5.0, "faster training"),
    ("predict_all_ms", "predict all 7 ms", None, "faster"),
    ("predict_one_ms", "predict 1 series ms", 100.0, "lower latency"),
    ("import_rss_mb", "RSS after imports MB", None, "less memory"),
    ("peak_rss_mb", "peak RSS MB", 3.0, "less memory"),
]


def rss_now_mb():
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024.0
    return float("nan")


def load_etth1(path, pd):
    wide = pd.read_csv(path).iloc[:8640]
    wide["date"] = pd.to_datetime(wide["date"])
    df = wide.melt(id_vars="date", var_name="unique_id", value_name="y").rename(columns={"date": "ds"})
    return df[["unique_id", "ds", "y"]].sort_values(["unique_id", "ds"]).reset_index(drop=True)


def child(lib, model_name, hp, threads, data, calls):
    """One library, one model: fit, predict all, predict one; prints one JSON line."""
    import logging
    import warnings

    warnings.filterwarnings("ignore")
    logging.disable(logging.WARNING)
    import pandas as pd

    if lib == "neuralforecast":
        import torch

        torch.set_num_threads(threads)
        from neuralforecast import NeuralForecast
        import neuralforecast.models as models

        extra = dict(enable_progress_bar=False, logger=False, enable_model_summary=False, accelerator="cpu")
    else:
        import neurodivergent
        from neurodivergent import NeuralForecast
        import neurodivergent.models as models

        neurodivergent.set_num_threads(threads)
        extra = dict(enable_progress_bar=False)
    import_rss = rss_now_mb()

    df = load_etth1(data, pd)
    one = df[df.unique_id == "OT"].reset_index(drop=True)
    nf = NeuralForecast(models=[getattr(models, model_name)(**hp, **extra)], freq="h")
    t0 = time.perf_counter()
    nf.fit(df)
    fit_s = time.perf_counter() - t0

    def latency(call):
        for _ in range(2):
            out = call()
        times = []
        for _ in range(calls):
            a = time.perf_counter()
            out = call()
            times.append(time.perf_counter() - a)
        return 1e3 * statistics.median(times), out

    all_ms, fc_all = latency(lambda: nf.predict())
    one_ms, fc_one = latency(lambda: nf.predict(df=one))
    assert len(fc_all) == 7 * hp["h"] and len(fc_one) == hp["h"], (len(fc_all), len(fc_one))
    print(json.dumps({"lib": lib, "model": model_name, "fit_s": fit_s, "step_ms": 1e3 * fit_s / hp["max_steps"],
                      "predict_all_ms": all_ms, "predict_one_ms": one_ms, "import_rss_mb": import_rss,
                      "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0}), flush=True)


def run_child(lib, model, hp, args):
    n = str(args.threads)
    env = dict(os.environ, OMP_NUM_THREADS=n, MKL_NUM_THREADS=n, OPENBLAS_NUM_THREADS=n, ND_NUM_THREADS=n)
    cmd = [sys.executable, os.path.abspath(__file__), "--child", lib, "--models", model, "--hp", json.dumps(hp),
           "--threads", n, "--data", args.data, "--calls", str(args.calls)]
    p = subprocess.run(cmd, capture_output=True, text=True, env=env)
    if p.returncode != 0:
        sys.stderr.write(p.stderr[-4000:])
        raise SystemExit(f"{lib} {model} failed (rc {p.returncode})")
    return json.loads(p.stdout.strip().splitlines()[-1])


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--models", default="NHITS,LSTM")
    ap.add_argument("--max-steps", type=int, default=100)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--calls", type=int, default=20, help="timed predict calls (after 2 warm-ups)")
    ap.add_argument("--data", default=DEFAULT_DATA)
    ap.add_argument("--json", help="also write every round's results to this file")
    ap.add_argument("--child", choices=LIBS, help=argparse.SUPPRESS)
    ap.add_argument("--hp", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        return child(args.child, args.models, json.loads(args.hp), args.threads, args.data, args.calls)

    load = os.getloadavg()
    print(f"load average at start: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}; {os.cpu_count()} CPUs", flush=True)
    everything = []
    for model in [m.strip() for m in args.models.split(",") if m.strip()]:
        hp = {"h": 24, "input_size": 96, "max_steps": args.max_steps}
        res = {lib: [] for lib in LIBS}
        for r in range(args.rounds):
            order = LIBS if r % 2 == 0 else LIBS[::-1]  # alternate who goes first
            for lib in order:
                out = run_child(lib, model, hp, args)
                res[lib].append(out)
                everything.append(out)
                print(f"  round {r + 1} {lib:<15} {model}: fit {out['fit_s']:.2f} s, predict all "
                      f"{out['predict_all_ms']:.2f} ms, predict one {out['predict_one_ms']:.2f} ms, "
                      f"peak RSS {out['peak_rss_mb']:.0f} MB", flush=True)
        print(f"\n{model} {json.dumps(hp)} (NeuralForecast defaults otherwise), ETTh1 7 series, "
              f"{args.threads} thread(s), median of {args.rounds} round(s)")
        print(f"| metric | neurodivergent | neuralforecast | ratio (NF/ours) | target | met? |")
        print(f"|---|---|---|---|---|---|")
        for key, label, target, word in FIELDS:
            a = statistics.median(x[key] for x in res["neurodivergent"])
            b = statistics.median(x[key] for x in res["neuralforecast"])
            ratio = b / a if a > 0 else float("inf")
            tgt = "" if target is None else f">= {target:g}x ({word})"
            met = "" if target is None else ("yes" if ratio >= target else "**no**")
            print(f"| {label} | {a:.3f} | {b:.3f} | {ratio:.1f}x | {tgt} | {met} |", flush=True)
    load = os.getloadavg()
    print(f"\nload average at end: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(everything, f, indent=1)


if __name__ == "__main__":
    main()
