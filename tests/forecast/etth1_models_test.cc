// Every model on ETTh1 (the 7 hourly series, Informer split: training rows 0..8639): cross-
// validated over 4 daily windows right after the training split, each model must beat seasonal
// naive (period 24) on MAE; save -> load must give bit-identical predictions.
#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <unistd.h>

#include "nd/data/csv.h"
#include "nd/forecast/metrics.h"
#include "nd/forecast/neuralforecast.h"

namespace nd::forecast {
namespace {

using models::json;

const data::Frame& etth1() {
  static const data::Frame f = [] {
    data::Frame all = data::read_wide_csv(std::string(ND_SHARED_DATA_DIR) + "/ETTh1.csv");
    // Rows 0 .. 8639 + 4 * 24 of every series (training split + the evaluated windows).
    data::Frame o = all;
    o.indptr = {0};
    o.ds.clear();
    for (auto& c : o.values) c.clear();
    const int64_t keep = 8640 + 96;
    for (int64_t s = 0; s < all.n_series(); ++s) {
      for (int64_t r = all.indptr[s]; r < all.indptr[s] + keep; ++r) {
        o.ds.push_back(all.ds[r]);
        for (size_t c = 0; c < all.values.size(); ++c) o.values[c].push_back(all.values[c][r]);
      }
      o.indptr.push_back(o.indptr.back() + keep);
    }
    return o;
  }();
  return f;
}

struct Case {
  std::string model;
  json hp;
};

class ETTh1Models : public ::testing::TestWithParam<Case> {};

TEST_P(ETTh1Models, BeatsSeasonalNaiveAndReloadsBitIdentical) {
  const Case& c = GetParam();
  json hp = c.hp;
  hp.update({{"h", 24}, {"input_size", 96}, {"random_seed", 1}});
  std::vector<std::unique_ptr<models::Model>> ms;
  ms.push_back(models::make_model(c.model, hp));
  NeuralForecast nf(std::move(ms), "h");
  nf.verbose = false;
  const CVResult cv = nf.cross_validation(etth1(), /*n_windows=*/4, /*step_size=*/24);
  const std::vector<float>& y = cv.column("y");
  const std::vector<float>& p = cv.column(nf.models()[0]->alias());
  // Seasonal naive for the same rows: the value 24 hours before each target, from the history
  // up to the row's cutoff (the 24 values before the cutoff, repeated).
  const data::Frame& df = etth1();
  std::vector<float> naive(y.size());
  for (int64_t r = 0; r < cv.n_rows(); ++r) {
    const int64_t s = df.find_series(cv.unique_id[r]);
    const int64_t cut = std::lower_bound(df.ds.begin() + df.indptr[s], df.ds.begin() + df.indptr[s + 1], cv.cutoff[r]) -
                        df.ds.begin();
    const int64_t ahead = (cv.ds[r] - cv.cutoff[r]) / 3600;  // 1..24
    naive[r] = df.column("y")[cut - 24 + ((ahead - 1) % 24) + 1];
  }
  const double model_mae = mae(y.data(), p.data(), cv.n_rows());
  const double naive_mae = mae(y.data(), naive.data(), cv.n_rows());
  EXPECT_LT(model_mae, naive_mae) << c.model << " MAE " << model_mae << " vs seasonal naive " << naive_mae;
  std::printf("ETTh1 %s: MAE %.4f, seasonal naive %.4f\n", c.model.c_str(), model_mae, naive_mae);
  // Save -> load -> predict is bit-identical.
  const std::string dir = (std::filesystem::temp_directory_path() / ("nd_etth1_" + c.model + "_" + std::to_string(::getpid()))).string();
  const data::Frame before = nf.predict();
  nf.save(dir, true);
  const data::Frame after = NeuralForecast::load(dir).predict();
  std::filesystem::remove_all(dir);
  ASSERT_EQ(before.columns, after.columns);
  for (size_t k = 0; k < before.values.size(); ++k) EXPECT_EQ(before.values[k], after.values[k]) << c.model;
}

INSTANTIATE_TEST_SUITE_P(
    Forecast, ETTh1Models,
    ::testing::Values(
        Case{"MLP", {{"max_steps", 150}, {"hidden_size", 128}, {"scaler_type", "standard"}, {"windows_batch_size", 256}}},
        Case{"NLinear", {{"max_steps", 150}, {"learning_rate", 1e-3}, {"windows_batch_size", 256}}},
        Case{"DLinear", {{"max_steps", 150}, {"learning_rate", 1e-3}, {"windows_batch_size", 256}}},
        Case{"NHITS", {{"max_steps", 150}, {"mlp_units", {{128, 128}, {128, 128}, {128, 128}}}, {"scaler_type", "standard"},
                       {"windows_batch_size", 256}}},
        Case{"NBEATS", {{"max_steps", 150}, {"mlp_units", {{128, 128}, {128, 128}, {128, 128}}}, {"scaler_type", "standard"},
                        {"windows_batch_size", 256}}},
        Case{"RNN", {{"max_steps", 150}, {"encoder_hidden_size", 64}, {"decoder_hidden_size", 64}}},
        Case{"LSTM", {{"max_steps", 150}, {"encoder_hidden_size", 64}, {"decoder_hidden_size", 64}}},
        Case{"GRU", {{"max_steps", 150}, {"encoder_hidden_size", 64}, {"decoder_hidden_size", 64}}},
        Case{"TCN", {{"max_steps", 150}, {"encoder_hidden_size", 64}, {"decoder_hidden_size", 64}}},
        Case{"DeepNPTS", {{"max_steps", 150}, {"hidden_size", 64}, {"windows_batch_size", 256}}}),
    [](const ::testing::TestParamInfo<Case>& i) { return i.param.model; });

}  // namespace
}  // namespace nd::forecast
