"""Bad input raises ValueError with the engine's message (what, where, expected vs found)."""
import numpy as np
import pandas as pd
import pytest

import neurodivergent as nd
from neurodivergent.losses.pytorch import GMM, DistributionLoss, MQLoss, QuantileLoss
from neurodivergent.models import MLP, NHITS

QUIET = dict(enable_progress_bar=False)


def mlp(**kw):
    return MLP(h=6, input_size=12, max_steps=2, hidden_size=8, **QUIET, **kw)


def test_unknown_hyperparameter():
    with pytest.raises(ValueError, match="unknown or unsupported argument 'hiden_size'"):
        MLP(h=6, input_size=12, hiden_size=8)


def test_wrong_type():
    with pytest.raises(ValueError, match="max_steps"):
        MLP(h=6, input_size=12, max_steps="many")


def test_unsupported_neuralforecast_argument():
    with pytest.raises(ValueError, match="'optimizer' is not supported"):
        MLP(h=6, input_size=12, optimizer=object())
    with pytest.raises(ValueError, match="accelerator"):
        MLP(h=6, input_size=12, accelerator="gpu")
    MLP(h=6, input_size=12, accelerator="cpu", logger=False, optimizer=None)  # the "off" values are fine


def test_bad_loss_arguments():
    with pytest.raises(ValueError, match="quantiles"):
        MQLoss(quantiles=[0.5, 1.5])
    with pytest.raises(ValueError, match="q must be"):
        QuantileLoss(q=2)


def test_missing_column(air):
    nf = nd.NeuralForecast(models=[mlp()], freq="MS")
    with pytest.raises(ValueError, match=r"missing column\(s\) \['y'\]"):
        nf.fit(air.rename(columns={"y": "value"}))
    nf.fit(air.rename(columns={"y": "value"}), target_col="value")  # or say which one it is


def test_duplicate_rows(air):
    nf = nd.NeuralForecast(models=[mlp()], freq="MS")
    with pytest.raises(ValueError, match="duplicate rows for unique_id 'AirPassengers' at ds 1949-03-01"):
        nf.fit(pd.concat([air, air.iloc[[2]]]))


def test_nan_target_names_series_and_time(air):
    bad = air.copy()
    bad.loc[5, "y"] = np.nan
    with pytest.raises(ValueError, match="series 'AirPassengers'.*1949-06-01"):
        nd.NeuralForecast(models=[mlp()], freq="MS").fit(bad)


def test_off_grid_timestamps(air):
    bad = air.drop(index=[40]).reset_index(drop=True)
    nf = nd.NeuralForecast(models=[mlp()], freq="MS")
    with pytest.raises(ValueError, match="AirPassengers"):
        nf.fit(bad)


def test_non_numeric_target(air):
    bad = air.assign(y=air["y"].astype(str))
    with pytest.raises(ValueError, match="column 'y' must be numeric"):
        nd.NeuralForecast(models=[mlp()], freq="MS").fit(bad)


def test_short_series(air):
    with pytest.raises(ValueError, match="too short"):
        nd.NeuralForecast(models=[mlp()], freq="MS").fit(air.head(10))


def test_bad_frequency():
    with pytest.raises(ValueError, match="frequency"):
        nd.NeuralForecast(models=[mlp()], freq="fortnightly")


def test_predict_before_fit():
    with pytest.raises(ValueError, match="before fit"):
        nd.NeuralForecast(models=[mlp()], freq="MS").predict()


def test_timezone_aware_ds(air):
    bad = air.assign(ds=air["ds"].dt.tz_localize("UTC"))
    with pytest.raises(ValueError, match="time zone"):
        nd.NeuralForecast(models=[mlp()], freq="MS").fit(bad)


def test_neuralforecast_model_object_is_rejected():
    class NHITSLike:  # stands in for a neuralforecast model without importing torch
        pass

    NHITSLike.__module__ = "neuralforecast.models.nhits"
    with pytest.raises(ValueError, match="import it from neurodivergent.models"):
        nd.NeuralForecast(models=[NHITSLike()], freq="MS")


def test_level_at_predict_of_a_point_model_is_refused(air):
    nf = nd.NeuralForecast(models=[mlp()], freq="MS")
    nf.fit(air)
    with pytest.raises(ValueError, match="trained MLP with loss=MAE"):
        nf.predict(level=[80])


def test_conformal_set_up_errors(air):
    from neurodivergent.utils import PredictionIntervals
    with pytest.raises(ValueError, match="at least two windows"):
        PredictionIntervals(n_windows=1)
    with pytest.raises(ValueError, match="method must be one of"):
        PredictionIntervals(method="split")
    nf = nd.NeuralForecast(models=[mlp()], freq="MS")
    with pytest.raises(ValueError, match="Minimum required samples in each serie .* are: 206"):
        nf.fit(air, prediction_intervals=PredictionIntervals(n_windows=200))
    with pytest.raises(ValueError, match="set the level or quantiles"):
        nf.cross_validation(air, prediction_intervals=PredictionIntervals(), refit=True)
    with pytest.raises(ValueError, match="only supported with refit=True"):
        nf.cross_validation(air, prediction_intervals=PredictionIntervals(), level=[80])
    nf.fit(air, prediction_intervals=PredictionIntervals())
    with pytest.raises(ValueError, match="not supported for insample"):
        nf.predict_insample(level=[80])


def test_bad_level_and_quantiles(air):
    nf = nd.NeuralForecast(models=[mlp(loss=DistributionLoss("Normal"))], freq="MS")
    nf.fit(air)
    with pytest.raises(ValueError, match=r"level must be in \(0, 100\)"):
        nf.predict(level=[100])
    with pytest.raises(ValueError, match=r"quantiles must be in \(0, 1\)"):
        nf.predict(quantiles=[0.5, 1.2])
    with pytest.raises(ValueError, match="both level and quantiles"):
        nf.predict(level=[80], quantiles=[0.1])
    with pytest.raises(ValueError, match="levels must be in"):
        DistributionLoss("Normal", level=[0])
    with pytest.raises(ValueError, match="not supported by neurodivergent yet"):
        DistributionLoss("ISQF")
    with pytest.raises(ValueError, match="needs rho"):
        DistributionLoss("Tweedie")
    with pytest.raises(ValueError, match="n_components"):
        GMM(n_components=0)


def test_data_outside_the_distribution_is_named(air):
    bad = air.copy()
    bad.loc[7, "y"] = -1.0
    nf = nd.NeuralForecast(models=[mlp(loss=DistributionLoss("NegativeBinomial"))], freq="MS")
    with pytest.raises(ValueError, match=r"cannot model series 'AirPassengers': y is -1 at ds 1949-08-01.*values >= 0"):
        nf.fit(bad)
    binary = air.copy()
    binary["y"] = (binary["y"] > 300).astype(float)
    binary.loc[3, "y"] = 0.5
    nf = nd.NeuralForecast(models=[mlp(loss=DistributionLoss("Bernoulli"))], freq="MS")
    with pytest.raises(ValueError, match="y is 0.5 at ds 1949-04-01.*values 0 or 1"):
        nf.fit(binary)


def test_load_missing_and_truncated(tmp_path, air):
    with pytest.raises(ValueError, match="nd_config.json"):
        nd.NeuralForecast.load(str(tmp_path / "nothing"))
    nf = nd.NeuralForecast(models=[mlp()], freq="MS")
    nf.fit(air)
    nf.save(str(tmp_path / "m"))
    w = tmp_path / "m" / "model_0.safetensors"
    w.write_bytes(w.read_bytes()[:100])
    with pytest.raises(ValueError, match="model_0.safetensors"):
        nd.NeuralForecast.load(str(tmp_path / "m"))


def test_not_a_dataframe():
    with pytest.raises(ValueError, match="DataFrame"):
        nd.NeuralForecast(models=[mlp()], freq="MS").fit({"y": [1, 2, 3]})
