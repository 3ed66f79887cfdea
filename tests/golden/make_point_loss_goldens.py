#!/usr/bin/env python3
"""Writes tests/golden/point_losses.json: NeuralForecast 3.3's HuberQLoss, HuberMQLoss, TukeyLoss,
sCRPS, Accuracy and relMSE on fixed forecasts, targets and masks: the loss value and, for the
trainable ones, its gradient with respect to the forecasts. Read by tests/losses/point_loss_test.cc.

Run: python3 tests/golden/make_point_loss_goldens.py   (needs torch==2.13.0 and neuralforecast 3.3)
Layout as in NeuralForecast's training step: y, mask [B, h, N]; forecasts [B, h, N] (point) or
[B, h, N, Q] (multi-quantile, after domain_map). The JSON stores rows window-major, [B * N, h(, Q)],
the engine's layout.
"""
import json
import os

import torch
from neuralforecast.losses import pytorch as L

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "point_losses.json")
B, H = 4, 5


def rows(t):
    """[B, h, N(, Q)] -> [B * N, h(, Q)] flattened."""
    t = t.detach()
    t = t.permute(0, 2, 1, 3) if t.ndim == 4 else t.permute(0, 2, 1)
    return [float(v) for v in t.reshape(-1).tolist()]


def case(name, loss, config, n=1, q=1, seed=0, exact=False, benchmark=False):
    g = torch.Generator().manual_seed(seed)
    y = torch.randn(B, H, n, generator=g) * 1.5 + 0.5
    mask = torch.ones(B, H, n)
    mask[1, 2, 0] = 0.0
    mask[3, 0, n - 1] = 0.0
    shape = (B, H, n, q) if q > 1 else (B, H, n)
    yhat = (y.unsqueeze(-1) if q > 1 else y) + torch.randn(*shape, generator=g) * 0.8
    if exact:  # some forecasts hit the target exactly (Accuracy)
        yhat = torch.where(torch.rand(*shape, generator=g) < 0.4, y if q == 1 else y.unsqueeze(-1), yhat)
    yhat = yhat.clone().requires_grad_(True)
    out = {"name": name, "loss": config, "B": B, "h": H, "N": n, "Q": q, "y": rows(y), "mask": rows(mask),
           "yhat": rows(yhat)}
    if benchmark:
        bench = y + torch.randn(B, H, n, generator=g) * 1.2
        value = loss(y=y, y_hat=yhat, y_benchmark=bench, mask=mask)
        out["benchmark"] = rows(bench)
    else:
        value = loss(y=y, y_hat=yhat, y_insample=None, mask=mask)
    out["value"] = float(value)
    if value.requires_grad:
        value.backward()
        out["grad"] = rows(yhat.grad)
    return out


def main():
    hw = torch.tensor([1.0, 2.0, 0.5, 1.0, 3.0])
    cases = [
        case("huberq", L.HuberQLoss(q=0.3, delta=0.5), {"name": "HuberQLoss", "q": 0.3, "delta": 0.5}),
        case("huberq_hw", L.HuberQLoss(q=0.8, horizon_weight=hw),
             {"name": "HuberQLoss", "q": 0.8, "horizon_weight": hw.tolist()}, seed=1),
        case("hubermq", L.HuberMQLoss(level=[80, 90], delta=0.7),
             {"name": "HuberMQLoss", "level": [80, 90], "delta": 0.7}, q=5, seed=2),
        case("hubermq_quantiles_hw", L.HuberMQLoss(quantiles=[0.1, 0.5, 0.9], horizon_weight=hw),
             {"name": "HuberMQLoss", "quantiles": [0.1, 0.5, 0.9], "horizon_weight": hw.tolist()}, q=3, seed=3),
        case("tukey", L.TukeyLoss(), {"name": "TukeyLoss"}, seed=4),
        case("tukey_small_c", L.TukeyLoss(c=0.5, normalize=False), {"name": "TukeyLoss", "c": 0.5, "normalize": False},
             seed=5),
        case("tukey_multivariate", L.TukeyLoss(c=2.0), {"name": "TukeyLoss", "c": 2.0}, n=3, seed=6),
        case("scrps", L.sCRPS(level=[80]), {"name": "sCRPS", "level": [80]}, q=3, seed=7),
        case("accuracy", L.Accuracy(), {"name": "Accuracy"}, seed=8, exact=True),
        case("relmse", L.relMSE(horizon_weight=hw), {"name": "relMSE", "horizon_weight": hw.tolist()}, seed=9,
             benchmark=True),
    ]
    with open(OUT, "w") as f:
        json.dump({"generator": "tests/golden/make_point_loss_goldens.py", "cases": cases}, f)
    print(f"wrote {OUT}: {len(cases)} cases")


if __name__ == "__main__":
    main()
