"""Distribution heads against NeuralForecast 3.3 for identical weights (neurodivergent.compat copies
a NeuralForecast-trained model): the distribution parameters every forecast step gets
(return_params columns) agree to float rounding; the sample mean and quantiles, drawn by each
library from its own random stream, agree within Monte-Carlo error. With 1000 samples the sample
q-quantile of N(mu, sd) has standard error sqrt(q (1 - q) / 1000) / phi(z_q) * sd; the difference
of two independent ones is sqrt(2) times that, and 5 of those is the tolerance (a false alarm has
probability < 1e-6 per value)."""
import logging
import math

import numpy as np
import pytest
import torch
from neuralforecast import NeuralForecast as NF_NeuralForecast
from neuralforecast import models as nfm
from neuralforecast.losses.pytorch import GMM as NF_GMM
from neuralforecast.losses.pytorch import DistributionLoss as NF_DistributionLoss
from neuralforecast.utils import AirPassengersPanel

from neurodivergent.compat import from_neuralforecast

logging.getLogger("lightning").setLevel(logging.ERROR)
logging.getLogger("pytorch_lightning").setLevel(logging.ERROR)
TRAINER = dict(enable_progress_bar=False, logger=False, enable_model_summary=False, accelerator="cpu")
Z = {0.05: -1.6448536, 0.1: -1.2815516, 0.5: 0.0, 0.9: 1.2815516, 0.95: 1.6448536}
COLS = {0.05: "-lo-90", 0.1: "-lo-80", 0.5: "-median", 0.9: "-hi-80", 0.95: "-hi-90"}


def fit_both(model):
    df = AirPassengersPanel[AirPassengersPanel["ds"] < "1960-01-01"][["unique_id", "ds", "y"]].reset_index(drop=True)
    torch.set_num_threads(1)
    ref = NF_NeuralForecast(models=[model], freq="ME")
    ref.fit(df)
    return ref.predict(), from_neuralforecast(ref, df).predict()


def rel(a, b):
    return float(np.max(np.abs(a - b)) / np.max(np.abs(b)))


def test_normal_head_matches_neuralforecast():
    model = nfm.NHITS(h=12, input_size=24, max_steps=10, scaler_type="robust",
                      loss=NF_DistributionLoss("Normal", level=[80, 90], return_params=True), **TRAINER)
    expected, got = fit_both(model)
    assert list(got.columns) == list(expected.columns)
    for p in ("NHITS-loc", "NHITS-scale"):
        assert rel(got[p].to_numpy(), expected[p].to_numpy()) < 1e-5, p
    sd = expected["NHITS-scale"].to_numpy()
    assert np.all(np.abs(got["NHITS"] - expected["NHITS"]) <= 5 * math.sqrt(2) * sd / math.sqrt(1000))
    for q, suffix in COLS.items():
        se = math.sqrt(q * (1 - q) / 1000) / (math.exp(-0.5 * Z[q] ** 2) / math.sqrt(2 * math.pi)) * sd
        diff = np.abs(got["NHITS" + suffix].to_numpy() - expected["NHITS" + suffix].to_numpy())
        assert np.all(diff <= 5 * math.sqrt(2) * se), (suffix, diff.max())


def test_weighted_gmm_head_matches_neuralforecast():
    model = nfm.MLP(h=12, input_size=24, max_steps=10, scaler_type="standard",
                    loss=NF_GMM(n_components=2, weighted=True, return_params=True), **TRAINER)
    expected, got = fit_both(model)
    assert list(got.columns) == list(expected.columns)
    params = [c for c in expected.columns if c.startswith("MLP-") and c[4:6] in ("mu", "st", "we")]
    assert len(params) == 6
    for p in params:
        assert rel(got[p].to_numpy(), expected[p].to_numpy()) < 1e-5, p
    # The mixture's standard deviation bounds the Monte-Carlo error of the sample mean.
    w1, w2 = expected["MLP-weight-1"], expected["MLP-weight-2"]
    m = w1 * expected["MLP-mu-1"] + w2 * expected["MLP-mu-2"]
    var = (w1 * (expected["MLP-std-1"] ** 2 + expected["MLP-mu-1"] ** 2)
           + w2 * (expected["MLP-std-2"] ** 2 + expected["MLP-mu-2"] ** 2) - m ** 2)
    assert np.all(np.abs(got["MLP"] - expected["MLP"]) <= 5 * math.sqrt(2) * np.sqrt(var) / math.sqrt(1000))


@pytest.mark.parametrize("kwargs", [dict(level=[80, 95]), dict(quantiles=[0.1, 0.5, 0.9])])
def test_predict_level_and_quantiles_columns_as_neuralforecast(kwargs):
    model = nfm.MLP(h=12, input_size=24, max_steps=5, loss=NF_DistributionLoss("StudentT"), **TRAINER)
    df = AirPassengersPanel[["unique_id", "ds", "y"]]
    ref = NF_NeuralForecast(models=[model], freq="ME")
    ref.fit(df)
    ours = from_neuralforecast(ref, df)
    assert list(ours.predict(**kwargs).columns) == list(ref.predict(**kwargs).columns)
