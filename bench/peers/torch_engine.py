#!/usr/bin/env python3
"""PyTorch 2.13 peer for bench/engine_bench.cc: the same jobs, same thread count.
Prints one JSON object: {job: median microseconds}.
Usage: torch_engine.py --threads N [--job MLPStep|LSTMStep|LSTMInferOneSeries]"""
import argparse
import json
import statistics
import time

import torch


def timeit(fn, min_time=0.3, reps=5):
    for _ in range(10):
        fn()
    # iterations per repetition so that one repetition lasts ~min_time
    t0 = time.perf_counter()
    n = 0
    while time.perf_counter() - t0 < min_time / 3:
        fn()
        n += 1
    iters = max(1, int(n * 3))
    meds = []
    for _ in range(reps):
        t0 = time.perf_counter()
        for _ in range(iters):
            fn()
        meds.append((time.perf_counter() - t0) / iters * 1e6)
    return statistics.median(meds)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--job", default=None, help="run only this job")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    res = {}

    mlp = torch.nn.Sequential(torch.nn.Linear(24, 512), torch.nn.ReLU(), torch.nn.Linear(512, 512), torch.nn.ReLU(),
                              torch.nn.Linear(512, 12))
    opt = torch.optim.Adam(mlp.parameters(), lr=1e-3)
    x, y = torch.randn(32, 24), torch.randn(32, 12)

    def mlp_step():
        opt.zero_grad()
        loss = torch.nn.functional.mse_loss(mlp(x), y)
        loss.backward()
        opt.step()

    if args.job in (None, "MLPStep"):
        res["MLPStep"] = timeit(mlp_step)

    lstm = torch.nn.LSTM(1, 128, num_layers=2, batch_first=True)
    head = torch.nn.Linear(128, 12)
    opt2 = torch.optim.Adam(list(lstm.parameters()) + list(head.parameters()), lr=1e-3)
    xs, ys = torch.randn(32, 24, 1), torch.randn(32, 12)

    def lstm_step():
        opt2.zero_grad()
        _, (h, _) = lstm(xs)
        loss = torch.nn.functional.mse_loss(head(h[-1]), ys)
        loss.backward()
        opt2.step()

    if args.job in (None, "LSTMStep"):
        res["LSTMStep"] = timeit(lstm_step)

    x1 = torch.randn(1, 24, 1)

    def lstm_infer():
        with torch.no_grad():
            _, (h, _) = lstm(x1)
            head(h[-1])

    if args.job in (None, "LSTMInferOneSeries"):
        res["LSTMInferOneSeries"] = timeit(lstm_infer)

    print(json.dumps(res))


if __name__ == "__main__":
    main()
