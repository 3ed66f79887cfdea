#!/usr/bin/env python3
"""Attention forward + backward: our flash op vs the materialized matmul-softmax-matmul composition
in our engine (build/bench/attention_bench) vs PyTorch 2.13's scaled_dot_product_attention on this
CPU (bench/peers/torch_attention.py), same thread count. B=4, H=8, d_head=64, L = 96 .. 8192.

Every measurement is a fresh process (so its peak RSS belongs to one configuration); each
(L, causal, threads) is measured as --rounds back-to-back triples (flash, naive, torch). Times are
medians over rounds; speed-ups are medians of the per-round ratios (peer time / flash time, > 1 =
we are faster). Memory: peak-RSS growth over the process's footprint once the inputs exist
(inputs q, k, v, dO excluded), and for our engine also the arena high-water mark of the step.
bytes/L (arena peak / L, RSS growth / L) staying flat is the linear-memory check. The naive version needs
~9 [B*H, L, L] float matrices; it is skipped (reason printed) when that exceeds half of
MemAvailable.

Usage: python3 bench/run_attention_bench.py [--rounds 3] [--L 96,512,2048,8192] [--threads 1,2]
       [--causal 0,1] [--json out.json]

Measured 2026-11-21 on this project's machine: Xeon @ 2.5 GHz (AVX-512), 2 cores shared with other builds
(load average 3-11 during the run: the times are noisy, the 2-thread rows especially; memory
figures are exact and stable). OpenBLAS 0.3.21 (OpenMP), torch 2.13.0+cpu.
  python3 bench/run_attention_bench.py --rounds 3 --L 96,512,2048
  python3 bench/run_attention_bench.py --rounds 1 --L 8192 --threads 1   (one round only: ~1 min/step)
    L causal thr |  flash ms  naive ms  torch ms | vs naive vs torch | flash arena flash RSS naive RSS torch RSS | arena B/L
   96      0   1 |      39.6      52.0      22.7 |    1.45x    0.57x |        3.9M      4.9M     14.9M     40.7M |     42463
   96      0   2 |      31.7     685.3      84.3 |   21.63x    2.66x |        4.0M      5.0M     15.0M     42.7M |     43837
   96      1   1 |      11.0      24.1      13.6 |    1.91x    1.23x |        3.9M      4.9M     17.1M     40.7M |     42463
   96      1   2 |      29.3     380.5      67.9 |   13.95x    2.27x |        4.0M      5.0M     17.2M     42.7M |     43837
  512      0   1 |     204.3     537.6     188.7 |    2.20x    0.92x |       20.2M     20.4M    228.4M     70.2M |     41349
  512      0   2 |     340.5    1411.8     233.0 |    4.81x    0.72x |       20.3M     20.5M    228.7M     70.6M |     41610
  512      1   1 |     121.6     499.1     163.5 |    4.11x    1.30x |       20.2M     20.4M    292.4M     70.0M |     41349
  512      1   2 |     139.9    1535.4     233.9 |   10.98x    1.69x |       20.3M     20.5M    292.7M     70.6M |     41610
 2048      0   1 |    4008.0    7679.8    2684.0 |    1.97x    0.68x |       80.4M     80.6M   3216.8M    178.2M |     41156
 2048      0   2 |    3101.8    5717.8    1855.5 |    1.94x    0.68x |       80.5M     80.7M   3219.7M    163.6M |     41224
 2048      1   1 |    1475.5    7253.2    1653.9 |    4.92x    1.12x |       80.4M     80.6M   4240.8M    178.2M |     41156
 2048      1   2 |    1572.9    9171.7    2079.1 |    5.69x    1.16x |       80.5M     80.7M   4243.7M    179.6M |     41224
 8192      0   1 |   73945.8         -   63003.6 |        -    0.85x |      321.2M    321.4M        -    355.9M |     41108
 8192      1   1 |   29605.1         -   25984.0 |        -    0.88x |      321.2M    321.4M        -    355.7M |     41108
  (naive skipped at L=8192: ~72 GiB. Not measured: L=8192 with 2 threads, repeated L=8192 rounds.)
Reading: flash memory is linear (~41 KB per unit of L = O, dO, dQ, dK, dV + lse + tile scratch;
the RSS growth equals the arena's), the materialized version's grows as L^2 (3.2-4.2 GB at 2048).
Against torch SDPA at one thread we are at 0.57-0.92x without a mask and 1.1-1.3x with the causal
mask up to L = 2048 (we skip fully masked tiles in both passes), 0.85x / 0.88x at L = 8192; the profile (perf, L=1024) is ~60% OpenBLAS sgemm
kernels, ~12% OpenBLAS packing for the two transposed (P^T dO, dS^T Q) tile products, ~11% our
row work: computing the backward in the transposed (keys x queries) layout would remove most of
that packing.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BENCH = os.path.join(ROOT, "build", "bench", "attention_bench")
PEER = os.path.join(ROOT, "bench", "peers", "torch_attention.py")
B, H, D = 4, 8, 64


def mem_available():
    with open("/proc/meminfo") as f:
        for line in f:
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) * 1024
    return 0


def run_json(cmd):
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def args_for(L, causal, threads):
    # Long sequences take tens of seconds per step: no warm-up step there (one fresh process per
    # round anyway; the first step's page faults are a negligible share at that size).
    warmup = 1 if L <= 2048 else 0
    return ["--L", str(L), "--causal", str(causal), "--threads", str(threads), "--reps", "1", "--warmup", str(warmup)]


def fmt_bytes(n):
    return f"{n / 2**20:8.1f}M" if n is not None else "       -"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--L", default="96,512,2048,8192")
    ap.add_argument("--threads", default="1,2")
    ap.add_argument("--causal", default="0,1")
    ap.add_argument("--json", default=None, help="also write every raw measurement here")
    a = ap.parse_args()
    if not os.path.exists(BENCH):
        sys.exit(f"missing {BENCH}: cmake --build build --target attention_bench")
    try:
        import torch  # noqa: F401
        have_torch = True
    except ImportError:
        have_torch = False
        print("torch not installed: peer columns empty (pip install torch==2.13.0)", file=sys.stderr)
    raw = []
    hdr = (f"{'L':>5} {'causal':>6} {'thr':>3} | {'flash ms':>9} {'naive ms':>9} {'torch ms':>9} | "
           f"{'vs naive':>8} {'vs torch':>8} | {'flash arena':>11} {'flash RSS':>9} {'naive RSS':>9} "
           f"{'torch RSS':>9} | {'arena B/L':>9} {'flash B/L':>9} {'torch B/L':>9}")
    print(f"B={B} H={H} d_head={D}; median of {a.rounds} rounds; speed-up = peer ms / flash ms")
    print(hdr)
    print("-" * len(hdr))
    skipped = []
    for L in [int(x) for x in a.L.split(",")]:
        for causal in [int(x) for x in a.causal.split(",")]:
            for t in [int(x) for x in a.threads.split(",")]:
                naive_need = 9 * B * H * L * L * 4
                do_naive = naive_need <= mem_available() // 2
                if not do_naive and (L, causal) not in [(s[0], s[1]) for s in skipped]:
                    skipped.append((L, causal, naive_need))
                fl, nv, th = [], [], []
                for _ in range(a.rounds):
                    fl.append(run_json([BENCH, "--impl", "flash"] + args_for(L, causal, t)))
                    if do_naive:
                        nv.append(run_json([BENCH, "--impl", "naive"] + args_for(L, causal, t)))
                    if have_torch:
                        th.append(run_json([sys.executable, PEER] + args_for(L, causal, t)))
                raw.append({"L": L, "causal": causal, "threads": t, "flash": fl, "naive": nv, "torch": th})
                med = lambda rs, k="ms": statistics.median(r[k] for r in rs) if rs else None  # noqa: E731
                ratio = lambda ps: (statistics.median(p["ms"] / f["ms"] for p, f in zip(ps, fl))  # noqa: E731
                                    if ps else None)
                f_ms, n_ms, t_ms = med(fl), med(nv), med(th)
                f_rss = int(med(fl, "rss_delta_bytes"))
                t_rss = int(med(th, "rss_delta_bytes")) if th else None
                n_rss = int(med(nv, "rss_delta_bytes")) if nv else None
                r_n, r_t = ratio(nv), ratio(th)
                print(f"{L:>5} {causal:>6} {t:>3} | {f_ms:>9.1f} "
                      f"{(f'{n_ms:9.1f}' if n_ms else '        -')} {(f'{t_ms:9.1f}' if t_ms else '        -')} | "
                      f"{(f'{r_n:7.2f}x' if r_n else '       -')} {(f'{r_t:7.2f}x' if r_t else '       -')} | "
                      f"{fmt_bytes(int(med(fl, 'arena_peak_bytes'))):>11} {fmt_bytes(f_rss)} {fmt_bytes(n_rss)} "
                      f"{fmt_bytes(t_rss)} | {med(fl, 'arena_peak_bytes') / L:9.0f} {f_rss / L:9.0f} {(f'{t_rss / L:9.0f}' if t_rss else '        -')}",
                      flush=True)
    for L, causal, need in skipped:
        print(f"naive skipped at L={L} causal={causal}: needs ~{need / 2**30:.1f} GiB "
              f"(9 x [{B * H}, {L}, {L}] floats), more than half of MemAvailable")
    if a.json:
        with open(a.json, "w") as f:
            json.dump(raw, f, indent=1)


if __name__ == "__main__":
    main()
