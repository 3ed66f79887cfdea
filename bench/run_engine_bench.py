#!/usr/bin/env python3
"""Engine benchmark summary: runs build/bench/engine_bench (ours) and bench/peers/torch_engine.py
(PyTorch 2.13, same thread count) in the same session, interleaved, and prints medians and ratios;
then the kernel table of build/bench/kernels_bench (SIMD vs scalar, GEMM dispatch vs direct BLAS).

Usage: python3 bench/run_engine_bench.py [--reps 5] [--skip-kernels]
"""
import argparse
import json
import os
import statistics
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BUILD = os.path.join(ROOT, "build", "bench")
TARGETS = {"MLPStep": 5.0, "LSTMStep": 2.0, "LSTMInferOneSeries": 10.0}


def ours(reps):
    out = subprocess.run(
        [os.path.join(BUILD, "engine_bench"), "--benchmark_format=json", f"--benchmark_repetitions={reps}",
         "--benchmark_report_aggregates_only=true", "--benchmark_min_time=0.2"],
        check=True, capture_output=True, text=True).stdout
    res = {}
    for b in json.loads(out)["benchmarks"]:
        if b.get("aggregate_name") != "median":
            continue
        name, threads = b["run_name"].split("/")[0].removeprefix("BM_"), int(b["run_name"].split("/")[1])
        res[(name, threads)] = b["real_time"]  # microseconds
    return res


def peer(threads):
    try:
        out = subprocess.run([sys.executable, os.path.join(ROOT, "bench", "peers", "torch_engine.py"),
                              "--threads", str(threads)], check=True, capture_output=True, text=True).stdout
    except (subprocess.CalledProcessError, FileNotFoundError) as e:
        print(f"torch peer failed ({e}); install torch==2.13.0", file=sys.stderr)
        return {}
    return json.loads(out)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--rounds", type=int, default=2, help="interleaved ours/peer rounds (medians across rounds)")
    ap.add_argument("--skip-kernels", action="store_true")
    args = ap.parse_args()
    mine, theirs = {}, {}
    for _ in range(args.rounds):
        for k, v in ours(args.reps).items():
            mine.setdefault(k, []).append(v)
        for t in (1, 2):
            for k, v in peer(t).items():
                theirs.setdefault((k, t), []).append(v)
    print(f"{'job':<22}{'threads':>8}{'ours us':>12}{'torch us':>12}{'speed-up':>10}{'target':>8}")
    for (name, t) in sorted(mine):
        m = statistics.median(mine[(name, t)])
        p = statistics.median(theirs[(name, t)]) if (name, t) in theirs else float("nan")
        ratio = p / m
        tgt = TARGETS.get(name)
        mark = "" if tgt is None else (f">={tgt:g}x " + ("ok" if ratio >= tgt else "MISS"))
        print(f"{name:<22}{t:>8}{m:>12.1f}{p:>12.1f}{ratio:>9.2f}x  {mark}")
    for name in sorted({n for n, _ in mine}):
        one, two = statistics.median(mine[(name, 1)]), statistics.median(mine[(name, 2)])
        print(f"thread scaling {name}: 1 thread {one:.1f} us, 2 threads {two:.1f} us ({one / two:.2f}x)")
    sys.stdout.flush()
    if not args.skip_kernels and os.path.exists(os.path.join(BUILD, "kernels_bench")):
        print()
        subprocess.run([os.path.join(BUILD, "kernels_bench")], check=True)


if __name__ == "__main__":
    main()
