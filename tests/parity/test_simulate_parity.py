"""NeuralForecast.simulate against NeuralForecast 3.3: the same frame layout (columns, row order,
ids, timestamps, sample ids), and for the same quantile forecasts and history the same joint
distribution as NF's own Gaussian copula sampler (neuralforecast.utils.gaussian_copula_sample),
compared by per-step means and lag-1 / lag-2 correlations of 20000 paths (standard errors of
~0.01; tolerance 0.05)."""
import logging

import numpy as np
import pandas as pd
import torch
from neuralforecast import NeuralForecast as NF
from neuralforecast.losses.pytorch import MQLoss as NF_MQLoss
from neuralforecast.models import MLP as NF_MLP
from neuralforecast.utils import AirPassengersPanel, gaussian_copula_sample

from neurodivergent import NeuralForecast
from neurodivergent.utils import gaussian_copula_sample as nd_copula
from neurodivergent.losses.pytorch import MQLoss
from neurodivergent.models import MLP

logging.getLogger("lightning").setLevel(logging.ERROR)
logging.getLogger("pytorch_lightning").setLevel(logging.ERROR)


def test_frame_layout_matches_neuralforecast():
    df = AirPassengersPanel[["unique_id", "ds", "y"]]
    ref = NF([NF_MLP(h=6, input_size=12, max_steps=2, loss=NF_MQLoss(level=[80]), enable_progress_bar=False,
                     logger=False, enable_model_summary=False, accelerator="cpu")], freq="ME")
    ref.fit(df)
    theirs = ref.simulate(n_paths=3, seed=1)
    ours_nf = NeuralForecast([MLP(h=6, input_size=12, max_steps=2, loss=MQLoss(level=[80]),
                                  enable_progress_bar=False)], freq="ME")
    ours_nf.fit(df)
    ours = ours_nf.simulate(n_paths=3, seed=1)
    assert list(ours.columns) == list(theirs.columns)
    pd.testing.assert_frame_equal(ours[["unique_id", "ds", "sample_id"]], theirs[["unique_id", "ds", "sample_id"]],
                                  check_dtype=False)


def test_gaussian_copula_matches_neuralforecasts_sampler():
    rng = np.random.default_rng(0)
    d = np.zeros(3000)
    for t in range(1, len(d)):
        d[t] = 0.6 * d[t - 1] + rng.standard_normal()
    hist = np.cumsum(d).astype(np.float32)
    xp = np.array([k / 100 for k in range(1, 100)], dtype=np.float32)
    h = 4
    from statistics import NormalDist
    z = np.array([NormalDist().inv_cdf(float(q)) for q in xp])
    qv = np.stack([5.0 * t + 2.0 * z for t in range(h)]).astype(np.float32)[None]  # [1, h, Q]
    P = 20000
    theirs = gaussian_copula_sample(torch.tensor(xp), torch.tensor(qv), [torch.tensor(hist)], P, seed=3).numpy()[0]
    ours = np.asarray(nd_copula(xp, qv, [hist], P, seed=3))[0]
    for t in range(h):
        assert abs(ours[:, t].mean() - theirs[:, t].mean()) < 0.1
    for lag in (1, 2):
        c_ours = np.corrcoef(ours[:, 0], ours[:, lag])[0, 1]
        c_theirs = np.corrcoef(theirs[:, 0], theirs[:, lag])[0, 1]
        assert abs(c_ours - c_theirs) < 0.05, (lag, c_ours, c_theirs)
