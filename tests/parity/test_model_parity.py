"""Every engine model against NeuralForecast's PyTorch model with the same hyperparameters and
the same weights (copied through neurodivergent.compat's name mapping): forward outputs agree
within 1e-4 relative, and so do the loss and gradients of one training step. Multivariate models
(iTransformer) take NF's layouts: insample [B, L, N], future inputs [B, F, L + h, N], targets
[B, h, N]."""
import json
import logging

import numpy as np
import pytest
import torch

import neuralforecast.models as nfm
from neuralforecast.losses.pytorch import MAE as NF_MAE
from neuralforecast.losses.pytorch import MQLoss as NF_MQLoss

from neurodivergent import _core
from neurodivergent.compat import load_into, loss_from_neuralforecast, map_state_dict

logging.getLogger("lightning").setLevel(logging.ERROR)
logging.getLogger("lightning_fabric").setLevel(logging.ERROR)
logging.getLogger("pytorch_lightning").setLevel(logging.ERROR)

EXOG = dict(futr_exog_list=["f1", "f2"], hist_exog_list=["x1"], stat_exog_list=["s1", "s2"])

# (model, case name, hyperparameters): small sizes, several code paths per model.
CASES = [
    ("MLP", "small", dict(h=6, input_size=12, num_layers=2, hidden_size=16)),
    ("MLP", "exog_mq", dict(h=5, input_size=9, num_layers=3, hidden_size=8, loss="MQ", **EXOG)),
    ("NLinear", "small", dict(h=6, input_size=12)),
    ("DLinear", "small", dict(h=6, input_size=24, moving_avg_window=5)),
    ("DLinear", "mq", dict(h=4, input_size=15, moving_avg_window=7, loss="MQ")),
    ("NHITS", "small", dict(h=6, input_size=12, mlp_units=[[16, 16], [16, 16]])),
    ("NHITS", "avg_nearest_mq", dict(h=7, input_size=13, mlp_units=[[12, 10]], n_blocks=[2, 1, 1],
                                     pooling_mode="AvgPool1d", interpolation_mode="nearest", loss="MQ")),
    ("NHITS", "exog", dict(h=6, input_size=11, mlp_units=[[8, 8]], n_pool_kernel_size=[2, 3, 1], **EXOG)),
    ("NBEATS", "generic", dict(h=6, input_size=12, mlp_units=[[16, 16], [16, 16]])),
    ("NBEATS", "trend_seasonality", dict(h=5, input_size=9, mlp_units=[[8, 8]], stack_types=["trend", "seasonality"],
                                         n_blocks=[2, 2], n_harmonics=2, n_polynomials=2)),
    ("RNN", "small", dict(h=6, input_size=12, encoder_hidden_size=16, decoder_hidden_size=16)),
    ("RNN", "exog", dict(h=4, input_size=7, encoder_hidden_size=8, decoder_hidden_size=8, **EXOG)),
    ("LSTM", "small", dict(h=6, input_size=12, encoder_hidden_size=16, decoder_hidden_size=16)),
    ("LSTM", "deep_mq", dict(h=8, input_size=5, encoder_hidden_size=8, encoder_n_layers=3, decoder_hidden_size=8,
                             loss="MQ")),
    ("LSTM", "exog", dict(h=4, input_size=7, encoder_hidden_size=8, decoder_hidden_size=8, **EXOG)),
    ("GRU", "small", dict(h=6, input_size=12, encoder_hidden_size=16, decoder_hidden_size=16)),
    ("TCN", "small", dict(h=6, input_size=12, dilations=[1, 2, 4], encoder_hidden_size=8, decoder_hidden_size=8)),
    ("TCN", "exog", dict(h=5, input_size=8, dilations=[1, 2], encoder_hidden_size=6, decoder_hidden_size=6, **EXOG)),
    ("PatchTST", "small", dict(h=6, input_size=16, patch_len=4, stride=4, encoder_layers=2, n_heads=2,
                               hidden_size=8, linear_hidden_size=16)),
    ("PatchTST", "no_res_attention", dict(h=5, input_size=20, patch_len=6, stride=3, encoder_layers=1, n_heads=2,
                                          hidden_size=8, linear_hidden_size=8, res_attention=False)),
    ("VanillaTransformer", "small", dict(h=6, input_size=12, hidden_size=16, n_head=4, conv_hidden_size=16)),
    ("VanillaTransformer", "relu_exog_mq", dict(h=5, input_size=10, hidden_size=8, n_head=2, conv_hidden_size=8,
                                                activation="relu", decoder_layers=2, loss="MQ",
                                                futr_exog_list=["f1", "f2"])),
    # Sizes where every ProbAttention selects all its queries (factor * ceil(ln L) >= L), so the
    # result does not depend on torch.randint's key sample.
    ("Informer", "small", dict(h=4, input_size=8, hidden_size=16, n_head=4, conv_hidden_size=16)),
    ("Informer", "exog_mq_three_layers", dict(h=6, input_size=16, factor=6, hidden_size=8, n_head=2,
                                              conv_hidden_size=8, encoder_layers=3, loss="MQ",
                                              futr_exog_list=["f1", "f2"])),
    ("Autoformer", "small", dict(h=6, input_size=24, hidden_size=16, n_head=4, conv_hidden_size=8,
                                 MovingAvg_window=5)),
    ("Autoformer", "odd_exog_mq", dict(h=5, input_size=15, hidden_size=12, n_head=3, conv_hidden_size=6, factor=2,
                                       activation="relu", decoder_layers=2, MovingAvg_window=7,
                                       futr_exog_list=["f1", "f2"], loss="MQ")),
    ("FEDformer", "random_modes", dict(h=6, input_size=24, hidden_size=16, modes=4, conv_hidden_size=8,
                                       MovingAvg_window=5)),
    ("FEDformer", "all_modes_exog_mq", dict(h=5, input_size=15, hidden_size=16, modes=64, mode_select="low",
                                            conv_hidden_size=6, activation="relu", decoder_layers=2,
                                            MovingAvg_window=7, futr_exog_list=["f1", "f2"], loss="MQ")),
    # Multivariate: windows of all n_series series ([B, L, N]; future inputs [B, F, L + h, N]).
    ("iTransformer", "small", dict(h=6, input_size=12, n_series=3, hidden_size=16, n_heads=4, d_ff=16)),
    ("iTransformer", "futr_exog_no_norm", dict(h=5, input_size=10, n_series=2, hidden_size=8, n_heads=2, d_ff=8,
                                               e_layers=1, use_norm=False, futr_exog_list=["f1", "f2"])),
    ("TFT", "small", dict(h=6, input_size=12, hidden_size=8, n_head=2)),
    ("DeepNPTS", "small", dict(h=6, input_size=12, hidden_size=16)),
    ("DeepNPTS", "exog_no_batch_norm", dict(h=5, input_size=9, hidden_size=8, n_layers=3, batch_norm=False,
                                            dropout=0.0, **EXOG)),
    ("TFT", "exog_two_lstm_layers", dict(h=5, input_size=8, hidden_size=8, n_head=4, n_rnn_layers=2, **EXOG)),
    ("TFT", "exog_gru_shared_state_mq", dict(h=7, input_size=5, hidden_size=6, n_head=3, rnn_type="gru",
                                             n_rnn_layers=2, one_rnn_initial_state=True, grn_activation="SELU",
                                             loss="MQ", **EXOG)),
]
GRADIENT_MODELS = {"MLP", "NHITS", "LSTM", "NLinear", "DLinear", "GRU", "RNN", "TCN", "NBEATS", "PatchTST",
                   "VanillaTransformer", "Informer", "Autoformer", "FEDformer", "TFT", "iTransformer", "DeepNPTS"}
B = 4


def build(model, hp, seed):
    hp = dict(hp)
    nf_loss = NF_MQLoss(level=[80]) if hp.pop("loss", None) == "MQ" else NF_MAE()
    torch.manual_seed(seed)
    nf_model = getattr(nfm, model)(loss=nf_loss, **hp)
    # Move the weights off their initial values (zero biases, constant slopes) so that the
    # comparison exercises every tensor.
    with torch.no_grad():
        for p in nf_model.parameters():
            if p.requires_grad:
                p.add_(0.05 * torch.randn_like(p))
    ours_hp = dict(hp, loss=loss_from_neuralforecast(nf_loss).to_config())
    ours = _core.Model(model, json.dumps(ours_hp))
    load_into(ours, map_state_dict(nf_model.state_dict()), nf_model, who=model)
    return nf_model, ours


def batch(hp, seed):
    g = torch.Generator().manual_seed(seed)
    L, h = hp["input_size"], hp["h"]
    F, X, S = (len(hp.get(k, [])) for k in ("futr_exog_list", "hist_exog_list", "stat_exog_list"))
    N = hp.get("n_series", 1)
    b = {
        "insample_y": torch.randn(B, L, N, generator=g) * 2 + 0.5,
        "insample_mask": torch.ones(B, L, N),
        "futr_exog": (torch.randn(B, F, L + h, N, generator=g) if "n_series" in hp else
                      torch.randn(B, L + h, F, generator=g)) if F else None,
        "hist_exog": torch.randn(B, L, X, generator=g) if X else None,
        "stat_exog": torch.randn(B, S, generator=g) if S else None,
    }
    b["insample_mask"][0, : L // 3] = 0.0  # a padded start, as NeuralForecast's loader makes
    y = torch.randn(B, h, N, generator=g)
    return b, y


def np32(t):
    return None if t is None else np.ascontiguousarray(t.detach().numpy().astype(np.float32))


def ours_inputs(b, multivariate=False):
    if multivariate:  # NF's [B, L, N] as they are
        return dict(insample_y=np32(b["insample_y"]), insample_mask=np32(b["insample_mask"]),
                    futr_exog=np32(b["futr_exog"]), hist_exog=None, stat_exog=None)
    return dict(insample_y=np32(b["insample_y"][..., 0]), insample_mask=np32(b["insample_mask"][..., 0]),
                futr_exog=np32(b["futr_exog"]), hist_exog=np32(b["hist_exog"]), stat_exog=np32(b["stat_exog"]))


def rel_err(a, b):
    return float(np.max(np.abs(a - b)) / max(np.max(np.abs(b)), 1e-12))


@pytest.mark.parametrize("model,name,hp", CASES, ids=[f"{m}-{n}" for m, n, _ in CASES])
def test_forward_parity(model, name, hp):
    nf_model, ours = build(model, hp, seed=7)
    nf_model.eval()
    b, _ = batch(hp, seed=11)
    with torch.no_grad():
        ref = nf_model(b).numpy()
    out = ours.forward(**ours_inputs(b, "n_series" in hp))
    assert out.shape == ref.shape
    err = rel_err(out, ref)
    print(f"{model}/{name}: forward max rel diff {err:.2e}")
    assert err < 1e-4


@pytest.mark.parametrize("model,name,hp", [c for c in CASES if c[0] in GRADIENT_MODELS],
                         ids=[f"{m}-{n}" for m, n, _ in CASES if m in GRADIENT_MODELS])
def test_gradient_parity(model, name, hp):
    nf_model, ours = build(model, hp, seed=5)
    nf_model.eval()  # dropout off; gradients still flow
    b, y = batch(hp, seed=13)
    mask = torch.ones_like(y)
    mask[1, -2:] = 0.0
    nf_model.zero_grad()
    # As NeuralForecast's training_step: domain_map, then the loss on [B, h, 1] targets.
    y_hat = nf_model.loss.domain_map(nf_model(b))
    loss = nf_model.loss(y=y, y_hat=y_hat, mask=mask, y_insample=b["insample_y"])
    loss.backward()
    # Complex parameters (FEDformer) compare as torch.view_as_real, the engine's layout.
    ref_grads = {k: torch.view_as_real(p.grad) if p.grad.is_complex() else p.grad
                 for k, p in nf_model.named_parameters() if p.requires_grad and p.grad is not None}
    mv = "n_series" in hp
    our_loss, grads = ours.loss_and_grads(outsample_y=np32(y if mv else y[..., 0]),
                                          outsample_mask=np32(mask if mv else mask[..., 0]), **ours_inputs(b, mv))
    assert abs(our_loss - loss.item()) <= 1e-5 * max(1.0, abs(loss.item()))
    worst = 0.0
    scale = max(float(np.max(np.abs(g.numpy()))) for g in ref_grads.values())
    for k, g in ref_grads.items():
        ref = g.numpy()
        if np.max(np.abs(ref)) < 1e-5 * scale:
            # A gradient that is zero in exact arithmetic (e.g. the key bias of softmax attention,
            # which shifts every score of a row equally): both sides hold rounding noise only.
            assert np.max(np.abs(grads[k])) < 1e-5 * scale, k
            continue
        err = rel_err(grads[k], ref)
        worst = max(worst, err)
        assert err < 1e-4, f"{k}: gradient max rel diff {err:.2e}"
    print(f"{model}/{name}: loss {our_loss:.6f} vs {loss.item():.6f}, worst gradient rel diff {worst:.2e}")


@pytest.mark.parametrize("model,name,hp", [c for c in CASES if c[0] == "TFT"],
                         ids=[f"{m}-{n}" for m, n, _ in CASES if m == "TFT"])
def test_tft_interpretability_parity(model, name, hp):
    """After a forward in eval mode, the engine's record equals NeuralForecast's
    interpretability_params averaged over the batch (the attention also over heads)."""
    nf_model, ours = build(model, hp, seed=3)
    nf_model.eval()
    b, _ = batch(hp, seed=17)
    with torch.no_grad():
        nf_model(b)
    ours.forward(**ours_inputs(b))
    rec = ours.interpretability()
    ref = nf_model.interpretability_params
    L, h = hp["input_size"], hp["h"]
    want = {"attn_wts": ref["attn_wts"].mean(dim=0).mean(dim=0).numpy(),
            "history_vsn_wgts": ref["history_vsn_wgts"].mean(dim=0).numpy(),
            "future_vsn_wgts": ref["future_vsn_wgts"].mean(dim=0).numpy()}
    if hp.get("stat_exog_list"):
        want["static_encoder_sparse_weights"] = ref["static_encoder_sparse_weights"].mean(dim=0).numpy()
    assert set(rec) == set(want)
    assert rec["attn_wts"][0].shape == (L + h, L + h)
    for k, v in want.items():
        got = rec[k][0]
        assert got.shape == v.shape, k
        assert np.max(np.abs(got - v)) < 2e-6, f"{k}: max diff {np.max(np.abs(got - v)):.2e}"
    np.testing.assert_allclose(rec["attn_wts"][0].sum(axis=1), 1.0, atol=1e-5)
    np.testing.assert_allclose(rec["history_vsn_wgts"][0].sum(axis=1), 1.0, atol=1e-5)
    assert np.all(np.triu(rec["attn_wts"][0], 1) == 0.0)
    labels = rec["history_vsn_wgts"][1]
    assert labels == hp.get("hist_exog_list", []) + hp.get("futr_exog_list", []) + (
        [] if hp.get("futr_exog_list") else ["repeated_target"]) + ["observed_target"]


def test_deepnpts_training_path_batch_norm():
    """DeepNPTS in training mode (batch statistics in BatchNorm1d, dropout off): forward equal to
    NeuralForecast's, and the running statistics it leaves behind too (eval forward afterwards)."""
    hp = dict(h=6, input_size=12, hidden_size=16, dropout=0.0)
    nf_model, ours = build("DeepNPTS", hp, seed=3)
    b, _ = batch(hp, seed=17)
    nf_model.train()
    with torch.no_grad():
        ref = nf_model(b).numpy()
    out = ours.forward(**ours_inputs(b), training=True)
    assert rel_err(out, ref) < 1e-4
    nf_model.eval()
    with torch.no_grad():
        ref_eval = nf_model(b).numpy()
    assert rel_err(ours.forward(**ours_inputs(b)), ref_eval) < 1e-4
