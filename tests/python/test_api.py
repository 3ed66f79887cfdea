"""neurodivergent's NeuralForecast API: frames in and out, NeuralForecast's columns and dtypes,
cross-validation layout, save/load bit-identity, exogenous inputs, id and time types, polars."""
import numpy as np
import pandas as pd
import pytest

import neurodivergent as nd
from neurodivergent.losses.pytorch import MAE, MQLoss
from neurodivergent.models import LSTM, MLP, NHITS

QUIET = dict(enable_progress_bar=False)


def small_models(h=12):
    return [NHITS(h=h, input_size=24, max_steps=5, mlp_units=[[16, 16]] * 3, **QUIET),
            LSTM(h=h, input_size=24, max_steps=5, encoder_hidden_size=16, decoder_hidden_size=16,
                 loss=MQLoss(level=[80, 90]), **QUIET)]


def test_fit_predict_columns_and_dtypes(air):
    nf = nd.NeuralForecast(models=small_models(), freq="MS")
    nf.fit(air)
    f = nf.predict()
    assert list(f.columns) == ["unique_id", "ds", "NHITS", "LSTM-median", "LSTM-lo-90", "LSTM-lo-80", "LSTM-hi-80",
                               "LSTM-hi-90"]
    assert len(f) == 12 and f["ds"].dtype == air["ds"].dtype
    assert f["ds"].iloc[0] == pd.Timestamp("1961-01-01") and f["ds"].iloc[-1] == pd.Timestamp("1961-12-01")
    assert np.isfinite(f.iloc[:, 2:].to_numpy()).all()


def test_cross_validation_layout(air):
    nf = nd.NeuralForecast(models=[MLP(h=6, input_size=12, max_steps=5, hidden_size=16, **QUIET)], freq="MS")
    cv = nf.cross_validation(air, n_windows=3, step_size=6)
    assert list(cv.columns) == ["unique_id", "ds", "cutoff", "MLP", "y"]
    assert len(cv) == 18
    cutoffs = sorted(cv["cutoff"].unique())
    assert [str(c)[:10] for c in cutoffs] == ["1959-06-01", "1959-12-01", "1960-06-01"]
    merged = cv.merge(air, on=["unique_id", "ds"], suffixes=("", "_true"))
    assert np.allclose(merged["y"], merged["y_true"])
    # test_size instead of n_windows
    cv2 = nf.cross_validation(air, n_windows=None, test_size=12, step_size=6)
    assert sorted(cv2["cutoff"].unique())[0] == pd.Timestamp("1959-12-01")


def test_save_load_bit_identical(air, tmp_path):
    nf = nd.NeuralForecast(models=small_models(), freq="MS", local_scaler_type="standard")
    nf.fit(air)
    before = nf.predict()
    nf.save(str(tmp_path / "m"))
    with pytest.raises(ValueError, match="exists"):
        nf.save(str(tmp_path / "m"))
    nf.save(str(tmp_path / "m"), overwrite=True)
    loaded = nd.NeuralForecast.load(str(tmp_path / "m"))
    after = loaded.predict()
    pd.testing.assert_frame_equal(before, after, check_exact=True)
    assert [repr(m) for m in loaded.models] == ["NHITS", "LSTM"]
    assert loaded.models[1].loss == MQLoss(level=[80, 90]) or loaded.models[1].loss.quantiles is not None


def test_same_seed_same_forecast(air):
    a = nd.NeuralForecast(models=small_models(), freq="MS")
    b = nd.NeuralForecast(models=small_models(), freq="MS")
    a.fit(air)
    b.fit(air)
    pd.testing.assert_frame_equal(a.predict(), b.predict(), check_exact=True)


def test_integer_ids_keep_type_and_order():
    rng = np.random.default_rng(0)
    parts = []
    for uid in (10, 2, 1):  # text order "1" < "10" < "2"; numeric order 1 < 2 < 10
        parts.append(pd.DataFrame({"unique_id": uid, "ds": np.arange(60), "y": rng.normal(size=60) + uid}))
    df = pd.concat(parts, ignore_index=True)
    nf = nd.NeuralForecast(models=[MLP(h=4, input_size=8, max_steps=3, hidden_size=8, **QUIET)], freq=1)
    nf.fit(df)
    f = nf.predict()
    assert f["unique_id"].dtype == df["unique_id"].dtype
    assert f["unique_id"].tolist() == [1] * 4 + [2] * 4 + [10] * 4
    assert f["ds"].tolist() == [60, 61, 62, 63] * 3 and f["ds"].dtype == np.int64


def test_unsorted_input_is_sorted(air):
    nf1 = nd.NeuralForecast(models=[MLP(h=3, input_size=12, max_steps=3, hidden_size=8, **QUIET)], freq="MS")
    nf2 = nd.NeuralForecast(models=[MLP(h=3, input_size=12, max_steps=3, hidden_size=8, **QUIET)], freq="MS")
    nf1.fit(air)
    nf2.fit(air.sample(frac=1.0, random_state=1))
    pd.testing.assert_frame_equal(nf1.predict(), nf2.predict(), check_exact=True)


def test_exogenous_and_future_frames(panel):
    train = panel[panel["ds"] < "1960-01-01"]
    futr = panel[panel["ds"] >= "1960-01-01"][["unique_id", "ds", "trend"]]
    static = pd.DataFrame({"unique_id": ["Airline1", "Airline2"], "airline1": [1.0, 0.0]})
    m = NHITS(h=12, input_size=24, max_steps=5, mlp_units=[[16, 16]] * 3, futr_exog_list=["trend"],
              hist_exog_list=["y_[lag12]"], stat_exog_list=["airline1"], **QUIET)
    nf = nd.NeuralForecast(models=[m], freq="ME")
    nf.fit(train, static_df=static)
    expected = nf.make_future_dataframe()
    assert len(expected) == 24 and expected["ds"].iloc[0] == pd.Timestamp("1960-01-31")
    missing = nf.get_missing_future(futr.iloc[:-1])
    assert len(missing) == 1 and missing["unique_id"].iloc[0] == "Airline2"
    f = nf.predict(futr_df=futr)
    assert len(f) == 24 and np.isfinite(f["NHITS"]).all()
    with pytest.raises(ValueError, match="futr_df"):
        nf.predict()


def test_multivariate_future_exogenous(panel):
    # iTransformer takes futr_exog_list as NeuralForecast 3.3 does (tokens per series and
    # feature); historic features are refused with a ValueError naming the argument.
    from neurodivergent.models import iTransformer

    train = panel[panel["ds"] < "1960-01-01"]
    futr = panel[panel["ds"] >= "1960-01-01"][["unique_id", "ds", "trend"]]
    m = iTransformer(h=12, input_size=24, n_series=2, hidden_size=16, n_heads=2, d_ff=16, max_steps=5,
                     futr_exog_list=["trend"], **QUIET)
    nf = nd.NeuralForecast(models=[m], freq="ME")
    nf.fit(train)
    f = nf.predict(futr_df=futr)
    assert len(f) == 24 and np.isfinite(f["iTransformer"]).all()
    shifted = futr.assign(trend=futr["trend"] + 50.0)
    assert not np.array_equal(nf.predict(futr_df=shifted)["iTransformer"].to_numpy(), f["iTransformer"].to_numpy())
    with pytest.raises(ValueError, match="futr_df"):
        nf.predict()
    with pytest.raises(ValueError, match="hist_exog_list"):
        iTransformer(h=12, input_size=24, n_series=2, hist_exog_list=["y_[lag12]"])


def test_predict_on_new_df(air):
    nf = nd.NeuralForecast(models=[MLP(h=6, input_size=12, max_steps=3, hidden_size=8, **QUIET)], freq="MS")
    nf.fit(air[air["ds"] < "1960-01-01"])
    f = nf.predict(df=air)
    assert f["ds"].iloc[0] == pd.Timestamp("1961-01-01")


def test_predict_insample(air):
    nf = nd.NeuralForecast(models=[MLP(h=6, input_size=12, max_steps=3, hidden_size=8, **QUIET)], freq="MS")
    nf.fit(air)
    ins = nf.predict_insample(step_size=6)
    assert list(ins.columns) == ["unique_id", "ds", "cutoff", "MLP", "y"]
    assert len(ins) > 0 and (ins["ds"] > ins["cutoff"]).all()


def test_model_attributes_and_signature():
    import inspect

    m = NHITS(12, 24, max_steps=7)
    assert m.h == 12 and m.input_size == 24 and m.max_steps == 7 and m.learning_rate == 1e-3
    assert isinstance(m.loss, MAE)
    sig = inspect.signature(NHITS)
    assert "n_pool_kernel_size" in sig.parameters and sig.parameters["max_steps"].default == 1000
    assert "max_steps" in NHITS.__doc__


def test_polars_in_polars_out(air):
    pl = pytest.importorskip("polars")
    df = pl.from_dict({"unique_id": air["unique_id"].tolist(), "ds": air["ds"].to_numpy(), "y": air["y"].to_numpy()})
    nf = nd.NeuralForecast(models=[MLP(h=6, input_size=12, max_steps=3, hidden_size=8, **QUIET)], freq="MS")
    nf.fit(df)
    f = nf.predict()
    assert isinstance(f, pl.DataFrame)
    assert f.columns == ["unique_id", "ds", "MLP"] and f.height == 6
    ref = nd.NeuralForecast(models=[MLP(h=6, input_size=12, max_steps=3, hidden_size=8, **QUIET)], freq="MS")
    ref.fit(air)
    assert np.array_equal(f["MLP"].to_numpy(), ref.predict()["MLP"].to_numpy())


def test_threads_setting():
    n = nd.get_num_threads()
    nd.set_num_threads(1)
    assert nd.get_num_threads() == 1
    nd.set_num_threads(n)


def test_plot_series(air, tmp_path):
    pytest.importorskip("matplotlib")
    import matplotlib

    matplotlib.use("Agg")
    from neurodivergent.plotting import plot_series

    nf = nd.NeuralForecast(models=small_models(), freq="MS")
    nf.fit(air)
    fig = plot_series(air, nf.predict(), level=[80, 90], max_insample_length=48)
    fig.savefig(tmp_path / "plot.png")
    assert (tmp_path / "plot.png").stat().st_size > 1000
    labels = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert "NHITS" in labels and "LSTM-median" in labels and "LSTM 90%" in labels
