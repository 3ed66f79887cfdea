"""End to end against NeuralForecast: the same hyperparameters and max_steps on AirPassengers and
ETTh1 (../shared/data) give accuracy within noise of NeuralForecast's. Both MAEs are printed
(pytest -s shows them); the check is that ours is not worse beyond run-to-run noise (different
random initialisation and window sampling), allowed as 35%."""
import logging
import os

import numpy as np
import pandas as pd
import pytest
import torch

from neuralforecast import NeuralForecast as NF_NeuralForecast
from neuralforecast import models as nfm

import neurodivergent as nd
from neurodivergent import models as ndm

SHARED_DATA = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "shared", "data")

logging.getLogger("lightning").setLevel(logging.ERROR)
logging.getLogger("lightning_fabric").setLevel(logging.ERROR)
logging.getLogger("pytorch_lightning").setLevel(logging.ERROR)
TRAINER = dict(enable_progress_bar=False, logger=False, enable_model_summary=False, accelerator="cpu")
NOISE = 1.35


def air_passengers():
    df = pd.read_csv(os.path.join(SHARED_DATA, "air_passengers.csv"), parse_dates=["ds"])
    return df


def etth1(rows=8640):
    wide = pd.read_csv(os.path.join(SHARED_DATA, "ETTh1.csv"), parse_dates=["date"]).iloc[:rows]
    df = wide.melt(id_vars="date", var_name="unique_id", value_name="y").rename(columns={"date": "ds"})
    return df[["unique_id", "ds", "y"]].sort_values(["unique_id", "ds"]).reset_index(drop=True)


def split(df, h):
    test = df.groupby("unique_id").tail(h)
    return df.drop(test.index), test


def mae(fcst, test, col):
    m = test.merge(fcst[["unique_id", "ds", col]], on=["unique_id", "ds"], how="left")
    assert not m[col].isna().any()
    return float(np.mean(np.abs(m["y"].to_numpy() - m[col].to_numpy())))


def run_both(model, hp, df, freq, h):
    train, test = split(df, h)
    torch.set_num_threads(1)
    nd.set_num_threads(1)
    ref = NF_NeuralForecast(models=[getattr(nfm, model)(h=h, **hp, **TRAINER)], freq=freq)
    ref.fit(train)
    ref_mae = mae(ref.predict(), test, model)
    ours = nd.NeuralForecast(models=[getattr(ndm, model)(h=h, **hp, enable_progress_bar=False)], freq=freq)
    ours.fit(train)
    our_mae = mae(ours.predict(), test, model)
    print(f"\n{model} {hp}: MAE neurodivergent {our_mae:.4f}  NeuralForecast {ref_mae:.4f}")
    return our_mae, ref_mae


@pytest.mark.parametrize("model,hp", [
    ("NHITS", dict(input_size=24, max_steps=100)),
    ("LSTM", dict(input_size=24, max_steps=100)),
    ("MLP", dict(input_size=24, max_steps=100)),
])
def test_air_passengers(model, hp):
    our_mae, ref_mae = run_both(model, hp, air_passengers(), "MS", 12)
    assert our_mae <= NOISE * ref_mae


@pytest.mark.parametrize("model,hp", [
    ("NHITS", dict(input_size=96, max_steps=100, scaler_type="standard")),
    ("LSTM", dict(input_size=48, max_steps=50, windows_batch_size=256, scaler_type="standard")),
])
def test_etth1(model, hp):
    our_mae, ref_mae = run_both(model, hp, etth1(), "h", 24)
    assert our_mae <= NOISE * ref_mae
