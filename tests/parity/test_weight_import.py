"""A NeuralForecast-trained model converted into ours (neurodivergent.compat) forecasts what
NeuralForecast forecasts: same windows, scalers and weights, so the same numbers to float
rounding (different GEMM summation order)."""
import logging

import numpy as np
import pandas as pd
import pytest
import torch

from neuralforecast import NeuralForecast as NF_NeuralForecast
from neuralforecast import models as nfm
from neuralforecast.losses.pytorch import MQLoss as NF_MQLoss
from neuralforecast.utils import AirPassengersPanel

import neurodivergent as nd
from neurodivergent.compat import from_neuralforecast, state_dict

logging.getLogger("lightning").setLevel(logging.ERROR)
logging.getLogger("lightning_fabric").setLevel(logging.ERROR)
logging.getLogger("pytorch_lightning").setLevel(logging.ERROR)
TRAINER = dict(enable_progress_bar=False, logger=False, enable_model_summary=False, accelerator="cpu")


def nf_models():
    return [
        nfm.NHITS(h=12, input_size=24, max_steps=20, scaler_type="robust", **TRAINER),
        nfm.LSTM(h=12, input_size=24, max_steps=20, loss=NF_MQLoss(level=[80, 90]), scaler_type="standard",
                 **TRAINER),
        nfm.MLP(h=12, input_size=24, max_steps=20, hist_exog_list=["y_[lag12]"], futr_exog_list=["trend"],
                **TRAINER),
        nfm.DLinear(h=12, input_size=24, max_steps=20, **TRAINER),
        nfm.TCN(h=12, input_size=24, max_steps=20, **TRAINER),
    ]


@pytest.mark.parametrize("local_scaler_type", [None, "standard"])
def test_from_neuralforecast_predicts_the_same(local_scaler_type):
    df = AirPassengersPanel[AirPassengersPanel["ds"] < "1960-01-01"].reset_index(drop=True)
    futr = AirPassengersPanel[AirPassengersPanel["ds"] >= "1960-01-01"][["unique_id", "ds", "trend"]]
    torch.set_num_threads(1)
    ref = NF_NeuralForecast(models=nf_models(), freq="ME", local_scaler_type=local_scaler_type)
    ref.fit(df)
    expected = ref.predict(futr_df=futr)
    ours = from_neuralforecast(ref, df)
    got = ours.predict(futr_df=futr)
    assert list(got.columns) == list(expected.columns)
    assert (got["unique_id"].to_numpy() == expected["unique_id"].to_numpy()).all()
    assert (got["ds"].to_numpy() == expected["ds"].to_numpy()).all()
    for col in expected.columns[2:]:
        a, b = got[col].to_numpy(np.float64), expected[col].to_numpy(np.float64)
        rel = np.max(np.abs(a - b)) / np.max(np.abs(b))
        print(f"{col}: max rel diff {rel:.2e}")
        assert rel < 1e-4, col
    # And back: our weights are NeuralForecast's, by the same names.
    sd = state_dict(ours, 0)
    for k, v in ref.models[0].state_dict().items():
        if k in sd:
            assert np.array_equal(sd[k], v.numpy())
