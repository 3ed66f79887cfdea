"""The forecasting models, with NeuralForecast's class names, constructor arguments and defaults
(``neuralforecast.models``). The classes are generated from the engine's registry, so every model
the engine has is here with exactly the hyperparameters it accepts; ``help(NHITS)`` lists them.

An argument NeuralForecast has and neurodivergent does not support raises ``ValueError`` naming
it; it is never silently ignored. Of PyTorch Lightning's trainer keywords, those with an
equivalent are honoured (``enable_progress_bar``) or accepted when they ask for what the engine
does anyway (``accelerator="cpu"``, ``devices=1``, ``logger=False``, ...).
"""
from __future__ import annotations

import inspect
import json
from typing import Any, Optional, Union

from . import _core
from .losses import pytorch as _losses

_SCHEMA: list[dict[str, Any]] = json.loads(_core.models_schema())

# PyTorch Lightning trainer keywords NeuralForecast forwards: value -> accepted?
_TRAINER_OK = {
    "accelerator": lambda v: v in ("cpu", "auto"),
    "devices": lambda v: v in (1, "auto", [0], "1"),
    "logger": lambda v: v in (False, None),
    "enable_checkpointing": lambda v: v in (False, None),
    "enable_model_summary": lambda v: True,  # display only
    "deterministic": lambda v: True,  # the engine is deterministic for a seed and thread count
    "precision": lambda v: v in (32, "32", "32-true"),
}
# NeuralForecast arguments without an engine equivalent: accepted only at their "off" value.
_NF_OFF = {"optimizer": None, "optimizer_kwargs": None, "lr_scheduler": None, "lr_scheduler_kwargs": None,
           "dataloader_kwargs": None, "training_data_availability_threshold": 0.0, "h_train": 1,
           "cat_exog_list": None, "categorical_cardinalities": None, "cat_emb_dim": "fastai",
           "n_samples": 100, "val_monitor": "ptl/val_loss", "inference_input_size": None}


class BaseModel:
    """A model configuration: the engine builds and trains it inside ``NeuralForecast``."""

    _info: dict[str, Any] = {}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        name = type(self).__name__
        params = [p["name"] for p in self._info["params"]]
        if len(args) > 2:
            raise TypeError(f"{name}() takes h and input_size positionally; pass the other "
                            f"{len(args) - 2} argument(s) by name")
        for pname, value in zip(("h", "input_size"), args):
            if pname in kwargs:
                raise TypeError(f"{name}() got multiple values for argument '{pname}'")
            kwargs[pname] = value
        self.enable_progress_bar = True
        hp: dict[str, Any] = {}
        for k, v in kwargs.items():
            if k in params:
                hp[k] = v
            elif k == "enable_progress_bar":
                self.enable_progress_bar = bool(v)
            elif k in _TRAINER_OK:
                if not _TRAINER_OK[k](v):
                    raise ValueError(f"{name}: {k}={v!r} is not supported (neurodivergent trains on the CPU, "
                                     f"in float32, without Lightning loggers or checkpoints)")
            elif k in _NF_OFF:
                if k == "inference_input_size" and v == kwargs.get("input_size"):
                    continue
                if v != _NF_OFF[k]:
                    raise ValueError(f"{name}: argument '{k}' is not supported by neurodivergent "
                                     f"(only its default {_NF_OFF[k]!r})")
            else:
                raise ValueError(f"{name}: unknown or unsupported argument '{k}'; {name} accepts: "
                                 + ", ".join(params))
        self._kwargs = hp
        # Validate now (names, types, ranges, loss) the way the engine will, so errors surface
        # where the model is written, as in NeuralForecast.
        self._config = json.loads(_core.resolve_config(name, json.dumps(self._engine_kwargs())))

    def _engine_kwargs(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        defaults = {p["name"]: p["default"] for p in self._info["params"]}
        for k, v in self._kwargs.items():
            if isinstance(v, _losses.BaseLoss):
                v = v.to_config()
            elif v is None:
                if defaults[k] is None:
                    continue
                v = defaults[k] if not isinstance(defaults[k], list) else []
            elif hasattr(v, "tolist"):
                v = v.tolist()
            elif isinstance(v, tuple):
                v = list(v)
            out[k] = v
        return out

    def __getattr__(self, key: str) -> Any:
        cfg = self.__dict__.get("_config")
        if cfg is not None and key in cfg:
            v = cfg[key]
            if key in ("loss", "valid_loss") and v is not None:
                return _losses.from_config(v)
            return v
        raise AttributeError(f"{type(self).__name__} has no attribute '{key}'")

    @property
    def alias(self) -> str | None:
        return self._config.get("alias")

    def __repr__(self) -> str:
        return self.alias or type(self).__name__

    def get_params(self) -> dict[str, Any]:
        """Every hyperparameter with its value (defaults filled in)."""
        return dict(self._config)


class _TFTInterpretability:
    """NeuralForecast's TFT interpretability methods, read from the engine model's record of the
    last predict: the attention and variable selection weights averaged over its windows (NF
    averages the last batch of the predict only, the same thing when the predict fits one batch)."""

    def _record(self) -> dict[str, Any]:
        link = self.__dict__.get("_nd_link")
        rec = link[0].interpretability(link[1]) if link is not None else {}
        if not rec:
            raise ValueError("No interpretability_params. Make a prediction using the model to generate them.")
        return rec

    def feature_importances(self) -> dict[str, Any]:
        """Variable selection weights of the last predict, as NeuralForecast's TFT.feature_importances:
        'Past variable importance over time' ([input_size, historic variables]), 'Future variable
        importance over time' ([h, future variables], with future exogenous variables) and 'Static
        covariates' (one importance per static variable, ascending), pandas DataFrames."""
        import pandas as pd

        rec = self._record()
        values, labels = rec["history_vsn_wgts"]
        out = {"Past variable importance over time": pd.DataFrame(values, columns=labels)}
        if self._config.get("futr_exog_list"):
            values, labels = rec["future_vsn_wgts"]
            out["Future variable importance over time"] = pd.DataFrame(values, columns=labels)
        if "static_encoder_sparse_weights" in rec:
            values, labels = rec["static_encoder_sparse_weights"]
            out["Static covariates"] = pd.DataFrame(values, index=labels, columns=["importance"]).sort_values(
                by="importance")
        return out

    def attention_weights(self) -> Any:
        """The attention of the last predict averaged over windows and heads: a numpy array
        [input_size + h, input_size + h] whose row t holds the weights query t gives the steps <= t."""
        return self._record()["attn_wts"][0]

    def feature_importance_correlations(self) -> Any:
        """Spearman correlations between the past variables' importances and the mean attention the
        forecast steps pay to each input step (NeuralForecast's TFT.feature_importance_correlations)."""
        L = self._config["input_size"]
        attention = self.attention_weights()[L:, :].mean(axis=0)
        p_c = self.feature_importances()["Past variable importance over time"]
        p_c["Correlation with Mean Attention"] = attention[:L]
        return p_c.corr(method="spearman").round(2)


_EXTRA_BASES: dict[str, tuple[type, ...]] = {"TFT": (_TFTInterpretability,)}


def _doc(info: dict[str, Any]) -> str:
    lines = [info["description"], "", "Parameters", "----------"]
    for p in info["params"]:
        default = "required" if p["default"] is None and p["name"] in ("h", "input_size") else repr(p["default"])
        lines.append(f"{p['name']} : default {default}")
        lines.append(f"    {p['help']}")
    lines.append("enable_progress_bar : default True")
    lines.append("    print training progress on stderr")
    return "\n".join(lines)


def _annotation(name: str, default: Any) -> Any:
    """The parameter's type, from its default's JSON type (the schema's typing)."""
    if name in ("loss", "valid_loss"):
        return Optional[Union[_losses.BaseLoss, str]]
    if isinstance(default, bool):
        return bool
    if isinstance(default, int):
        return int
    if isinstance(default, float):
        return float
    if isinstance(default, str):
        return str
    if isinstance(default, list):
        inner = [type(x) for x in default]
        if inner and all(t is list for t in inner):
            return list[list[int]]
        if inner and all(t is str for t in inner):
            return list[str]
        if inner and all(t in (int, float) for t in inner):
            return list[int] if all(t is int for t in inner) else list[float]
        return Optional[list[str]] if name.endswith("_exog_list") else list
    return int if name in ("h", "input_size") else Optional[Any]


def _signature(info: dict[str, Any]) -> inspect.Signature:
    ps = []
    for p in info["params"]:
        required = p["name"] in ("h",) or (p["name"] == "input_size" and p["default"] is None)
        default = inspect.Parameter.empty if required else p["default"]
        ps.append(inspect.Parameter(p["name"], inspect.Parameter.POSITIONAL_OR_KEYWORD, default=default,
                                    annotation=_annotation(p["name"], p["default"])))
    ps.append(inspect.Parameter("trainer_kwargs", inspect.Parameter.VAR_KEYWORD))
    # Keep positional-or-keyword parameters with defaults after the required ones.
    ps.sort(key=lambda q: (q.kind == inspect.Parameter.VAR_KEYWORD, q.default is not inspect.Parameter.empty))
    return inspect.Signature(ps)


__all__: list[str] = []
for _info in _SCHEMA:
    _cls = type(_info["name"], _EXTRA_BASES.get(_info["name"], ()) + (BaseModel,), {"_info": _info, "__doc__": _doc(_info), "__module__": __name__})
    _cls.__signature__ = _signature(_info)  # type: ignore[attr-defined]
    globals()[_info["name"]] = _cls
    __all__.append(_info["name"])


def model_class(name: str) -> type[BaseModel]:
    """The model class called ``name`` (case-insensitive)."""
    for info in _SCHEMA:
        if info["name"].lower() == name.lower():
            return globals()[info["name"]]
    raise ValueError(f"unknown model '{name}'; available: {', '.join(i['name'] for i in _SCHEMA)}")
