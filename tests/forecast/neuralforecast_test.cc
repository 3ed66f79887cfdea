// NeuralForecast fit / predict end to end on AirPassengers: accuracy against seasonal naive,
// output frame shape and names, determinism, input errors.
#include "nd/forecast/neuralforecast.h"

#include <gtest/gtest.h>

#include "nd/core/error.h"
#include "nd/data/csv.h"
#include "nd/data/embedded.h"
#include "nd/forecast/metrics.h"

namespace nd::forecast {
namespace {

using models::json;

data::Frame air(int64_t drop_last) {
  data::Frame f = data::read_csv_string(data::embedded_air_passengers(), "air_passengers.csv");
  const int64_t n = f.n_rows() - drop_last;
  f.indptr = {0, n};
  f.ds.resize(n);
  for (auto& c : f.values) c.resize(n);
  return f;
}

data::Frame fit_predict(const std::string& model, json hp) {
  hp.update({{"h", 12}, {"input_size", 24}});
  std::vector<std::unique_ptr<models::Model>> ms;
  ms.push_back(models::make_model(model, hp));
  NeuralForecast nf(std::move(ms), "MS");
  nf.verbose = false;
  nf.fit(air(12));
  return nf.predict();
}

double holdout_mae(const data::Frame& f, const std::string& col) {
  const data::Frame all = air(0);
  return mae(all.column("y").data() + 132, f.column(col).data(), 12);
}

TEST(ForecastNeuralForecast, ModelsBeatSeasonalNaiveOnAirPassengers) {
  const data::Frame all = air(0);
  std::vector<float> naive(12);
  seasonal_naive(all.column("y").data(), 132, 12, 12, naive.data());
  const double naive_mae = mae(all.column("y").data() + 132, naive.data(), 12);  // 47.83
  const data::Frame f = fit_predict("MLP", {{"max_steps", 200}, {"hidden_size", 128}, {"scaler_type", "robust"}});
  EXPECT_LT(holdout_mae(f, "MLP"), naive_mae);
  const data::Frame n = fit_predict("NLinear", {{"max_steps", 300}, {"learning_rate", 1e-2}, {"scaler_type", "standard"}});
  EXPECT_LT(holdout_mae(n, "NLinear"), naive_mae);
  const data::Frame d = fit_predict("DLinear", {{"max_steps", 300}, {"learning_rate", 1e-2}, {"scaler_type", "standard"}});
  EXPECT_LT(holdout_mae(d, "DLinear"), naive_mae);
}

TEST(ForecastNeuralForecast, OutputFrameFollowsNeuralForecast) {
  const data::Frame f =
      fit_predict("MLP", {{"max_steps", 5}, {"hidden_size", 8}, {"loss", {{"name", "MQLoss"}, {"level", {80, 90}}}}});
  ASSERT_EQ(f.n_series(), 1);
  EXPECT_EQ(f.ids[0], "AirPassengers");
  ASSERT_EQ(f.n_rows(), 12);
  EXPECT_EQ(data::format_time(f.ds[0], f.time_kind), "1960-01-01");
  EXPECT_EQ(data::format_time(f.ds[11], f.time_kind), "1960-12-01");
  EXPECT_EQ(f.columns, (std::vector<std::string>{"MLP-median", "MLP-lo-90", "MLP-lo-80", "MLP-hi-80", "MLP-hi-90"}));
}

TEST(ForecastNeuralForecast, SameSeedSameForecastBitForBit) {
  const json hp = {{"max_steps", 20}, {"hidden_size", 16}, {"scaler_type", "robust"}, {"random_seed", 3}};
  EXPECT_EQ(fit_predict("MLP", hp).column("MLP"), fit_predict("MLP", hp).column("MLP"));
  json other = hp;
  other["random_seed"] = 4;
  EXPECT_NE(fit_predict("MLP", hp).column("MLP"), fit_predict("MLP", other).column("MLP"));
}

TEST(ForecastNeuralForecast, InputErrorsAreClear) {
  std::vector<std::unique_ptr<models::Model>> ms;
  ms.push_back(models::make_model("MLP", {{"h", 12}, {"input_size", 200}, {"max_steps", 1}}));
  NeuralForecast nf(std::move(ms), "MS");
  nf.verbose = false;
  try {
    nf.fit(air(12));
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("too short"), std::string::npos) << e.what();
  }
  data::Frame bad = air(12);
  bad.column("y")[5] = std::nanf("");
  std::vector<std::unique_ptr<models::Model>> ms2;
  ms2.push_back(models::make_model("MLP", {{"h", 12}, {"input_size", 24}, {"max_steps", 1}}));
  NeuralForecast nf2(std::move(ms2), "MS");
  try {
    nf2.fit(bad);
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("series 'AirPassengers': target y is nan at ds 1949-06-01"),
              std::string::npos)
        << e.what();
  }
  EXPECT_THROW(NeuralForecast({}, "MS"), Error);
}

}  // namespace
}  // namespace nd::forecast
