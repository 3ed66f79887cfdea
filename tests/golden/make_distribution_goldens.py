#!/usr/bin/env python3
"""Writes tests/golden/distribution_losses.json: NeuralForecast 3.3's distribution losses (every
DistributionLoss distribution we have and the GMM / PMM / NBMM mixtures) evaluated on fixed raw
network outputs, targets, masks and window scales: the loss value, its gradient with respect to
the raw outputs, the decoupled distribution parameters and the distributions' means. Read by
tests/losses/distribution_test.cc.

Run: python3 tests/golden/make_distribution_goldens.py   (needs torch==2.13.0 and neuralforecast 3.3)
The inputs follow NeuralForecast's training step: raw [B, h, P] -> loss.domain_map ->
loss.scale_decouple(loc, scale [B, 1, 1]) -> loss(y [B, h, 1], distr_args, mask [B, h, 1]).
"""
import json
import os

import torch
from neuralforecast.losses import pytorch as L

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "distribution_losses.json")
B, H = 4, 5


def flat(t):
    return [float(v) for v in t.detach().reshape(-1).tolist()]


def targets(kind, g):
    if kind == "count":
        return torch.poisson(torch.rand(B, H, 1, generator=g) * 6.0, generator=g)
    if kind == "binary":
        return (torch.rand(B, H, 1, generator=g) > 0.5).float()
    return torch.randn(B, H, 1, generator=g) * 2.0 + 1.0


def case(name, loss, kind, positive_loc=False, seed=0):
    g = torch.Generator().manual_seed(seed)
    P = loss.outputsize_multiplier
    raw = (torch.randn(B, H, P, generator=g) * 0.7).requires_grad_(True)
    y = targets(kind, g)
    mask = torch.ones(B, H, 1)
    mask[1, 2, 0] = 0.0
    mask[3, 0, 0] = 0.0
    loc = torch.rand(B, 1, 1, generator=g) * 2.0 + (0.5 if positive_loc else -1.0)
    scale = torch.rand(B, 1, 1, generator=g) * 1.5 + 0.5
    out = loss.domain_map(raw)
    distr_args = loss.scale_decouple(output=out, loc=loc, scale=scale)
    value = loss(y=y, distr_args=distr_args, mask=mask)
    value.backward()
    # return_params' layout: the decoupled arguments stacked on a last axis (mixtures: per component)
    params = torch.stack([a.detach() for a in distr_args if torch.is_tensor(a)], dim=-1).reshape(B, H, -1)
    kw = loss.distribution_kwargs if isinstance(loss, L.DistributionLoss) else {}
    mean = loss.get_distribution(distr_args=distr_args, **kw).mean.detach().reshape(B, H)
    return {"name": name, "loss": loss_config(loss, name), "B": B, "h": H, "P": P, "raw": flat(raw), "y": flat(y),
            "mask": flat(mask), "loc": flat(loc), "scale": flat(scale), "value": float(value), "grad": flat(raw.grad),
            "params": flat(params), "mean": flat(mean)}


CONFIGS = {}


def loss_config(loss, name):
    return CONFIGS[name]


def add(name, cfg, loss, kind, positive_loc=False):
    CONFIGS[name] = cfg
    return case(name, loss, kind, positive_loc, seed=len(CONFIGS))


def main():
    assert torch.__version__.startswith("2.13"), torch.__version__
    torch.set_num_threads(1)
    hw = [1.0, 0.5, 2.0, 1.0, 0.25]
    cases = [
        add("normal", {"name": "DistributionLoss", "distribution": "Normal"}, L.DistributionLoss("Normal"), "real"),
        add("normal_hw", {"name": "DistributionLoss", "distribution": "Normal", "horizon_weight": hw},
            L.DistributionLoss("Normal", horizon_weight=torch.tensor(hw)), "real"),
        add("studentt", {"name": "DistributionLoss", "distribution": "StudentT"}, L.DistributionLoss("StudentT"),
            "real"),
        add("poisson", {"name": "DistributionLoss", "distribution": "Poisson"}, L.DistributionLoss("Poisson"),
            "count"),
        add("negbin", {"name": "DistributionLoss", "distribution": "NegativeBinomial"},
            L.DistributionLoss("NegativeBinomial"), "count", positive_loc=True),
        add("bernoulli", {"name": "DistributionLoss", "distribution": "Bernoulli"}, L.DistributionLoss("Bernoulli"),
            "binary"),
        add("tweedie", {"name": "DistributionLoss", "distribution": "Tweedie", "rho": 1.5},
            L.DistributionLoss("Tweedie", rho=1.5), "count", positive_loc=True),
        add("gmm", {"name": "GMM", "n_components": 3}, L.GMM(n_components=3), "real"),
        add("gmm_weighted", {"name": "GMM", "n_components": 3, "weighted": True}, L.GMM(n_components=3, weighted=True),
            "real"),
        add("gmm_horizon_corr", {"name": "GMM", "n_components": 2, "horizon_correlation": True},
            L.GMM(n_components=2, horizon_correlation=True), "real"),
        add("pmm", {"name": "PMM", "n_components": 4}, L.PMM(n_components=4), "count"),
        add("pmm_weighted_batch_corr", {"name": "PMM", "n_components": 2, "weighted": True, "batch_correlation": True},
            L.PMM(n_components=2, weighted=True, batch_correlation=True), "count"),
        add("nbmm", {"name": "NBMM", "n_components": 2}, L.NBMM(n_components=2), "count", positive_loc=True),
        add("nbmm_weighted", {"name": "NBMM", "n_components": 3, "weighted": True},
            L.NBMM(n_components=3, weighted=True), "count", positive_loc=True),
    ]
    with open(OUT, "w") as f:
        json.dump({"torch": torch.__version__, "cases": cases}, f)
    print("wrote", OUT, "with", len(cases), "cases")


if __name__ == "__main__":
    main()
