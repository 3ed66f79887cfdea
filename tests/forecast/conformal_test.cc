// Conformal prediction intervals: the interval arithmetic against hand-computed values, the
// conformity scores against an independent cross-validation, point forecasts unchanged by
// calibration, coverage on noisy data, save -> load, and the errors NeuralForecast gives.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>

#include "forecast/forecast_internal.h"
#include "nd/core/error.h"
#include "nd/core/rng.h"
#include "nd/data/csv.h"
#include "nd/forecast/neuralforecast.h"

namespace nd::forecast {
namespace {

using models::json;

TEST(ForecastConformal, IntervalArithmeticMatchesHandComputation) {
  // One series, h = 1, point 10, scores {1, 3}.
  const std::vector<float> point = {10.0f}, scores = {1.0f, 3.0f};
  const std::vector<float> cuts = {0.05f, 0.95f};
  // conformal_distribution: np.quantile({7, 9, 11, 13}, q): 0.05 -> 7 + 2 * 0.15, 0.95 -> 11 + 2 * 0.85.
  const std::vector<float> d = detail::conformal_columns(point, {scores.data()}, 2, 1, "conformal_distribution", cuts);
  ASSERT_EQ(d.size(), 3u);
  EXPECT_FLOAT_EQ(d[0], 10.0f);
  EXPECT_NEAR(d[1], 7.3f, 1e-5);
  EXPECT_NEAR(d[2], 12.7f, 1e-5);
  // conformal_error: 10 -+ np.quantile({1, 3}, 0.95) = 10 -+ 2.9.
  const std::vector<float> e = detail::conformal_columns(point, {scores.data()}, 2, 1, "conformal_error", cuts);
  EXPECT_NEAR(e[1], 7.1f, 1e-5);
  EXPECT_NEAR(e[2], 12.9f, 1e-5);
  // The median cut is the point forecast.
  EXPECT_FLOAT_EQ(detail::conformal_columns(point, {scores.data()}, 2, 1, "conformal_error", {0.5f})[1], 10.0f);
}

// n series of `len` steps: a seasonal pattern per series plus N(0, sigma) noise.
data::Frame noisy(int64_t n, int64_t len, float sigma, uint64_t seed) {
  Rng rng(seed);
  std::string csv = "unique_id,ds,y\n";
  for (int64_t s = 0; s < n; ++s)
    for (int64_t t = 1; t <= len; ++t) {
      const double y = 50.0 + 10.0 * s + 8.0 * std::sin(2.0 * M_PI * t / 12.0) + sigma * rng.normal();
      csv += "s" + std::to_string(s) + "," + std::to_string(t) + "," + std::to_string(y) + "\n";
    }
  return data::read_csv_string(csv, "noisy.csv");
}

NeuralForecast make_nf(int64_t steps = 60) {
  std::vector<std::unique_ptr<models::Model>> ms;
  ms.push_back(models::make_model("MLP", {{"h", 6}, {"input_size", 24}, {"max_steps", steps}, {"hidden_size", 32},
                                          {"num_layers", 1}, {"random_seed", 3}, {"scaler_type", "standard"}}));
  NeuralForecast nf(std::move(ms), "1");
  nf.verbose = false;
  return nf;
}

TEST(ForecastConformal, ScoresAreTheAbsoluteErrorsOfACrossValidationAndPointForecastsAreUnchanged) {
  const data::Frame df = noisy(3, 80, 1.0f, 1);
  PredictionIntervals pi;
  pi.n_windows = 3;
  NeuralForecast nf = make_nf();
  nf.fit(df, 0, nullptr, &pi);
  const std::vector<float>& sc = nf.conformity_scores("MLP");
  ASSERT_EQ(sc.size(), 3u * 3u * 6u);  // [S, W, h]
  NeuralForecast ref = make_nf();
  const CVResult cv = ref.cross_validation(df, 3, 1);
  for (size_t r = 0; r < sc.size(); ++r)
    EXPECT_EQ(sc[r], std::fabs(cv.column("MLP")[r] - cv.column("y")[r])) << r;
  // The models themselves train as without calibration.
  NeuralForecast plain = make_nf();
  plain.fit(df);
  EXPECT_EQ(nf.predict().column("MLP"), plain.predict().column("MLP"));
  // Columns: the point forecast, lo in reversed level order, hi in level order (NeuralForecast).
  const data::Frame f = nf.predict(nullptr, nullptr, nullptr, Intervals{{80, 90}, {}});
  EXPECT_EQ(f.columns, (std::vector<std::string>{"MLP", "MLP-lo-90", "MLP-lo-80", "MLP-hi-80", "MLP-hi-90"}));
  for (int64_t r = 0; r < f.n_rows(); ++r) {
    EXPECT_LE(f.column("MLP-lo-90")[r], f.column("MLP-lo-80")[r]);
    EXPECT_LE(f.column("MLP-lo-80")[r], f.column("MLP")[r]);
    EXPECT_LE(f.column("MLP")[r], f.column("MLP-hi-80")[r]);
    EXPECT_LE(f.column("MLP-hi-80")[r], f.column("MLP-hi-90")[r]);
  }
  const data::Frame q = nf.predict(nullptr, nullptr, nullptr, Intervals{{}, {0.1f, 0.5f, 0.9f}});
  EXPECT_EQ(q.columns, (std::vector<std::string>{"MLP", "MLP-ql0.1", "MLP-ql0.5", "MLP-ql0.9"}));
  EXPECT_EQ(q.column("MLP-ql0.5"), q.column("MLP"));
}

TEST(ForecastConformal, IntervalsCoverNoisyDataNearTheirLevel) {
  // 40 series with N(0, 2) noise; intervals from 6 calibration windows, scored on the next 6 steps.
  const int64_t n = 40, len = 120, h = 6;
  const data::Frame all = noisy(n, len + h, 2.0f, 7);
  std::vector<int64_t> lengths(n, len);
  const data::Frame train = detail::truncate(all, lengths);
  for (const char* method : {"conformal_distribution", "conformal_error"}) {
    PredictionIntervals pi;
    pi.n_windows = 6;
    pi.method = method;
    NeuralForecast nf = make_nf(150);
    nf.fit(train, 0, nullptr, &pi);
    const data::Frame f = nf.predict(nullptr, nullptr, nullptr, Intervals{{80}, {}});
    int64_t in = 0;
    for (int64_t s = 0; s < n; ++s)
      for (int64_t t = 0; t < h; ++t) {
        const float y = all.column("y")[all.indptr[s] + len + t];
        in += y >= f.column("MLP-lo-80")[s * h + t] && y <= f.column("MLP-hi-80")[s * h + t];
      }
    const double coverage = static_cast<double>(in) / (n * h);
    // 240 draws: the binomial standard error at 0.8 is 0.026; the score quantiles add their own.
    EXPECT_GT(coverage, 0.65) << method;
    EXPECT_LT(coverage, 0.95) << method;
  }
}

TEST(ForecastConformal, SaveLoadKeepsTheCalibration) {
  const data::Frame df = noisy(2, 60, 1.0f, 2);
  PredictionIntervals pi;
  pi.n_windows = 2;
  pi.method = "conformal_error";
  NeuralForecast nf = make_nf(20);
  nf.fit(df, 0, nullptr, &pi);
  const std::string dir = ::testing::TempDir() + "/nd_conformal_save";
  nf.save(dir, true);
  NeuralForecast back = NeuralForecast::load(dir);
  ASSERT_NE(back.prediction_intervals(), nullptr);
  EXPECT_EQ(back.prediction_intervals()->method, "conformal_error");
  const Intervals iv{{80, 95}, {}};
  const data::Frame a = nf.predict(nullptr, nullptr, nullptr, iv), b = back.predict(nullptr, nullptr, nullptr, iv);
  EXPECT_EQ(a.columns, b.columns);
  EXPECT_EQ(a.values, b.values);
  std::filesystem::remove_all(dir);
}

void expect_error(const std::function<void()>& f, const std::string& part) {
  try {
    f();
    FAIL() << "no error; expected one containing: " << part;
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find(part), std::string::npos) << e.what();
  }
}

TEST(ForecastConformal, ErrorsNameTheProblem) {
  const data::Frame df = noisy(2, 40, 1.0f, 3);
  PredictionIntervals pi;
  pi.n_windows = 1;
  expect_error([&] { pi.check(); }, "at least two windows");
  pi.n_windows = 40;
  NeuralForecast nf = make_nf(5);
  expect_error([&] { nf.fit(df, 0, nullptr, &pi); }, "Minimum required samples in each serie");
  pi.n_windows = 2;
  pi.method = "split";
  expect_error([&] { nf.fit(df, 0, nullptr, &pi); }, "method must be one of");
  NeuralForecast plain = make_nf(5);
  plain.fit(df);
  expect_error([&] { plain.predict(nullptr, nullptr, nullptr, Intervals{{80}, {}}); }, "need prediction_intervals");
  pi.method = "conformal_distribution";
  nf.fit(df, 0, nullptr, &pi);
  const data::Frame other = noisy(3, 40, 1.0f, 4);  // series s2 was not calibrated
  expect_error([&] { nf.predict(&other, nullptr, nullptr, Intervals{{80}, {}}); }, "series 's2' has no conformity");
  expect_error([&] { nf.predict_insample(1, Intervals{{80}, {}}); }, "not supported for insample");
  expect_error([&] { nf.cross_validation(df, 2, 1, 0, 0, false, nullptr, Intervals{{80}, {}}, &pi); },
               "only supported with refit=True");
  expect_error([&] { nf.cross_validation(df, 2, 1, 0, 0, true, nullptr, {}, &pi); }, "set the level or quantiles");
}

TEST(ForecastConformal, CrossValidationCalibratesEveryRefit) {
  const data::Frame df = noisy(2, 60, 1.0f, 5);
  PredictionIntervals pi;
  pi.n_windows = 2;
  NeuralForecast nf = make_nf(10);
  const CVResult cv = nf.cross_validation(df, 2, 6, 0, 0, true, nullptr, Intervals{{80}, {}}, &pi);
  EXPECT_EQ(cv.columns, (std::vector<std::string>{"MLP", "MLP-lo-80", "MLP-hi-80", "y"}));
  // The second window's intervals equal a fit (with calibration) on the data up to its cutoff.
  NeuralForecast ref = make_nf(10);
  ref.fit(detail::truncate(df, {54, 54}), 0, nullptr, &pi);
  const data::Frame f = ref.predict(nullptr, nullptr, nullptr, Intervals{{80}, {}});
  // Rows: series s0 windows 0, 1 (6 each), then s1.
  for (int t = 0; t < 6; ++t) {
    EXPECT_EQ(cv.column("MLP-lo-80")[6 + t], f.column("MLP-lo-80")[t]) << t;
    EXPECT_EQ(cv.column("MLP-hi-80")[6 + t], f.column("MLP-hi-80")[t]) << t;
  }
}

}  // namespace
}  // namespace nd::forecast
