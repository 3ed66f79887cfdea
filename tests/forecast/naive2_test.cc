// M4's seasonality test, Naive2 and OWA: a hand-computed seasonal case and the numpy
// re-implementation of the M4 organizers' R code (tests/golden/make_forecast_goldens.py) on M3
// monthly series.
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <nlohmann/json.hpp>

#include "nd/data/csv.h"
#include "nd/forecast/metrics.h"

namespace nd::forecast {
namespace {

using json = nlohmann::json;

TEST(ForecastNaive2, HandComputedSeasonalCase) {
  // Period 3, n = 12: deviations from the mean 20 are (-10, 0, 10) repeated, sum of squares 800.
  // acf(1) = -300 / 800, acf(2) = -400 / 800, acf(3) = 600 / 800 = 0.75;
  // limit = 1.645 / sqrt(12) * sqrt(1 + 2 (0.375^2 + 0.5^2)) = 0.6338 < 0.75: seasonal.
  const float x[12] = {10, 20, 30, 10, 20, 30, 10, 20, 30, 10, 20, 30};
  EXPECT_TRUE(m4_seasonality_test(x, 12, 3));
  // Centred 3-term means are all 20, ratios per cycle position 0.5, 1, 1.5 (mean 1); the last
  // value 30 / 1.5 = 20 is the adjusted level; re-seasonalized: 10, 20, 30, 10.
  float f[4];
  naive2(x, 12, 3, 4, f);
  EXPECT_FLOAT_EQ(f[0], 10.0f);
  EXPECT_FLOAT_EQ(f[1], 20.0f);
  EXPECT_FLOAT_EQ(f[2], 30.0f);
  EXPECT_FLOAT_EQ(f[3], 10.0f);
  // Fewer than 3 seasons, m = 1, or a constant series: not seasonal, Naive2 is the naive forecast.
  EXPECT_FALSE(m4_seasonality_test(x, 8, 3));
  EXPECT_FALSE(m4_seasonality_test(x, 12, 1));
  const float flat[12] = {5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5};
  EXPECT_FALSE(m4_seasonality_test(flat, 12, 3));
  naive2(x, 8, 3, 2, f);
  EXPECT_EQ(f[0], x[7]);
  EXPECT_EQ(f[1], x[7]);
  // R's acf stops at lag floor(10 log10 n): with n = 36 and m = 24 the lag is out of reach.
  float long_x[72];
  for (int i = 0; i < 72; ++i) long_x[i] = (i % 24 == 0) ? 50.0f : 10.0f + (i % 2);
  EXPECT_FALSE(m4_seasonality_test(long_x, 36 * 2 - 1, 24)) << "71 < 3 * 24";
  EXPECT_FALSE(m4_seasonality_test(long_x, 72, 24)) << "floor(10 log10 72) = 18 < 24";
  // OWA = (sMAPE ratio + MASE ratio) / 2.
  EXPECT_DOUBLE_EQ(owa(10.0, 0.5, 20.0, 1.0), 0.5);
}

TEST(ForecastNaive2, MatchesM4ReferenceOnM3Monthly) {
  std::ifstream gf(std::string(ND_GOLDEN_DIR) + "/forecast.json");
  const json g = json::parse(gf)["naive2"];
  const int64_t m = g["m"], h = g["h"];
  const data::Frame df = data::read_csv(std::string(ND_SHARED_DATA_DIR) + "/m3/m3_monthly_train.csv");
  const std::vector<float>& y = df.column("y");
  int seasonal = 0;
  std::vector<double> sm, ms, sm2, ms2;
  for (const json& c : g["series"]) {
    const int64_t s = df.find_series(c["id"]);
    ASSERT_GE(s, 0);
    const float* x = y.data() + df.indptr[s];
    const int64_t n = df.length(s) - h;  // history; the last h values are the test part
    EXPECT_EQ(m4_seasonality_test(x, n, m), c["seasonal"].get<bool>()) << c["id"];
    seasonal += c["seasonal"].get<bool>();
    std::vector<float> f(h), sn(h);
    naive2(x, n, m, h, f.data());
    const auto want = c["naive2"].get<std::vector<double>>();
    for (int64_t t = 0; t < h; ++t) EXPECT_NEAR(f[t], want[t], 1e-5 * std::fabs(want[t])) << c["id"] << " t " << t;
    // The seasonal naive forecast scored against Naive2: sMAPE, MASE and OWA as the script.
    seasonal_naive(x, n, m, h, sn.data());
    sm.push_back(smape(x + n, sn.data(), h));
    ms.push_back(mase(x + n, sn.data(), h, x, n, m));
    sm2.push_back(smape(x + n, f.data(), h));
    ms2.push_back(mase(x + n, f.data(), h, x, n, m));
    EXPECT_NEAR(sm2.back(), c["smape_naive2"].get<double>(), 1e-4) << c["id"];
    EXPECT_NEAR(ms2.back(), c["mase_naive2"].get<double>(), 1e-5) << c["id"];
    EXPECT_NEAR(owa(sm.back(), ms.back(), sm2.back(), ms2.back()), c["owa"].get<double>(), 1e-5) << c["id"];
  }
  EXPECT_GT(seasonal, 5) << "the sample should exercise the seasonal path";
  auto mean = [](const std::vector<double>& v) {
    double s = 0;
    for (double x : v) s += x;
    return s / static_cast<double>(v.size());
  };
  EXPECT_NEAR(owa(mean(sm), mean(ms), mean(sm2), mean(ms2)), g["owa_overall"].get<double>(), 1e-6);
}

}  // namespace
}  // namespace nd::forecast
