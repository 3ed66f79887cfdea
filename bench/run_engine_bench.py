#!/usr/bin/env python3
"""Engine benchmark summary: our training steps and inference (build/bench/engine_bench) next to
the same jobs in PyTorch 2.13 (bench/peers/torch_engine.py) at the same thread count.

These machines are shared and noisy, so every (job, threads) pair is measured as `--rounds`
back-to-back pairs (ours, then PyTorch's) and the speed-up reported is the median of the per-pair
ratios; the times shown are the medians of each side. Then the kernel table of
build/bench/kernels_bench (SIMD vs scalar, GEMM through our dispatch vs direct BLAS).

Usage: python3 bench/run_engine_bench.py [--rounds 5] [--skip-kernels]
"""
import argparse
import json
import os
import statistics
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BUILD = os.path.join(ROOT, "build", "bench")
JOBS = {"MLPStep": 5.0, "LSTMStep": 2.0, "LSTMInferOneSeries": 10.0}  # job -> target speed-up


def ours(job, threads, min_time=0.3):
    out = subprocess.run(
        [os.path.join(BUILD, "engine_bench"), "--benchmark_format=json", f"--benchmark_filter=^BM_{job}/{threads}/",
         "--benchmark_repetitions=3", "--benchmark_report_aggregates_only=true", f"--benchmark_min_time={min_time}"],
        check=True, capture_output=True, text=True).stdout
    for b in json.loads(out)["benchmarks"]:
        if b.get("aggregate_name") == "median":
            return b["real_time"]  # microseconds
    raise RuntimeError(f"no result for {job}/{threads}")


def peer(job, threads):
    out = subprocess.run([sys.executable, os.path.join(ROOT, "bench", "peers", "torch_engine.py"),
                          "--threads", str(threads), "--job", job], check=True, capture_output=True, text=True).stdout
    return json.loads(out)[job]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--skip-kernels", action="store_true")
    args = ap.parse_args()
    try:
        import torch  # noqa: F401
        have_torch = True
    except ImportError:
        have_torch = False
        print("torch not installed: peer columns empty (pip install torch==2.13.0)", file=sys.stderr)
    print(f"{'job':<22}{'threads':>8}{'ours us':>11}{'torch us':>11}{'speed-up':>10}   target  (median of {args.rounds} "
          "paired rounds)")
    mine_all = {}
    for job, target in JOBS.items():
        for t in (1, 2):
            mine, theirs, ratios = [], [], []
            for _ in range(args.rounds):
                m = ours(job, t)
                mine.append(m)
                if have_torch:
                    p = peer(job, t)
                    theirs.append(p)
                    ratios.append(p / m)
            mine_all[(job, t)] = statistics.median(mine)
            p_med = statistics.median(theirs) if theirs else float("nan")
            r = statistics.median(ratios) if ratios else float("nan")
            verdict = "ok" if r >= target else "MISS"
            print(f"{job:<22}{t:>8}{statistics.median(mine):>11.1f}{p_med:>11.1f}{r:>9.2f}x   >={target:g}x {verdict}  "
                  f"(ratios {min(ratios) if ratios else 0:.2f}..{max(ratios) if ratios else 0:.2f})", flush=True)
    floor = ours("LSTMInferFloorGemv", 1)
    print(f"\nsingle-series LSTM floor: 48 sequential 512x128 GEMVs = {floor:.1f} us "
          f"(our whole inference: {mine_all[('LSTMInferOneSeries', 1)]:.1f} us)")
    for job in JOBS:
        one, two = mine_all[(job, 1)], mine_all[(job, 2)]
        print(f"thread scaling {job}: 1 thread {one:.1f} us, 2 threads {two:.1f} us ({one / two:.2f}x)")
    sys.stdout.flush()
    if not args.skip_kernels and os.path.exists(os.path.join(BUILD, "kernels_bench")):
        print()
        subprocess.run([os.path.join(BUILD, "kernels_bench")], check=True)


if __name__ == "__main__":
    main()
