// Exogenous variables end to end: a target driven by a known future covariate is forecast far
// better with futr_exog_list; historic and static features flow through fit, predict and
// cross-validation; missing columns / futr_df give clear errors.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <unistd.h>
#include <functional>

#include "nd/core/error.h"
#include "nd/core/rng.h"
#include "nd/data/csv.h"
#include "nd/forecast/metrics.h"
#include "nd/forecast/neuralforecast.h"

namespace nd::forecast {
namespace {

using models::json;

// Two series of 300 steps: y_t = 5 * x_t + level, x a random 0/1 promotion flag known ahead;
// z a historic covariate (lagged y), level given as a static feature.
struct Synthetic {
  data::Frame train, futr, actual;
  data::StaticFrame stat;
};

// shared: both series see the same promotion days (a calendar-like covariate).
Synthetic make(int64_t n = 300, int64_t h = 12, bool shared = false) {
  Rng rng(3);
  std::vector<float> common(static_cast<size_t>(n + h));
  for (float& x : common) x = rng.uniform() < 0.3f ? 1.0f : 0.0f;
  std::string train = "unique_id,ds,y,promo,lagged\n", futr = "unique_id,ds,promo\n", actual = "unique_id,ds,y\n";
  for (const char* id : {"a", "b"}) {
    const float level = id[0] == 'a' ? 10.0f : 20.0f;
    float prev = level;
    for (int64_t t = 0; t < n + h; ++t) {
      const float x = shared ? common[t] : (rng.uniform() < 0.3f ? 1.0f : 0.0f);
      const float y = level + 5.0f * x + 0.1f * rng.normal();
      if (t < n)
        train += std::string(id) + "," + std::to_string(t) + "," + std::to_string(y) + "," + std::to_string(x) + "," +
                 std::to_string(prev) + "\n";
      else {
        futr += std::string(id) + "," + std::to_string(t) + "," + std::to_string(x) + "\n";
        actual += std::string(id) + "," + std::to_string(t) + "," + std::to_string(y) + "\n";
      }
      prev = y;
    }
  }
  Synthetic s{data::read_csv_string(train, "train"), data::read_csv_string(futr, "futr", {"unique_id", "ds", "y", false}),
              data::read_csv_string(actual, "actual"), {}};
  s.stat.ids = {"a", "b"};
  s.stat.columns = {"level"};
  s.stat.values = {{10.0f, 20.0f}};
  return s;
}

double fit_mae(const std::string& model, json hp, bool with_futr, bool shared = false) {
  Synthetic s = make(300, 12, shared);
  hp.update({{"h", 12}, {"input_size", 24}, {"max_steps", 300}, {"scaler_type", "standard"}, {"random_seed", 2}});
  if (with_futr) hp["futr_exog_list"] = {"promo"};
  std::vector<std::unique_ptr<models::Model>> ms;
  ms.push_back(models::make_model(model, hp));
  NeuralForecast nf(std::move(ms), "1");
  nf.verbose = false;
  nf.fit(s.train);
  const data::Frame f = nf.predict(nullptr, nullptr, with_futr ? &s.futr : nullptr);
  return mae(s.actual.column("y").data(), f.column(model).data(), f.n_rows());
}

TEST(ForecastExogenous, FutureCovariateIsUsed) {
  for (const char* model : {"MLP", "NHITS"}) {
    const json hp = std::string(model) == "MLP" ? json{{"hidden_size", 64}}
                                                : json{{"mlp_units", {{64, 64}, {64, 64}, {64, 64}}}};
    const double without = fit_mae(model, hp, false), with = fit_mae(model, hp, true);
    EXPECT_LT(with, 0.5 * without) << model << ": MAE with promo " << with << ", without " << without;
  }
}

// iTransformer (multivariate): the future covariate's tokens (one per series and feature) join
// the series tokens; fit, predict with futr_df, save -> load and cross-validation all carry them.
TEST(ForecastExogenous, MultivariateFutureCovariateIsUsed) {
  const json hp = {{"n_series", 2}, {"hidden_size", 32}, {"n_heads", 4}, {"d_ff", 64}, {"e_layers", 1}};
  const double without = fit_mae("iTransformer", hp, false, true), with = fit_mae("iTransformer", hp, true, true);
  std::printf("  iTransformer, shared promotion flag: MAE %.3f with futr_exog_list, %.3f without\n", with, without);
  EXPECT_LT(with, 0.5 * without);

  Synthetic s = make(300, 12, true);
  json kw = hp;
  kw.update({{"h", 12}, {"input_size", 24}, {"max_steps", 10}, {"futr_exog_list", {"promo"}}});
  std::vector<std::unique_ptr<models::Model>> ms;
  ms.push_back(models::make_model("iTransformer", kw));
  NeuralForecast nf(std::move(ms), "1");
  nf.verbose = false;
  nf.fit(s.train);
  const data::Frame f = nf.predict(nullptr, nullptr, &s.futr);
  ASSERT_EQ(f.n_rows(), 24);
  // The forecast depends on the future values: flip them and it changes.
  data::Frame flipped = s.futr;
  for (float& x : flipped.values[0]) x = 1.0f - x;
  EXPECT_NE(nf.predict(nullptr, nullptr, &flipped).column("iTransformer"), f.column("iTransformer"));
  const std::string dir = (std::filesystem::temp_directory_path() / ("nd_mv_exog_" + std::to_string(::getpid()))).string();
  nf.save(dir, true);
  const data::Frame g = NeuralForecast::load(dir).predict(nullptr, nullptr, &s.futr);
  std::filesystem::remove_all(dir);
  EXPECT_EQ(g.column("iTransformer"), f.column("iTransformer"));
  const CVResult cv = nf.cross_validation(s.train, 2, 12);
  EXPECT_EQ(cv.n_rows(), 2 * 2 * 12);
  for (float v : cv.column("iTransformer")) EXPECT_TRUE(std::isfinite(v));
  std::string err = "<no error>";
  try {
    nf.predict();
  } catch (const Error& e) {
    err = e.what();
  }
  EXPECT_NE(err.find("pass futr_df"), std::string::npos) << err;
}

TEST(ForecastExogenous, HistoricAndStaticFlowThroughFitPredictAndCV) {
  Synthetic s = make();
  std::vector<std::unique_ptr<models::Model>> ms;
  ms.push_back(models::make_model("NHITS", {{"h", 12}, {"input_size", 24}, {"max_steps", 20},
                                            {"mlp_units", {{32, 32}, {32, 32}, {32, 32}}},
                                            {"hist_exog_list", {"lagged"}}, {"stat_exog_list", {"level"}},
                                            {"futr_exog_list", {"promo"}}, {"scaler_type", "robust"}}));
  NeuralForecast nf(std::move(ms), "1");
  nf.verbose = false;
  nf.fit(s.train, 0, &s.stat);
  const data::Frame f = nf.predict(nullptr, nullptr, &s.futr);
  EXPECT_EQ(f.n_rows(), 24);
  for (float v : f.column("NHITS")) EXPECT_TRUE(std::isfinite(v));
  // Static features are saved with the model: reload predicts bit-identically.
  const std::string dir = (std::filesystem::temp_directory_path() / ("nd_exog_" + std::to_string(::getpid()))).string();
  nf.save(dir, true);
  const data::Frame g = NeuralForecast::load(dir).predict(nullptr, nullptr, &s.futr);
  std::filesystem::remove_all(dir);
  EXPECT_EQ(g.column("NHITS"), f.column("NHITS"));
  const CVResult cv = nf.cross_validation(s.train, 2, 12, 0, 0, false, &s.stat);
  EXPECT_EQ(cv.n_rows(), 2 * 2 * 12);
  // Errors name what is missing.
  auto msg = [](const std::function<void()>& fn) {
    try {
      fn();
    } catch (const Error& e) {
      return std::string(e.what());
    }
    return std::string("<no error>");
  };
  EXPECT_NE(msg([&] { nf.predict(); }).find("pass futr_df"), std::string::npos);
  data::Frame short_futr = s.futr;
  short_futr.indptr = {0, 5, 10};
  short_futr.ds = {300, 301, 302, 303, 304, 300, 301, 302, 303, 304};
  short_futr.values = {std::vector<float>(10, 0.0f)};
  EXPECT_NE(msg([&] { nf.predict(nullptr, nullptr, &short_futr); }).find("12 are needed"), std::string::npos);
  std::vector<std::unique_ptr<models::Model>> ms2;
  ms2.push_back(models::make_model("MLP", {{"h", 12}, {"input_size", 24}, {"max_steps", 1}, {"hist_exog_list", {"nope"}}}));
  NeuralForecast nf2(std::move(ms2), "1");
  nf2.verbose = false;
  EXPECT_NE(msg([&] { nf2.fit(s.train); }).find("hist_exog_list column 'nope' is not in the data"), std::string::npos);
  std::vector<std::unique_ptr<models::Model>> ms3;
  ms3.push_back(models::make_model("MLP", {{"h", 12}, {"input_size", 24}, {"max_steps", 1}, {"stat_exog_list", {"level"}}}));
  NeuralForecast nf3(std::move(ms3), "1");
  nf3.verbose = false;
  EXPECT_NE(msg([&] { nf3.fit(s.train); }).find("stat_exog_list needs static_df"), std::string::npos);
}

}  // namespace
}  // namespace nd::forecast

namespace nd::forecast {
namespace {

TEST(ForecastExogenous, LocalScalingUsesFitStatisticsForTargetAndExogenous) {
  Synthetic s = make();
  std::vector<std::unique_ptr<models::Model>> ms;
  ms.push_back(models::make_model("MLP", {{"h", 12}, {"input_size", 24}, {"max_steps", 200}, {"hidden_size", 64},
                                          {"futr_exog_list", {"promo"}}, {"random_seed", 2}}));
  NeuralForecast nf(std::move(ms), "1", "standard");
  nf.verbose = false;
  nf.fit(s.train);
  const data::Frame full = nf.predict(nullptr, nullptr, &s.futr);
  // Only the last 30 rows of each series: same input window, same (fit-time) statistics.
  data::Frame tail = s.train;
  tail.indptr = {0};
  tail.ds.clear();
  for (auto& c : tail.values) c.clear();
  for (int64_t k = 0; k < s.train.n_series(); ++k) {
    for (int64_t r = s.train.indptr[k + 1] - 30; r < s.train.indptr[k + 1]; ++r) {
      tail.ds.push_back(s.train.ds[r]);
      for (size_t c = 0; c < tail.values.size(); ++c) tail.values[c].push_back(s.train.values[c][r]);
    }
    tail.indptr.push_back(tail.indptr.back() + 30);
  }
  const data::Frame part = nf.predict(&tail, nullptr, &s.futr);
  EXPECT_EQ(part.column("MLP"), full.column("MLP"));
  EXPECT_LT(mae(s.actual.column("y").data(), full.column("MLP").data(), full.n_rows()), 1.0);
}

}  // namespace
}  // namespace nd::forecast
