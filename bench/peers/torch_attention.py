#!/usr/bin/env python3
"""PyTorch 2.13 peer for bench/attention_bench.cc: forward + backward of
torch.nn.functional.scaled_dot_product_attention on this CPU, one configuration per process.
q, k, v, dO: [B, H, L, D] float32. Prints one JSON line: median / all step times (ms) and the
peak-RSS growth over the process's footprint once the inputs exist.
Usage: torch_attention.py --L 2048 [--causal 0|1] [--threads 1] [--reps 3] [--warmup 1]"""
import argparse
import json
import resource
import statistics
import time

import torch


def rss_now():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * resource.getpagesize()


def rss_peak():
    """VmHWM, the peak RSS of this address space (ru_maxrss would carry the runner's peak across exec)."""
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    return 0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--L", type=int, default=512)
    ap.add_argument("--B", type=int, default=4)
    ap.add_argument("--H", type=int, default=8)
    ap.add_argument("--D", type=int, default=64)
    ap.add_argument("--causal", type=int, default=0)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--warmup", type=int, default=1)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(1)
    shape = (a.B, a.H, a.L, a.D)
    q, k, v = (torch.randn(shape, requires_grad=True) for _ in range(3))
    d_o = torch.randn(shape)
    # One small step first: one-time start-up memory belongs to the baseline (as in attention_bench).
    x = torch.randn(1, 1, 256, a.D, requires_grad=True)
    torch.nn.functional.scaled_dot_product_attention(x, x, x, is_causal=bool(a.causal)).sum().backward()
    rss0 = rss_now()
    ms, cpu = [], []
    for it in range(a.warmup + a.reps):
        q.grad = k.grad = v.grad = None
        c0, t0 = time.process_time(), time.perf_counter()
        out = torch.nn.functional.scaled_dot_product_attention(q, k, v, is_causal=bool(a.causal))
        out.backward(d_o)
        t1, c1 = time.perf_counter(), time.process_time()
        del out
        if it >= a.warmup:
            ms.append((t1 - t0) * 1e3)
            cpu.append((c1 - c0) * 1e3)
    peak = rss_peak()
    print(json.dumps({"impl": "torch_sdpa", "L": a.L, "B": a.B, "H": a.H, "D": a.D, "causal": a.causal,
                      "threads": a.threads, "torch": torch.__version__, "ms": statistics.median(ms), "cpu_ms": statistics.median(cpu), "ms_all": ms,
                      "rss_delta_bytes": peak - rss0}))


if __name__ == "__main__":
    main()
