"""Conformal intervals against NeuralForecast 3.3's own interval functions
(neuralforecast.utils.add_conformal_distribution_intervals / add_conformal_error_intervals): given
our point forecasts and our conformity scores, NeuralForecast's functions give our interval columns,
names and order included (<= 1e-5 relative). The scores themselves are the absolute errors of a
cross-validation, which test_conformal (C++) checks; NeuralForecast's trained weights differ from
ours, so its scores are not compared."""
import numpy as np
import pandas as pd
import pytest
from neuralforecast.utils import add_conformal_distribution_intervals, add_conformal_error_intervals
from neuralforecast.utils import AirPassengersPanel

from neurodivergent import NeuralForecast
from neurodivergent.models import MLP, NHITS
from neurodivergent.utils import PredictionIntervals

NF_FN = {"conformal_distribution": add_conformal_distribution_intervals,
         "conformal_error": add_conformal_error_intervals}


@pytest.mark.parametrize("method", ["conformal_distribution", "conformal_error"])
@pytest.mark.parametrize("ask", [{"level": [80, 90]}, {"level": [95, 50]}, {"quantiles": [0.1, 0.5, 0.9]}])
def test_intervals_equal_neuralforecasts_functions(method, ask):
    df = AirPassengersPanel[["unique_id", "ds", "y"]]
    nf = NeuralForecast([MLP(h=12, input_size=24, max_steps=30, enable_progress_bar=False),
                         NHITS(h=12, input_size=24, max_steps=10, enable_progress_bar=False)], freq="ME")
    nf.fit(df, prediction_intervals=PredictionIntervals(n_windows=4, method=method))
    ours = nf.predict(**ask)
    cs = nf._cs_df
    assert list(cs.columns) == ["unique_id", "MLP", "NHITS"] and len(cs) == 2 * 4 * 12
    for name in ("MLP", "NHITS"):
        ref, cols = NF_FN[method](ours[name].to_numpy().reshape(-1, 1), cs, model=name, cs_n_windows=4, n_series=2,
                                  horizon=12, level=ask.get("level"), quantiles=ask.get("quantiles"))
        mine = [c for c in ours.columns if c.startswith(name + "-")]
        assert mine == cols
        got = ours[[name] + cols].to_numpy()
        assert np.max(np.abs(got - ref)) <= 1e-5 * np.max(np.abs(ref))


def test_point_forecasts_unchanged_and_save_load(tmp_path):
    df = AirPassengersPanel[["unique_id", "ds", "y"]]
    a = NeuralForecast([MLP(h=12, input_size=24, max_steps=20, enable_progress_bar=False)], freq="ME")
    a.fit(df, prediction_intervals=PredictionIntervals(n_windows=2))
    b = NeuralForecast([MLP(h=12, input_size=24, max_steps=20, enable_progress_bar=False)], freq="ME")
    b.fit(df)
    pd.testing.assert_series_equal(a.predict()["MLP"], b.predict()["MLP"])
    a.save(str(tmp_path / "m"))
    back = NeuralForecast.load(str(tmp_path / "m"))
    assert repr(back.prediction_intervals) == "PredictionIntervals(n_windows=2, method='conformal_distribution', step_size=1)"
    pd.testing.assert_frame_equal(a.predict(level=[80]), back.predict(level=[80]))
