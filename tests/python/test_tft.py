"""TFT's interpretability methods (NeuralForecast's feature_importances, attention_weights,
feature_importance_correlations) through neurodivergent.NeuralForecast: shapes, labels, sums,
the error before a predict, and survival of save / load."""
import numpy as np
import pandas as pd
import pytest

import neurodivergent as nd
from neurodivergent.models import TFT

H, L = 12, 24


def fitted(panel, **kw):
    static = pd.DataFrame({"unique_id": ["Airline1", "Airline2"], "airline1": [1.0, 0.0], "size": [0.3, 0.7]})
    m = TFT(h=H, input_size=L, hidden_size=8, n_head=2, max_steps=5, futr_exog_list=["trend"],
            hist_exog_list=["y_[lag12]"], stat_exog_list=["airline1", "size"], enable_progress_bar=False, **kw)
    nf = nd.NeuralForecast(models=[m], freq="ME")
    train = panel.groupby("unique_id").head(-H).reset_index(drop=True)
    futr = panel.groupby("unique_id").tail(H)[["unique_id", "ds", "trend"]]
    nf.fit(train, static_df=static)
    return nf, train, futr, static


def test_interpretability_after_predict(panel):
    nf, _, futr, static = fitted(panel)
    m = nf.models[0]
    with pytest.raises(ValueError, match="Make a prediction"):
        m.feature_importances()  # fit alone leaves no record of a predict
    nf.predict(futr_df=futr, static_df=static)
    imp = m.feature_importances()
    assert list(imp) == ["Past variable importance over time", "Future variable importance over time",
                         "Static covariates"]
    past = imp["Past variable importance over time"]
    assert past.shape == (L, 3) and list(past.columns) == ["y_[lag12]", "trend", "observed_target"]
    np.testing.assert_allclose(past.sum(axis=1), 1.0, atol=1e-5)
    fut = imp["Future variable importance over time"]
    assert fut.shape == (H, 1) and list(fut.columns) == ["trend"]
    np.testing.assert_allclose(fut.to_numpy(), 1.0, atol=1e-6)  # one future variable: weight 1
    stat = imp["Static covariates"]
    assert list(stat.columns) == ["importance"] and sorted(stat.index) == ["airline1", "size"]
    assert stat["importance"].is_monotonic_increasing and abs(stat["importance"].sum() - 1.0) < 1e-5
    att = m.attention_weights()
    assert isinstance(att, np.ndarray) and att.shape == (L + H, L + H)
    np.testing.assert_allclose(att.sum(axis=1), 1.0, atol=1e-5)
    assert np.all(np.triu(att, 1) == 0.0)
    corr = m.feature_importance_correlations()
    cols = ["y_[lag12]", "trend", "observed_target", "Correlation with Mean Attention"]
    assert list(corr.columns) == cols and list(corr.index) == cols


def test_interpretability_without_exog_and_after_load(panel, tmp_path):
    m = TFT(h=H, input_size=L, hidden_size=8, n_head=2, max_steps=3, enable_progress_bar=False)
    nf = nd.NeuralForecast(models=[m], freq="ME")
    nf.fit(panel[["unique_id", "ds", "y"]])
    nf.predict()
    imp = m.feature_importances()
    assert list(imp) == ["Past variable importance over time"]
    # NF's stand-in future input (the last value repeated) comes before the observed target.
    assert list(imp["Past variable importance over time"].columns) == ["repeated_target", "observed_target"]
    before = m.attention_weights()
    nf.save(str(tmp_path / "tft"))
    loaded = nd.NeuralForecast.load(str(tmp_path / "tft"))
    with pytest.raises(ValueError, match="Make a prediction"):
        loaded.models[0].attention_weights()
    loaded.predict()
    np.testing.assert_array_equal(loaded.models[0].attention_weights(), before)
