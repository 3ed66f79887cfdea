"""Importing NeuralForecast-trained models.

Our models keep NeuralForecast's PyTorch ``state_dict`` names, so a checkpoint's tensors map one
to one onto the engine's parameters; the only NeuralForecast entries without a counterpart hold
no learned state (the loss modules' quantile buffers, ``loss.*`` / ``valid_loss.*``). Complex
parameters (FEDformer's Fourier weights) are kept as ``torch.view_as_real`` does: a trailing axis
of 2 (real, imaginary).

    from neurodivergent.compat import from_neuralforecast
    nd_nf = from_neuralforecast(nf, df)    # nf: a fitted neuralforecast.NeuralForecast
    nd_nf.predict()                        # NeuralForecast's forecasts, from the C++ engine
"""
from __future__ import annotations

from typing import Any, Mapping, Optional

import numpy as np

from . import _frames
from .core import NeuralForecast
from .losses import pytorch as _losses
from .models import _NF_OFF, _TRAINER_OK, BaseModel, model_class

# state_dict prefixes NeuralForecast modules carry that hold no learned weights.
_NOT_WEIGHTS = ("loss.", "valid_loss.")


def load_into(target: Any, weights: Mapping[str, np.ndarray], nf_module: Any = None, who: str = "model") -> None:
    """Loads mapped weights into an engine model (``_core.Model``) or ``(engine, k)``. Entries the
    engine model does not have must hold no learned state: with the NeuralForecast module at
    hand, they must not be among its (deduplicated) parameters, i.e. they are buffers or aliases
    of shared modules."""
    unused = target[0].load_state_dict(target[1], weights) if isinstance(target, tuple) else target.load_state_dict(weights)
    if nf_module is not None:
        learned = {k for k, p in nf_module.named_parameters() if p.requires_grad}
        bad = sorted(set(unused) & learned)
        if bad:
            raise ValueError(f"{who}: NeuralForecast weights {bad} have no counterpart in the engine model")


def map_state_dict(state_dict: Mapping[str, Any]) -> dict[str, np.ndarray]:
    """A NeuralForecast model's ``state_dict()`` -> the engine's weights (float32 numpy arrays by
    parameter name). Entries without learned state are dropped; complex tensors become [..., 2]
    (real, imaginary), the layout of ``torch.view_as_real``."""
    out = {}
    for k, v in state_dict.items():
        if k.startswith(_NOT_WEIGHTS):
            continue
        arr = v.detach().cpu().resolve_conj().numpy() if hasattr(v, "detach") else np.asarray(v)
        if np.iscomplexobj(arr):
            arr = np.stack([arr.real, arr.imag], axis=-1)
        out[k] = np.array(arr, dtype=np.float32, order="C")  # keeps 0-d tensors 0-d
    return out


def loss_from_neuralforecast(loss: Any) -> Optional[_losses.BaseLoss]:
    """A ``neuralforecast.losses.pytorch`` loss object -> ours (same class name and arguments)."""
    if loss is None:
        return None
    name = type(loss).__name__
    hw = getattr(loss, "horizon_weight", None)
    hw = None if hw is None else [float(x) for x in np.asarray(hw.detach().cpu() if hasattr(hw, "detach") else hw).ravel()]
    init = getattr(loss, "_nf_init_kwargs", None)  # NeuralForecast >= 3.3 records its arguments
    if init is not None and hasattr(_losses, name):
        kwargs = dict(init)
        if kwargs.get("horizon_weight") is not None:
            kwargs["horizon_weight"] = hw
        return getattr(_losses, name)(**kwargs)
    if name == "MQLoss":  # keep NeuralForecast's output order: median first for levels
        q = loss.quantiles.detach().cpu().numpy().astype(float).tolist()
        return _losses.MQLoss(level=None, quantiles=q, horizon_weight=hw)
    if name == "QuantileLoss":
        return _losses.QuantileLoss(q=float(loss.q), horizon_weight=hw)
    if name == "HuberLoss":
        return _losses.HuberLoss(delta=float(loss.delta), horizon_weight=hw)
    if name == "MASE":
        return _losses.MASE(seasonality=int(loss.seasonality), horizon_weight=hw)
    if not hasattr(_losses, name):
        raise ValueError(f"loss {name} has no neurodivergent equivalent")
    return getattr(_losses, name)(horizon_weight=hw)


def model_from_neuralforecast(m: Any) -> BaseModel:
    """A NeuralForecast model object -> our model with the same hyperparameters (no weights)."""
    cls = model_class(type(m).__name__)
    ours = {p["name"] for p in cls._info["params"]}
    hp = dict(m.hparams)
    kwargs: dict[str, Any] = {}
    for k, v in hp.items():
        if k in ("loss", "valid_loss"):
            kwargs[k] = loss_from_neuralforecast(v)
        elif k in ours:
            kwargs[k] = v
        elif k == "n_series" and v in (1, None):
            continue
        elif k in _NF_OFF or k in _TRAINER_OK or k == "enable_progress_bar":
            kwargs[k] = v
        elif v is None:
            continue
        else:
            raise ValueError(f"{type(m).__name__}: NeuralForecast hyperparameter '{k}'={v!r} has no neurodivergent "
                             "equivalent")
    return cls(**kwargs)


def from_neuralforecast(nf: Any, df: Any, static_df: Any = None, id_col: str = "unique_id", time_col: str = "ds",
                        target_col: str = "y") -> NeuralForecast:
    """A fitted ``neuralforecast.NeuralForecast`` -> a neurodivergent ``NeuralForecast`` holding
    the same models and weights, adopting ``df`` (the data NeuralForecast was fitted on) as its
    fit data: ``predict()`` then gives NeuralForecast's forecasts (to float rounding) without any
    training."""
    models = [model_from_neuralforecast(m) for m in nf.models]
    ours = NeuralForecast(models=models, freq=nf.freq, local_scaler_type=getattr(nf, "local_scaler_type", None))
    ours._cols = (id_col, time_col, target_col)
    frame, ids, tinfo = ours._frame(df, "df")
    stat = ours._static(static_df, ids)
    ours._engine.attach(frame, stat)
    for k, m in enumerate(nf.models):
        load_into((ours._engine, k), map_state_dict(m.state_dict()), m, who=type(m).__name__)
    ours._ids, ours._time, ours._polars = ids, tinfo, _frames.is_polars(df)
    ours._fitted = True
    return ours


def load_state_dict(nf: NeuralForecast, k: int, weights: Mapping[str, Any]) -> None:
    """Replaces the weights of model ``k`` of a neurodivergent NeuralForecast (names as in
    NeuralForecast's / PyTorch's state_dict; entries without learned state are dropped)."""
    load_into((nf._engine, int(k)), map_state_dict(weights))


def state_dict(nf: NeuralForecast, k: int) -> dict[str, np.ndarray]:
    """The weights of model ``k`` by PyTorch state_dict name (load them into NeuralForecast's
    model with ``model.load_state_dict({k: torch.from_numpy(v) ...}, strict=False)``; complex
    parameters come as [..., 2]: ``torch.view_as_complex`` restores them)."""
    return dict(nf._engine.state_dict(int(k)))


__all__ = ["from_neuralforecast", "model_from_neuralforecast", "loss_from_neuralforecast", "map_state_dict",
           "load_state_dict", "load_into", "state_dict"]
