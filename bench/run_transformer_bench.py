#!/usr/bin/env python3
"""Training-step time of PatchTST, iTransformer, VanillaTransformer, Informer, Autoformer, FEDformer
and TFT, nd vs NeuralForecast 3.3, on ETTh1 (7 hourly series, rows 0..8639) with h = 96,
input_size = 96 and NeuralForecast's default hyperparameters otherwise (PatchTST: 3 layers, 16
heads, hidden 128, 1024 windows per step; iTransformer: n_series 7, hidden 512, d_ff 2048, 32
windows of all 7 series per step; VanillaTransformer and Informer: hidden 128, 4 heads, 2 encoder
+ 1 decoder layers, 1024 windows per step; Autoformer, FEDformer and TFT: NF's defaults, 1024
windows per step), same thread count.
A step is window sampling + scaling + forward + loss + backward + Adam update; both sides report
the median over the steps after two warm-up steps (and their fastest step) (NeuralForecast's timed by a Lightning
callback, bench/peers/neuralforecast_transformers.py; ours by the trainer, bench/forecast_bench.cc).
Rounds alternate ours / peer; the medians of the rounds and their ratio are printed (the
headline), and the ratio of the two fastest steps seen over all rounds (less sensitive to
neighbours' load on a shared machine) and the median of the per-round ratios.
For PatchTST and iTransformer (the two the 3x target names) a second line gives the GEMM part
of our steady step (forecast_bench --gemm: GFLOP per step and the wall time of its gemm() calls)
and NeuralForecast's step over that time: the ratio we would reach if nothing but the GEMMs took
time, at the GEMM rate this CPU gives us. A third line takes the same GEMM FLOPs at this CPU's
measured fp32 multiply-add peak (bench/fma_peak_bench.cc, same thread count, printed first): the
ratio no fp32 implementation of the same products could exceed here.

Usage (after building the forecast_bench and fma_peak_bench targets with -DND_BUILD_BENCHMARKS=ON):
  ND_NUM_THREADS=1 python3 bench/run_transformer_bench.py [--data ../shared/data/ETTh1.csv] [--rounds 3]
"""
import argparse
import json
import os
import statistics
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
JOBS = [
    ("PatchTST", {"h": 96, "input_size": 96, "max_steps": 6}),
    ("iTransformer", {"h": 96, "input_size": 96, "n_series": 7, "max_steps": 20}),
    ("VanillaTransformer", {"h": 96, "input_size": 96, "max_steps": 6}),
    ("Informer", {"h": 96, "input_size": 96, "max_steps": 6}),
    ("Autoformer", {"h": 96, "input_size": 96, "max_steps": 6}),
    ("FEDformer", {"h": 96, "input_size": 96, "max_steps": 6}),
    ("TFT", {"h": 96, "input_size": 96, "max_steps": 6}),
]
TARGET = 3.0
GEMM_MODELS = ("PatchTST", "iTransformer")


def run(cmd, env):
    out = subprocess.run(cmd, check=True, capture_output=True, text=True, env=env).stdout
    return json.loads(out.strip().splitlines()[-1])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", default=os.path.join(ROOT, "..", "shared", "data", "ETTh1.csv"))
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--build", default=os.path.join(ROOT, "build"))
    ap.add_argument("--models", default="", help="comma-separated subset of the models (default: all)")
    args = ap.parse_args()
    env = dict(os.environ, ND_NUM_THREADS=str(args.threads), OMP_NUM_THREADS=str(args.threads))
    # This CPU's fp32 multiply-add peak at the same thread count (bench/fma_peak_bench.cc): no
    # implementation's GEMMs can run faster, which bounds the ratio from above.
    peak = run([os.path.join(args.build, "bench", "fma_peak_bench"), str(args.threads)], env)
    print(f"fp32 FMA peak of this CPU ({peak['isa']}, {args.threads} thread(s)): {peak['gflops']:.1f} GFLOP/s", flush=True)
    for model, hp in JOBS:
        if args.models and model not in args.models.split(","):
            continue
        ours, peer, ours_min, peer_min, gemm = [], [], [], [], []
        # The two models the 3x target names also report the GEMM part of our steady step.
        extra = ["--gemm"] if model in GEMM_MODELS else []
        for _ in range(args.rounds):
            o = run([os.path.join(args.build, "bench", "forecast_bench"), args.data, model, json.dumps(hp)] + extra, env)
            if "gemm_ms_per_step" in o:
                gemm.append((o["gemm_gflop_per_step"], o["gemm_ms_per_step"], o["steady_step_mean_ms"]))
            p = run([sys.executable, os.path.join(ROOT, "bench", "peers", "neuralforecast_transformers.py"),
                     args.data, model, json.dumps(hp), str(args.threads)], env)
            ours.append(o["step_median_ms"]), ours_min.append(o["step_min_ms"])
            peer.append(p["step_ms"]), peer_min.append(p["step_min_ms"])
        a, b = statistics.median(ours), statistics.median(peer)
        ratio = b / a
        # Fastest step of each side over all rounds: the least disturbed by other load on the machine.
        ratio_min = min(peer_min) / min(ours_min)
        # Per-round ratios: the two runs of a round are adjacent in time, so they mostly share the
        # machine's state when neighbours' load switches it between fast and slow phases.
        ratio_round = statistics.median(p / o for o, p in zip(ours, peer))
        print(f"{model} {json.dumps(hp)}, {args.threads} thread(s), median of {args.rounds} rounds: "
              f"nd {a:.1f} ms/step (rounds {', '.join(f'{x:.1f}' for x in ours)}), "
              f"NeuralForecast {b:.1f} ms/step (rounds {', '.join(f'{x:.1f}' for x in peer)}), "
              f"ratio {ratio:.2f}x  (target >= {TARGET:g}x: {'ok' if ratio >= TARGET else 'MISS'}); "
              f"fastest steps nd {min(ours_min):.1f} ms, NeuralForecast {min(peer_min):.1f} ms, ratio {ratio_min:.2f}x; "
              f"median of the per-round ratios {ratio_round:.2f}x",
              flush=True)
        if gemm:
            gf = statistics.median(g[0] for g in gemm)
            gms = statistics.median(g[1] for g in gemm)
            share = statistics.median(g[1] / g[2] for g in gemm)
            # If everything but the GEMMs took no time, the ratio could not exceed NF's step over
            # the time our GEMMs took.
            print(f"  GEMMs: {gf:.2f} GFLOP per step, {gms:.1f} ms of our step ({100 * share:.0f}% of the same "
                  f"steps' mean, {1e3 * gf / gms:.1f} GFLOP/s); NeuralForecast's step / our GEMM time: {b / gms:.2f}x "
                  f"(the ratio if all else took no time)", flush=True)
            # The same GEMM FLOPs at the CPU's peak: the ratio no fp32 implementation of this step
            # (same layers, same products) could exceed on this machine.
            at_peak = 1e3 * gf / peak["gflops"]
            print(f"  At the FMA peak these GEMMs would take {at_peak:.1f} ms: NeuralForecast's step / that = "
                  f"{b / at_peak:.2f}x, the ceiling for any fp32 implementation on this CPU "
                  f"({'above' if b / at_peak >= TARGET else 'below'} the {TARGET:g}x target)", flush=True)


if __name__ == "__main__":
    main()
