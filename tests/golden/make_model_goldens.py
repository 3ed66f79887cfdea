#!/usr/bin/env python3
"""Writes tests/golden/models/<model>.json: forward-pass goldens of NeuralForecast models for the
C++ parity tests in tests/models/*_test.cc.

Run: python3 tests/golden/make_model_goldens.py [MODEL ...]   (needs torch==2.13.0, neuralforecast==3.3.0;
     with model names, only those goldens are rewritten)

Each case builds a NeuralForecast model with small hyperparameters (exogenous inputs where named),
switches it to eval(), and calls model(windows_batch) directly (no scaler), recording:
  hparams      keyword arguments in the C++ schema's JSON form (loss as {"name": ..., ...})
  insample_y   [B, L] random inputs (fixed seed), insample_mask [B, L]
  state_dict   name -> {"shape", "values"} (the C++ test copies weights by name)
  n_trainable  number of distinct trainable scalars (model.parameters() dedups shared modules)
  output       [B, h, n_outputs]
Models with BatchNorm get perturbed running statistics; a case with "train": true runs the forward
in train mode (batch statistics; its dropouts are 0) and records the updated running statistics
as running_after.
"""
import json
import os
import warnings

import torch
from neuralforecast.losses.pytorch import MAE, MQLoss
import sys

import numpy as np
from neuralforecast.models import (GRU, LSTM, NBEATS, NHITS, RNN, TCN, TFT, Autoformer, DeepNPTS, FEDformer,
                                 Informer, PatchTST, VanillaTransformer, iTransformer)
from neuralforecast.models import informer as nf_informer

warnings.filterwarnings("ignore")
torch.set_default_dtype(torch.float32)
OUT_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "models")
B = 3
CLASSES = {"NHITS": NHITS, "NBEATS": NBEATS, "RNN": RNN, "LSTM": LSTM, "GRU": GRU, "TCN": TCN,
           "PatchTST": PatchTST, "iTransformer": iTransformer, "VanillaTransformer": VanillaTransformer,
           "Informer": Informer, "Autoformer": Autoformer, "FEDformer": FEDformer,
           "TFT": TFT, "DeepNPTS": DeepNPTS}


def flat(t):
    # 9 significant digits round-trip float32 exactly and keep the files small. Complex tensors
    # (FEDformer's weights) are stored as torch.view_as_real, as the engine keeps them.
    if t.is_complex():
        t = torch.view_as_real(t)
    return [float("%.9g" % v) for v in t.detach().reshape(-1).tolist()]


def loss_of(spec):
    if spec is None:
        return MAE()
    assert spec["name"] == "MQLoss"
    return MQLoss(level=spec["level"])


def case(model, name, hp, seed):
    """One golden: `hp` is what the C++ side passes to make_model (loss as JSON)."""
    torch.manual_seed(seed)
    train = hp.pop("train", False)
    kwargs = {k: v for k, v in hp.items() if k != "loss"}
    m = CLASSES[model](loss=loss_of(hp.get("loss")), **kwargs)
    m.train(train)
    L = hp["input_size"]
    torch.manual_seed(seed + 1000)
    # Perturb every trainable weight a little so that constant initializers (PReLU's 0.25,
    # zero biases) are not what the parity test relies on.
    with torch.no_grad():
        for p in m.parameters():
            if p.requires_grad:
                p.add_(0.05 * torch.randn_like(p))
        for key, buf in m.named_buffers():
            if key.endswith("running_mean"):
                buf.add_(0.3 * torch.randn_like(buf))
            elif key.endswith("running_var"):
                buf.mul_(torch.exp(0.4 * torch.randn_like(buf)))
    N = hp.get("n_series", 1)  # multivariate models see every series of a window: [B, L, N]
    y = torch.randn(B, L, N) * 2.0 + 0.5
    mask = torch.ones(B, L, N)
    # Exogenous inputs as BaseModel._parse_windows hands them to univariate models (multivariate
    # ones get future channels as [B, F, L + h, N]).
    F, X, S = (len(hp.get(k, [])) for k in ("futr_exog_list", "hist_exog_list", "stat_exog_list"))
    futr_shape = (B, F, L + hp["h"], N) if "n_series" in hp else (B, L + hp["h"], F)
    futr = torch.randn(*futr_shape) if F else None
    hist = torch.randn(B, L, X) if X else None
    stat = torch.randn(B, S) if S else None
    batch = {"insample_y": y, "insample_mask": mask, "futr_exog": futr, "hist_exog": hist, "stat_exog": stat}
    # (TFT's attention keeps its -inf causal mask as a buffer: not a weight, and not JSON.)
    sd = {k: v.clone() for k, v in m.state_dict().items() if not k.endswith("._mask")}
    with torch.no_grad():
        out = m(batch)
    # TFT keeps its attention and variable selection weights: record their batch means (the
    # attention also averaged over heads), as TFT.attention_weights / feature_importances read them.
    interp = {}
    for k, v in getattr(m, "interpretability_params", {}).items():
        if isinstance(v, torch.Tensor):
            v = v.mean(dim=0)
            if k == "attn_wts":
                v = v.mean(dim=0)
            interp[k] = {"shape": list(v.shape), "values": flat(v)}
    running = {k: {"shape": list(v.shape), "values": flat(v)} for k, v in m.state_dict().items()
               if train and "running_" in k}
    exog = {k: {"shape": list(v.shape), "values": flat(v)}
            for k, v in (("futr_exog", futr), ("hist_exog", hist), ("stat_exog", stat)) if v is not None}
    return {
        "name": name,
        "hparams": hp,
        "train": train,
        **({"running_after": running} if running else {}),
        **({"interpretability": interp} if interp else {}),
        "B": B,
        "insample_y": flat(y),
        "insample_mask": flat(mask),
        "insample_shape": list(y.shape),
        **exog,
        # The sinusoidal position table (a [1, 5000, d] buffer) is recomputed, not loaded; complex
        # tensors (FEDformer) are written as torch.view_as_real's trailing [.., 2].
        "state_dict": {k: {"shape": list(v.shape) + ([2] if v.is_complex() else []), "values": flat(v)}
                       for k, v in sd.items() if not k.endswith("position_embedding.pe")},
        "n_trainable": sum(p.numel() * (2 if p.is_complex() else 1) for p in m.parameters() if p.requires_grad),
        "output": flat(out),
        "output_shape": list(out.shape),
    }


MQ = {"name": "MQLoss", "level": [80]}
EXOG = dict(futr_exog_list=["f1", "f2"], hist_exog_list=["x1"], stat_exog_list=["s1", "s2", "s3"])

CASES = {
    "NHITS": [
        ("default_small", dict(h=6, input_size=12, mlp_units=[[16, 16], [16, 16]])),
        # ceil-mode pooling (13 / 2, 13 / 3), several blocks per stack, 3 quantile outputs,
        # average pooling, nearest interpolation, PReLU shared across a block's layers.
        ("avg_nearest_mq_prelu", dict(h=7, input_size=13, mlp_units=[[12, 10], [10, 8]], n_blocks=[2, 1, 1],
                                      n_pool_kernel_size=[3, 2, 1], pooling_mode="AvgPool1d",
                                      interpolation_mode="nearest", activation="PReLU", loss=MQ)),
        ("linear_mq_dropout", dict(h=7, input_size=10, mlp_units=[[8, 8]], n_freq_downsample=[3, 2, 1],
                                   dropout_prob_theta=0.3, activation="Tanh", loss=MQ)),
        # exogenous inputs pooled with ceil mode: 11 / 2, 17 / 2, 11 / 3, 17 / 3
        ("exog", dict(h=6, input_size=11, mlp_units=[[8, 8]], n_pool_kernel_size=[2, 3, 1], **EXOG)),
    ],
    "NBEATS": [
        ("default_small", dict(h=6, input_size=12, mlp_units=[[16, 16], [16, 16]])),
        ("shared_prelu_mq", dict(h=5, input_size=9, mlp_units=[[8, 8]], stack_types=["trend", "seasonality"],
                                 n_blocks=[2, 2], shared_weights=True, activation="PReLU", n_harmonics=3,
                                 n_basis=3, loss=MQ)),
        ("legendre", dict(h=6, input_size=10, mlp_units=[[8, 8]], stack_types=["trend"], n_blocks=[1],
                          basis="legendre", n_basis=3)),
        ("chebyshev", dict(h=6, input_size=10, mlp_units=[[8, 8]], stack_types=["trend"], n_blocks=[1],
                           basis="chebyshev", n_basis=3)),
        ("changepoint", dict(h=6, input_size=10, mlp_units=[[8, 8]], stack_types=["trend"], n_blocks=[1],
                             basis="changepoint", n_basis=3)),
        ("piecewise_linear", dict(h=6, input_size=10, mlp_units=[[8, 8]], stack_types=["trend"], n_blocks=[1],
                                  basis="piecewise_linear", n_basis=3)),
        ("linear_hat", dict(h=6, input_size=10, mlp_units=[[8, 8]], stack_types=["trend"], n_blocks=[1],
                            basis="linear_hat", n_basis=3)),
        ("spline", dict(h=6, input_size=10, mlp_units=[[8, 8]], stack_types=["trend"], n_blocks=[1],
                        basis="spline", n_basis=5)),
    ],
    "RNN": [
        ("default_small", dict(h=6, input_size=12, encoder_hidden_size=16, decoder_hidden_size=16)),
        # h > input_size: the hidden sequence is upsampled in time by a linear layer.
        ("upsample_mq", dict(h=8, input_size=5, encoder_hidden_size=8, encoder_n_layers=1, decoder_hidden_size=8,
                             decoder_layers=3, decoder_activation="Tanh", loss=MQ)),
        ("exog", dict(h=4, input_size=7, encoder_hidden_size=8, decoder_hidden_size=8, **EXOG)),
        ("exog_upsample", dict(h=9, input_size=7, encoder_hidden_size=8, decoder_hidden_size=8, **EXOG)),
    ],
    "LSTM": [
        ("default_small", dict(h=6, input_size=12, encoder_hidden_size=16, decoder_hidden_size=16)),
        ("upsample_mq", dict(h=8, input_size=5, encoder_hidden_size=8, encoder_n_layers=3, decoder_hidden_size=8,
                             decoder_layers=1, loss=MQ)),
        ("exog", dict(h=4, input_size=7, encoder_hidden_size=8, decoder_hidden_size=8, **EXOG)),
    ],
    "GRU": [
        ("default_small", dict(h=6, input_size=12, encoder_hidden_size=16, decoder_hidden_size=16)),
        ("upsample_mq", dict(h=8, input_size=5, encoder_hidden_size=8, decoder_hidden_size=8,
                             decoder_activation="PReLU", decoder_layers=3, loss=MQ)),
    ],
    "TCN": [
        ("default_small", dict(h=6, input_size=12, dilations=[1, 2, 4], encoder_hidden_size=8,
                               decoder_hidden_size=8)),
        ("k3_tanh_mq", dict(h=7, input_size=9, kernel_size=3, dilations=[1, 2, 4, 8], encoder_hidden_size=6,
                            encoder_activation="Tanh", decoder_hidden_size=5, decoder_layers=3,
                            decoder_activation="GELU", loss=MQ)),
        ("exog_prelu", dict(h=5, input_size=8, dilations=[1, 2], encoder_hidden_size=6, encoder_activation="PReLU",
                            decoder_hidden_size=6, **EXOG)),
    ],
    "DeepNPTS": [
        # BatchNorm with perturbed running statistics (eval), then batch statistics (train, dropout 0).
        ("default_small", dict(h=6, input_size=12, hidden_size=16)),
        ("train_batch_norm", dict(h=5, input_size=10, hidden_size=8, n_layers=3, dropout=0.0, train=True)),
        ("exog_no_batch_norm", dict(h=4, input_size=8, hidden_size=8, batch_norm=False, **EXOG)),
    ],
    "PatchTST": [
        # NF defaults at a small size: residual attention, RevIN subtracting the last value,
        # post-norm BatchNorm (perturbed running statistics), GELU.
        ("default_small", dict(h=6, input_size=24, hidden_size=16, n_heads=4, linear_hidden_size=32,
                               encoder_layers=2, patch_len=8, stride=4)),
        # plain attention, affine RevIN around the mean, pre-norm, ReLU, frozen position embedding,
        # 3 quantile outputs.
        ("plain_affine_prenorm_mq", dict(h=5, input_size=20, hidden_size=12, n_heads=3, linear_hidden_size=16,
                                         encoder_layers=3, patch_len=6, stride=3, res_attention=False,
                                         revin_affine=True, revin_subtract_last=False, batch_normalization=True,
                                         activation="relu", learn_pos_embed=False, loss=MQ)),
        ("no_revin_capped_patch", dict(h=4, input_size=7, hidden_size=8, n_heads=2, linear_hidden_size=8,
                                       encoder_layers=1, patch_len=16, stride=4, revin=False)),
        # train mode: BatchNorm on batch statistics (running statistics updated), dropouts 0.
        ("train_mode_batchnorm", dict(h=6, input_size=24, hidden_size=16, n_heads=4, linear_hidden_size=32,
                                      encoder_layers=2, patch_len=8, stride=4, dropout=0.0, fc_dropout=0.0,
                                      train=True)),
    ],
    "iTransformer": [
        ("default_small", dict(h=6, input_size=16, n_series=4, hidden_size=16, n_heads=4, d_ff=32)),
        # three quantiles (NF's [B, h, Q * N] output layout), one layer, no normalization
        ("mq_no_norm", dict(h=5, input_size=12, n_series=3, hidden_size=12, n_heads=2, e_layers=1, d_ff=8,
                            use_norm=False, loss=MQ)),
        ("one_series_three_layers", dict(h=4, input_size=10, n_series=1, hidden_size=8, n_heads=1, e_layers=3,
                                         d_ff=16)),
        # future exogenous tokens: one per (series, feature), attended to, not projected
        ("futr_exog_mq", dict(h=5, input_size=12, n_series=3, hidden_size=16, n_heads=4, d_ff=16, loss=MQ,
                              futr_exog_list=["f1", "f2"])),
    ],
    # Informer: every ProbAttention selects all its queries (factor * ceil(ln L) >= L for the
    # encoder lengths, distilled ones included, and label_len + h), so the outputs do not depend on
    # the randomly sampled keys; prob_attention_cases() tests the sparse selection itself.
    "VanillaTransformer": [
        ("default_small", dict(h=6, input_size=12, hidden_size=16, n_head=4, conv_hidden_size=16)),
        ("relu_mq_exog", dict(h=5, input_size=10, hidden_size=8, n_head=2, conv_hidden_size=8, activation="relu",
                              encoder_layers=1, decoder_layers=2, decoder_input_size_multiplier=0.3, loss=MQ,
                              futr_exog_list=["f1", "f2"])),
        ("one_head_three_layers", dict(h=4, input_size=9, hidden_size=6, n_head=1, conv_hidden_size=0,
                                       encoder_layers=3)),
    ],
    "Informer": [
        ("default_small", dict(h=4, input_size=8, hidden_size=16, n_head=4, conv_hidden_size=16)),
        ("exog_mq_three_layers", dict(h=6, input_size=16, factor=6, hidden_size=8, n_head=2, conv_hidden_size=8,
                                      encoder_layers=3, loss=MQ, futr_exog_list=["f1", "f2"])),
        ("no_distil_relu", dict(h=5, input_size=10, factor=5, hidden_size=8, n_head=2, conv_hidden_size=8,
                                distil=False, activation="relu", decoder_layers=2)),
        # train mode: the distilling BatchNorm on batch statistics (running statistics updated).
        ("train_mode_batchnorm", dict(h=4, input_size=8, hidden_size=8, n_head=2, conv_hidden_size=8, dropout=0.0,
                                      train=True)),
    ],
    "Autoformer": [
        ("default_small", dict(h=6, input_size=24, hidden_size=16, n_head=4, conv_hidden_size=8,
                               MovingAvg_window=5)),
        # odd window (the correlation has L - 1 lags, as torch's default irfft length), ReLU, two
        # decoder layers, 3 quantile outputs, future exogenous in both embeddings.
        ("odd_relu_mq_exog", dict(h=5, input_size=15, hidden_size=12, n_head=3, conv_hidden_size=6, factor=2,
                                  activation="relu", decoder_layers=2, decoder_input_size_multiplier=0.4,
                                  MovingAvg_window=7, futr_exog_list=["f1", "f2"], loss=MQ)),
        # train mode (dropouts 0): delays chosen from the batch-mean correlation.
        ("train_mode_aggregation", dict(h=6, input_size=24, hidden_size=16, n_head=4, conv_hidden_size=8,
                                        MovingAvg_window=5, dropout=0.0, train=True)),
    ],
    "FEDformer": [
        # NF's 'random' modes (seeded NumPy draw), 4 of 12 / 9.
        ("default_small_random_modes", dict(h=6, input_size=24, hidden_size=16, modes=4, conv_hidden_size=8,
                                            MovingAvg_window=5)),
        # every mode (the 'low' selection), odd decoder length, ReLU, shared blocks over 2 + 2 layers,
        # 3 quantile outputs, future exogenous.
        ("all_modes_relu_mq_exog", dict(h=5, input_size=15, hidden_size=16, modes=64, mode_select="low",
                                        conv_hidden_size=6, activation="relu", decoder_layers=2,
                                        MovingAvg_window=7, futr_exog_list=["f1", "f2"], loss=MQ)),
        ("seed3_random_modes", dict(h=8, input_size=32, hidden_size=24, modes=5, conv_hidden_size=8,
                                    encoder_layers=1, MovingAvg_window=9, random_seed=3)),
    ],
    "TFT": [
        ("default_small", dict(h=6, input_size=12, hidden_size=16, n_head=4)),
        # every exogenous kind, two LSTM layers with per-layer static initial states
        ("exog_two_layers", dict(h=5, input_size=8, hidden_size=8, n_head=2, n_rnn_layers=2, **EXOG)),
        # GRU, one shared initial state, GELU GRNs, 3 quantile outputs, h > input_size
        ("gru_one_state_gelu_mq", dict(h=9, input_size=4, hidden_size=12, n_head=3, rnn_type="gru", n_rnn_layers=2,
                                       one_rnn_initial_state=True, grn_activation="GELU", stat_exog_list=["s1"],
                                       hist_exog_list=["x1", "x2"], loss=MQ)),
        # one future and one static variable (1-wide joint GRNs: no LayerNorm), two target
        # embeddings, LeakyReLU
        ("single_vars_tgt2", dict(h=4, input_size=6, hidden_size=8, n_head=1, tgt_size=2, grn_activation="LeakyReLU",
                                  futr_exog_list=["f1"], stat_exog_list=["s1"])),
    ],
}


def prob_attention_cases():
    """NF's ProbAttention with the key sample injected (torch.randint patched): sparse selection
    (u < L_Q) for the encoder, cross and causal decoder cases. q, k, v are stored as [B, H, L, E]
    (the layout after ProbAttention's transposes); top = the selected queries per (window, head),
    ascending; output = the context [B, H, L_Q, D]."""
    out = []
    specs = [("encoder", False, 20, 20), ("cross", False, 16, 11), ("causal_decoder", True, 24, 24)]
    for n, (name, mask, LQ, LK) in enumerate(specs):
        torch.manual_seed(100 + n)
        B, H, E, factor = 2, 2, 4, 2
        q, k, v = torch.randn(B, LQ, H, E), torch.randn(B, LK, H, E), torch.randn(B, LK, H, E)
        U = min(factor * int(np.ceil(np.log(LK))), LK)
        u = min(factor * int(np.ceil(np.log(LQ))), LQ)
        idx = torch.randint(LK, (LQ, U))
        pa = nf_informer.ProbAttention(mask, factor, attention_dropout=0.0)
        tops = []
        orig_qk, orig_randint = pa._prob_QK, torch.randint

        def record(*a, **kw):
            r = orig_qk(*a, **kw)
            tops.append(r[1])
            return r

        pa._prob_QK = record
        torch.randint = lambda *a, **kw: idx
        try:
            with torch.no_grad():
                ctx, _ = pa(q, k, v, None)
        finally:
            torch.randint = orig_randint
        top = torch.sort(tops[0].reshape(B * H, u), dim=-1)[0]
        tr = lambda t: t.transpose(1, 2).contiguous()
        out.append({"name": name, "causal": mask, "factor": factor, "shape_q": [B, H, LQ, E], "shape_k": [B, H, LK, E],
                    "q": flat(tr(q)), "k": flat(tr(k)), "v": flat(tr(v)), "index_sample": idx.reshape(-1).tolist(),
                    "sample_k": U, "n_top": u, "top": top.reshape(-1).tolist(), "output": flat(ctx)})
    return out


def main():
    os.makedirs(OUT_DIR, exist_ok=True)
    wanted = set(sys.argv[1:]) or set(CASES)
    for model, cases in CASES.items():
        if model not in wanted:
            continue
        doc = {"model": model, "generator": "tests/golden/make_model_goldens.py",
               "torch": torch.__version__, "cases": []}
        for k, (name, hp) in enumerate(cases):
            doc["cases"].append(case(model, name, dict(hp), seed=17 * (k + 1)))
        if model == "Informer":
            doc["prob_attention"] = prob_attention_cases()
        path = os.path.join(OUT_DIR, model.lower() + ".json")
        with open(path, "w") as f:
            json.dump(doc, f, separators=(",", ":"))
        print("wrote", path, os.path.getsize(path), "bytes")


if __name__ == "__main__":
    main()
