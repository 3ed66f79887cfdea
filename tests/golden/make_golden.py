#!/usr/bin/env python3
"""Writes tests/golden/torch_parity.json: inputs, weights, outputs and gradients of PyTorch 2.13
layers, optimizers, schedulers and NeuralForecast losses, for tests/parity/torch_parity_test.cc.

Run: python3 tests/golden/make_golden.py   (needs torch==2.13.0; neuralforecast for the losses)
Each case records the objective sum(out * R) with a fixed random R so gradients are comparable.
"""
import json
import os
import sys

import torch

torch.manual_seed(0)
torch.set_default_dtype(torch.float32)
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "torch_parity.json")


def flat(t):
    return [float(v) for v in t.detach().reshape(-1).tolist()]


def module_case(name, module, x, extra=None):
    """Forward + backward of `module` on x; records named parameters and their gradients."""
    x = x.clone().requires_grad_(True)
    out = module(x)
    if isinstance(out, tuple):  # RNNs: (y, h_n) or (y, (h_n, c_n))
        out = out[0]
    r = torch.randn_like(out)
    (out * r).sum().backward()
    case = {
        "name": name,
        "x": flat(x), "x_shape": list(x.shape),
        "r": flat(r),
        "out": flat(out), "out_shape": list(out.shape),
        "grad_x": flat(x.grad),
        "params": {k: flat(v) for k, v in module.named_parameters()},
        "param_shapes": {k: list(v.shape) for k, v in module.named_parameters()},
        "grads": {k: flat(v.grad) for k, v in module.named_parameters()},
    }
    case.update(extra or {})
    return case


def functional_case(name, fn, x):
    """A parameter-free op: output and input gradient of sum(out * R)."""
    x = x.clone().requires_grad_(True)
    out = fn(x)
    r = torch.randn_like(out)
    (out * r).sum().backward()
    return {"name": name, "x": flat(x), "x_shape": list(x.shape), "r": flat(r), "out": flat(out),
            "out_shape": list(out.shape), "grad_x": flat(x.grad)}


def functional_cases():
    F = torch.nn.functional
    x3 = torch.randn(2, 3, 11)
    xa = torch.randn(4, 9) * 3
    return [
        functional_case("max_pool1d_ceil", lambda x: F.max_pool1d(x, 2, 2, ceil_mode=True), x3),
        functional_case("max_pool1d_pad", lambda x: F.max_pool1d(x, 3, 2, padding=1), x3),
        functional_case("avg_pool1d_ceil_pad", lambda x: F.avg_pool1d(x, 3, 2, padding=1, ceil_mode=True), x3),
        functional_case("avg_pool1d_nopad_count", lambda x: F.avg_pool1d(x, 4, 3, padding=2,
                                                                         count_include_pad=False), x3),
        functional_case("interp_up", lambda x: F.interpolate(x, size=24, mode="linear"), x3),
        functional_case("interp_down", lambda x: F.interpolate(x, size=4, mode="linear"), x3),
        functional_case("interp_align", lambda x: F.interpolate(x, size=17, mode="linear", align_corners=True), x3),
        functional_case("softmax", lambda x: F.softmax(x, dim=-1), xa),
        functional_case("log_softmax", lambda x: F.log_softmax(x, dim=-1), xa),
        functional_case("relu", F.relu, xa),
        functional_case("leaky_relu", lambda x: F.leaky_relu(x, 0.01), xa),
        functional_case("elu", F.elu, xa),
        functional_case("selu", F.selu, xa),
        functional_case("gelu", F.gelu, xa),
        functional_case("silu", F.silu, xa),
        functional_case("tanh", torch.tanh, xa),
        functional_case("sigmoid", torch.sigmoid, xa),
        functional_case("softplus", F.softplus, torch.cat([xa, xa * 10], 1)),
        functional_case("softsign", F.softsign, xa),
    ]


def optimizer_case(name, make_opt, steps=6):
    p = torch.nn.Parameter(torch.randn(13))
    p0 = flat(p)
    opt = make_opt([p])
    grads = []
    traj = []
    for _ in range(steps):
        g = torch.randn(13)
        grads.append(flat(g))
        p.grad = g.clone()
        opt.step()
        traj.append(flat(p))
    return {"name": name, "p0": p0, "grads": grads, "traj": traj}


def scheduler_case(name, make, steps=40):
    p = torch.nn.Parameter(torch.zeros(1))
    opt = torch.optim.SGD([p], lr=0.1)
    sch = make(opt)
    lrs = [opt.param_groups[0]["lr"]]
    for _ in range(steps):
        opt.step()
        sch.step()
        lrs.append(opt.param_groups[0]["lr"])
    return {"name": name, "lrs": lrs}


def loss_cases():
    try:
        from neuralforecast.losses import pytorch as L
    except Exception as e:  # noqa: BLE001
        print("neuralforecast not importable, skipping loss goldens:", e, file=sys.stderr)
        return []
    y = torch.randn(4, 6, 1) * 2 + 1
    y[1, 2, 0] = 0.0  # exercises divide-no-nan in MAPE / SMAPE
    mask = torch.ones(4, 6, 1)
    mask[0, 3, 0] = 0.0
    mask[2, 5, 0] = 0.0
    ins = torch.randn(4, 10, 1)
    hw = torch.tensor([1.0, 2.0, 0.5, 1.0, 3.0, 1.0])
    specs = [
        ("MAE", L.MAE(), 1), ("MSE", L.MSE(), 1), ("RMSE", L.RMSE(), 1), ("MAPE", L.MAPE(), 1),
        ("SMAPE", L.SMAPE(), 1), ("MASE", L.MASE(seasonality=2), 1), ("HuberLoss", L.HuberLoss(delta=0.7), 1),
        ("QuantileLoss", L.QuantileLoss(q=0.3), 1), ("MQLoss", L.MQLoss(level=[80, 90]), 5),
        ("MAE_hw", L.MAE(horizon_weight=hw), 1), ("MQLoss_q", L.MQLoss(quantiles=[0.1, 0.5, 0.9]), 3),
    ]
    out = []
    for name, loss, q in specs:
        yhat = (torch.randn(4, 6, q) * 2 + 1).requires_grad_(True)
        yh = loss.domain_map(yhat)
        # MASE: NF's formula assumes y_insample [B, L]; with [B, L, 1] its scale broadcasts across the
        # batch (scale[:, None, None] -> [B, 1, 1, 1]). The per-series formula is the documented one.
        insample = ins[..., 0] if name == "MASE" else ins
        val = loss(y=y, y_hat=yh, y_insample=insample, mask=mask)
        val.backward()
        out.append({"name": name, "y": flat(y), "mask": flat(mask), "y_insample": flat(ins), "y_hat": flat(yhat),
                    "q": q, "value": float(val.detach()), "grad": flat(yhat.grad),
                    "output_names": list(getattr(loss, "output_names", [])),
                    "quantiles": flat(loss.quantiles) if hasattr(loss, "quantiles") else []})
    return out


def scaler_cases():
    """NeuralForecast's TemporalNorm (per-window) and coreforecast's local scalers."""
    try:
        from neuralforecast.common._scalers import TemporalNorm
        import numpy as np
        from coreforecast.grouped_array import GroupedArray
        import coreforecast.scalers as cs
    except Exception as e:  # noqa: BLE001
        print("neuralforecast/coreforecast not importable, skipping scaler goldens:", e, file=sys.stderr)
        return {}
    x = torch.randn(5, 12, 1) * 3 + 2
    x[1] = 4.0  # constant window: zero spread
    x[2, :6] = torch.tensor([1.0, 1.0, 1.0, 1.0, 1.0, 9.0]).unsqueeze(-1)  # mad 0 -> std fallback
    mask = torch.ones(5, 12, 1)
    mask[3, :5] = 0.0  # padded start
    mask[4, ::2] = 0.0
    windows = []
    for t in ["identity", "standard", "robust", "minmax", "minmax1", "invariant"]:
        norm = TemporalNorm(scaler_type=t, dim=1)
        z = norm.transform(x=x.clone(), mask=mask)
        windows.append({"type": t, "shift": flat(norm.x_shift), "scale": flat(norm.x_scale), "z": flat(z)})
    values = np.concatenate([np.random.RandomState(0).randn(9) * 5 + 1, [3.0] * 4,
                             np.random.RandomState(1).rand(8) * 100]).astype(np.float64)
    indptr = np.array([0, 9, 13, 21])
    ga = GroupedArray(values, indptr)
    local = []
    for name, sc in [("standard", cs.LocalStandardScaler()), ("robust", cs.LocalRobustScaler(scale="mad")),
                     ("robust-iqr", cs.LocalRobustScaler(scale="iqr")), ("minmax", cs.LocalMinMaxScaler())]:
        sc.fit(ga)
        local.append({"type": name, "stats": sc.stats_.reshape(-1).tolist(), "z": sc.transform(ga).tolist()})
    return {"x": flat(x), "mask": flat(mask), "rows": 5, "len": 12, "windows": windows,
            "local_values": values.tolist(), "local_indptr": indptr.tolist(), "local": local}


def sdpa_case(name, q, k, v, key_mask=None, **kw):
    """torch.nn.functional.scaled_dot_product_attention: output and q/k/v gradients of sum(out * R).
    key_mask [B, Lk] (True = attend) becomes SDPA's boolean attn_mask [B, 1, 1, Lk]."""
    q, k, v = (t.clone().requires_grad_(True) for t in (q, k, v))
    mask = None if key_mask is None else key_mask[:, None, None, :]
    out = torch.nn.functional.scaled_dot_product_attention(q, k, v, attn_mask=mask, **kw)
    r = torch.randn_like(out)
    (out * r).sum().backward()
    case = {"name": name, "q": flat(q), "k": flat(k), "v": flat(v), "q_shape": list(q.shape),
            "k_shape": list(k.shape), "v_shape": list(v.shape), "causal": bool(kw.get("is_causal", False)),
            "scale": float(kw.get("scale") or 0.0), "r": flat(r), "out": flat(out), "out_shape": list(out.shape),
            "grad_q": flat(q.grad), "grad_k": flat(k.grad), "grad_v": flat(v.grad)}
    if key_mask is not None:
        case["key_padding_mask"] = [int(b) for b in key_mask.reshape(-1).tolist()]
    return case


def attention_cases():
    """SDPA at odd lengths (self, causal, cross, causal cross, padding) and NeuralForecast's
    AttentionLayer(FullAttention) as a module. Seeded separately so that adding these cases leaves
    every earlier golden unchanged."""
    torch.manual_seed(1234)
    rn = torch.randn
    key_mask = torch.rand(2, 40) < 0.75
    key_mask[:, 0] = True
    cases = [
        sdpa_case("sdpa_self", rn(2, 3, 37, 24), rn(2, 3, 37, 24), rn(2, 3, 37, 24)),
        sdpa_case("sdpa_causal", rn(2, 3, 70, 16), rn(2, 3, 70, 16), rn(2, 3, 70, 16), is_causal=True),
        sdpa_case("sdpa_cross", rn(2, 2, 37, 24), rn(2, 2, 133, 24), rn(2, 2, 133, 16)),
        sdpa_case("sdpa_cross_causal", rn(1, 2, 53, 8), rn(1, 2, 37, 8), rn(1, 2, 37, 8), is_causal=True),
        sdpa_case("sdpa_padding_scale", rn(2, 2, 21, 16), rn(2, 2, 40, 16) * 2, rn(2, 2, 40, 16), key_mask=key_mask,
                  scale=0.3),
    ]
    modules = []
    try:
        from neuralforecast.common._modules import AttentionLayer, FullAttention

        class SelfAttention(AttentionLayer):  # module_case feeds one input: queries = keys = values
            def forward(self, x):
                return super().forward(x, x, x, None)[0]

        layer = SelfAttention(FullAttention(mask_flag=False, attention_dropout=0.0), hidden_size=16, n_heads=4)
        modules.append(module_case("nf_attention_layer", layer, rn(2, 29, 16), {"hidden_size": 16, "n_heads": 4}))
    except Exception as e:  # noqa: BLE001
        print("neuralforecast not importable, skipping the AttentionLayer golden:", e, file=sys.stderr)
    return {"sdpa": cases, "modules": modules}


def main():
    assert torch.__version__.startswith("2.13"), f"expected torch 2.13, got {torch.__version__}"
    torch.set_num_threads(1)
    cases = []
    cases.append(module_case("linear", torch.nn.Linear(5, 4), torch.randn(3, 5)))
    cases.append(module_case("conv1d", torch.nn.Conv1d(3, 4, 3, stride=1, padding=1, dilation=2),
                             torch.randn(2, 3, 10), {"stride": 1, "padding": 1, "dilation": 2}))
    cases.append(module_case("conv1d_strided", torch.nn.Conv1d(2, 3, 4, stride=2, padding=0),
                             torch.randn(2, 2, 11), {"stride": 2, "padding": 0, "dilation": 1}))
    cases.append(module_case("layernorm", torch.nn.LayerNorm(8), torch.randn(3, 8) * 3 + 1))
    cases.append(module_case("lstm", torch.nn.LSTM(3, 6, num_layers=2, batch_first=True), torch.randn(2, 5, 3)))
    cases.append(module_case("gru", torch.nn.GRU(3, 6, num_layers=2, batch_first=True), torch.randn(2, 5, 3)))
    cases.append(module_case("rnn", torch.nn.RNN(3, 6, num_layers=1, batch_first=True), torch.randn(2, 5, 3)))
    opts = [
        optimizer_case("sgd", lambda p: torch.optim.SGD(p, lr=0.1)),
        optimizer_case("sgd_nesterov", lambda p: torch.optim.SGD(p, lr=0.1, momentum=0.9, nesterov=True,
                                                                 weight_decay=0.01)),
        optimizer_case("sgd_momentum_dampening", lambda p: torch.optim.SGD(p, lr=0.05, momentum=0.8,
                                                                           dampening=0.3)),
        optimizer_case("adam", lambda p: torch.optim.Adam(p, lr=0.01)),
        optimizer_case("adam_l2", lambda p: torch.optim.Adam(p, lr=0.01, weight_decay=0.1)),
        optimizer_case("adamw", lambda p: torch.optim.AdamW(p, lr=0.01, weight_decay=0.1)),
    ]
    scheds = [
        scheduler_case("steplr_nf", lambda o: torch.optim.lr_scheduler.StepLR(o, step_size=max(40 // 3, 1),
                                                                               gamma=0.5)),
        scheduler_case("cosine", lambda o: torch.optim.lr_scheduler.CosineAnnealingLR(o, T_max=40, eta_min=0.001)),
        scheduler_case("onecycle", lambda o: torch.optim.lr_scheduler.OneCycleLR(o, max_lr=0.1, total_steps=41)),
    ]
    doc = {"torch": torch.__version__, "modules": cases, "functional": functional_cases(), "optimizers": opts, "schedulers": scheds,
           "losses": loss_cases(), "scalers": scaler_cases()}
    doc["attention"] = attention_cases()  # last: its own seed, earlier cases unchanged
    with open(OUT, "w") as f:
        json.dump(doc, f)
    print("wrote", OUT, "with", len(cases), "modules,", len(opts), "optimizers,", len(scheds), "schedulers,",
          len(doc["losses"]), "losses")


if __name__ == "__main__":
    main()
