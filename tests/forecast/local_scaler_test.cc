// local_scaler_type="boxcox" end to end: the forecast (every quantile column) equals a model
// trained on Box-Cox-transformed data with the outputs inverted by hand; the fitted lambdas are
// saved with the model; version-1 saves still load; negative values name the series.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <unistd.h>

#include "nd/core/error.h"
#include "nd/data/csv.h"
#include "nd/data/scalers.h"
#include "nd/forecast/neuralforecast.h"
#include "nd/io/safetensors.h"

namespace nd::forecast {
namespace {

namespace fs = std::filesystem;
using models::json;

// Two positive series of different levels (integer timestamps).
data::Frame two_series() {
  std::string csv = "unique_id,ds,y\n";
  for (int t = 0; t < 60; ++t) {
    csv += "a," + std::to_string(t) + "," + std::to_string(10.0 + 5.0 * std::sin(t * 0.5) + 0.2 * t) + "\n";
  }
  for (int t = 0; t < 50; ++t) csv += "b," + std::to_string(t) + "," + std::to_string(std::exp(0.04 * t) * 100.0) + "\n";
  return data::read_csv_string(csv, "two.csv");
}

NeuralForecast make_nf(const std::string& local) {
  std::vector<std::unique_ptr<models::Model>> ms;
  ms.push_back(models::make_model("MLP", {{"h", 6}, {"input_size", 12}, {"max_steps", 20}, {"hidden_size", 16},
                                          {"loss", {{"name", "MQLoss"}, {"level", {80}}}}}));
  NeuralForecast nf(std::move(ms), "", local);
  nf.verbose = false;
  return nf;
}

TEST(ForecastLocalScaler, BoxCoxForecastIsTheInverseOfAModelOnTransformedData) {
  const data::Frame df = two_series();
  NeuralForecast nf = make_nf("boxcox");
  nf.fit(df);
  const data::Frame got = nf.predict();

  // By hand: the same model (same seed) on Box-Cox(y) with each series' lambda, then inverted.
  data::Frame z = df;
  std::vector<float> lambdas;
  std::vector<float>& y = z.column("y");
  for (int64_t s = 0; s < z.n_series(); ++s) {
    lambdas.push_back(data::boxcox_lambda_loglik(y.data() + z.indptr[s], z.length(s)));
    for (int64_t r = z.indptr[s]; r < z.indptr[s + 1]; ++r) y[r] = data::boxcox_forward(y[r], lambdas.back());
  }
  EXPECT_GT(std::fabs(lambdas[0] - lambdas[1]), 1e-3) << "the two series should get different lambdas";
  NeuralForecast plain = make_nf("");
  plain.fit(z);
  const data::Frame want = plain.predict();
  ASSERT_EQ(got.columns, want.columns);
  ASSERT_EQ(got.columns.size(), 3u);  // MLP-median, MLP-lo-80, MLP-hi-80
  for (size_t c = 0; c < got.columns.size(); ++c)
    for (int64_t s = 0; s < got.n_series(); ++s)
      for (int64_t r = got.indptr[s]; r < got.indptr[s + 1]; ++r)
        EXPECT_EQ(got.values[c][r], data::boxcox_inverse(want.values[c][r], lambdas[s])) << got.columns[c] << " row " << r;
  // The inverse was applied: the two frames differ.
  EXPECT_NE(got.column("MLP-median")[got.indptr[1]], want.column("MLP-median")[want.indptr[1]]);
}

class BoxCoxPersistence : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("nd_boxcox_" + std::to_string(::getpid()) + "_" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  fs::path dir_;
};

TEST_F(BoxCoxPersistence, LambdasAreSavedAndReloadBitIdentically) {
  const data::Frame df = two_series();
  NeuralForecast nf = make_nf("boxcox");
  nf.fit(df);
  const data::Frame before = nf.predict();
  nf.save(dir_.string());
  const io::StFile ds = io::read_safetensors((dir_ / "dataset.safetensors").string());
  const std::vector<float> st = ds.f32("local_stats:y");  // [series, (loc, scale, lambda)]
  ASSERT_EQ(st.size(), 6u);
  const std::vector<float>& y = df.column("y");
  for (int64_t s = 0; s < 2; ++s)
    EXPECT_EQ(st[s * 3 + 2], data::boxcox_lambda_loglik(y.data() + df.indptr[s], df.length(s)));
  const data::Frame after = NeuralForecast::load(dir_.string()).predict();
  for (size_t c = 0; c < before.columns.size(); ++c) EXPECT_EQ(before.values[c], after.values[c]);

  // A version-1 save (no fitted state stored) recomputes it from the dataset: same forecast.
  io::StFile v1 = ds;
  v1.tensors.erase("local_stats:y");
  io::write_safetensors(v1, (dir_ / "dataset.safetensors").string());
  std::ifstream in(dir_ / "nd_config.json");
  json cfg = json::parse(in);
  in.close();
  cfg["format_version"] = 1;
  std::ofstream(dir_ / "nd_config.json", std::ios::trunc) << cfg.dump();
  const data::Frame old = NeuralForecast::load(dir_.string()).predict();
  for (size_t c = 0; c < before.columns.size(); ++c) EXPECT_EQ(before.values[c], old.values[c]);
}

TEST(ForecastLocalScaler, BoxCoxNegativeValueNamesSeriesAndTimestamp) {
  data::Frame df = two_series();
  df.column("y")[df.indptr[1] + 7] = -3.5f;
  NeuralForecast nf = make_nf("boxcox");
  try {
    nf.fit(df);
    FAIL() << "negative value accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("series 'b' column 'y' has the negative value -3.5 at ds 7"),
              std::string::npos)
        << e.what();
  }
}

}  // namespace
}  // namespace nd::forecast
