// Sample paths (NeuralForecast.simulate): marginals equal the quantile forecasts within
// Monte-Carlo error, the Gaussian copula carries each series' AR(1) correlation, the Schaake
// shuffle the rank order of the history's windows; determinism, output layout and errors.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include "nd/core/error.h"
#include "nd/core/rng.h"
#include "nd/data/csv.h"
#include "nd/forecast/neuralforecast.h"

namespace nd::forecast {
namespace {

// Quantiles 0.01 .. 0.99 of N(mu_t, 1) for h steps, one series.
struct Grid {
  std::vector<float> xp, qv;
};
Grid normal_grid(int64_t h) {
  Grid g;
  for (int k = 1; k < 100; ++k) g.xp.push_back(static_cast<float>(k / 100.0));
  for (int64_t t = 0; t < h; ++t)
    for (float q : g.xp) {
      // inverse normal CDF by bisection (test helper)
      double lo = -6, hi = 6;
      for (int it = 0; it < 80; ++it) {
        const double mid = 0.5 * (lo + hi);
        (0.5 * (1 + std::erf(mid / std::sqrt(2.0))) < q ? lo : hi) = mid;
      }
      g.qv.push_back(static_cast<float>(10.0 * t + 0.5 * (lo + hi)));
    }
  return g;
}

// An AR(1) process in the differences with coefficient phi (the history the copula reads).
std::vector<float> ar1_history(double phi, int64_t n, uint64_t seed) {
  Rng rng(seed);
  std::vector<float> y(static_cast<size_t>(n));
  double d = 0.0, level = 0.0;
  for (int64_t t = 0; t < n; ++t) {
    d = phi * d + rng.normal();
    level += d;
    y[t] = static_cast<float>(level);
  }
  return y;
}

double corr(const std::vector<double>& a, const std::vector<double>& b) {
  double ma = 0, mb = 0;
  for (size_t i = 0; i < a.size(); ++i) ma += a[i], mb += b[i];
  ma /= a.size(), mb /= b.size();
  double sab = 0, saa = 0, sbb = 0;
  for (size_t i = 0; i < a.size(); ++i) sab += (a[i] - ma) * (b[i] - mb), saa += (a[i] - ma) * (a[i] - ma),
                                        sbb += (b[i] - mb) * (b[i] - mb);
  return sab / std::sqrt(saa * sbb);
}

TEST(Simulate, GaussianCopulaKeepsMarginalsAndTheHistorysCorrelation) {
  const int64_t h = 4, P = 20000;
  const Grid g = normal_grid(h);
  const std::vector<float> hist = ar1_history(0.7, 4000, 3);
  const std::vector<float> paths = sample_paths(g.xp, g.qv, 1, h, {hist}, {"s"}, P, 5, "gaussian_copula");
  // Marginals: mean 10 t, sd ~1 (the grid stops at the 1% / 99% quantiles: sd 0.97). The mean of
  // 20000 draws has standard error 0.007.
  std::vector<std::vector<double>> x(h);
  for (int64_t p = 0; p < P; ++p)
    for (int64_t t = 0; t < h; ++t) x[t].push_back(paths[p * h + t]);
  for (int64_t t = 0; t < h; ++t) {
    double m = 0;
    for (double v : x[t]) m += v;
    EXPECT_NEAR(m / P, 10.0 * t, 0.04) << t;
  }
  // Adjacent steps correlate like the history's differences (phi 0.7, sample estimate ~0.7), two
  // steps apart like its square; the correlation of 20000 pairs has standard error < 0.01.
  EXPECT_NEAR(corr(x[0], x[1]), 0.7, 0.05);
  EXPECT_NEAR(corr(x[1], x[3]), 0.49, 0.05);
  // Deterministic for a seed; another seed gives other paths.
  EXPECT_EQ(paths, sample_paths(g.xp, g.qv, 1, h, {hist}, {"s"}, P, 5, "gaussian_copula"));
  EXPECT_NE(paths, sample_paths(g.xp, g.qv, 1, h, {hist}, {"s"}, P, 6, "gaussian_copula"));
}

TEST(Simulate, SchaakeShuffleReordersByTheHistorysRanks) {
  const int64_t h = 3, P = 50;
  const Grid g = normal_grid(h);
  // A history that only rises: every template rises too, so each path ranks the same at every
  // step (rank 0 at step 0 stays rank 0 at steps 1 and 2).
  std::vector<float> hist;
  for (int k = 0; k < 200; ++k) hist.push_back(static_cast<float>(k * k));
  const std::vector<float> paths = sample_paths(g.xp, g.qv, 1, h, {hist}, {"s"}, P, 9, "schaake_shuffle");
  for (int64_t t = 1; t < h; ++t) {
    std::vector<int64_t> a(P), b(P);
    for (int64_t p = 0; p < P; ++p) a[p] = b[p] = p;
    std::sort(a.begin(), a.end(), [&](int64_t i, int64_t j) { return paths[i * h] < paths[j * h]; });
    std::sort(b.begin(), b.end(), [&](int64_t i, int64_t j) { return paths[i * h + t] < paths[j * h + t]; });
    // Templates that start later are larger at every step; ties (none here) aside the orders agree.
    EXPECT_EQ(a, b) << t;
  }
  // Each step's values are draws from its marginal (within the grid's range).
  for (int64_t p = 0; p < P; ++p)
    for (int64_t t = 0; t < h; ++t) {
      EXPECT_GE(paths[p * h + t], g.qv[t * 99]);
      EXPECT_LE(paths[p * h + t], g.qv[t * 99 + 98]);
    }
}

TEST(Simulate, ErrorsNameTheProblem) {
  const Grid g = normal_grid(5);
  try {
    sample_paths(g.xp, g.qv, 1, 5, {{1, 2, 3}}, {"short"}, 10, 1, "schaake_shuffle");
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("Series 'short': history length 3 is shorter than horizon 5"),
              std::string::npos) << e.what();
  }
  EXPECT_THROW(sample_paths(g.xp, g.qv, 1, 5, {{1, 2, 3}}, {"s"}, 10, 1, "bootstrap"), Error);
  EXPECT_THROW(sample_paths(g.xp, g.qv, 1, 5, {{1, 2, 3}}, {"s"}, 0, 1, "gaussian_copula"), Error);
}

TEST(Simulate, NeuralForecastLayoutAndPointModelsNeedConformal) {
  std::string csv = "unique_id,ds,y\n";
  Rng rng(2);
  for (const char* id : {"a", "b"})
    for (int t = 1; t <= 60; ++t) csv += std::string(id) + "," + std::to_string(t) + "," + std::to_string(5 + std::sin(t) + 0.3 * rng.normal()) + "\n";
  const data::Frame df = data::read_csv_string(csv, "sim.csv");
  std::vector<std::unique_ptr<models::Model>> ms;
  ms.push_back(models::make_model("MLP", {{"h", 4}, {"input_size", 8}, {"max_steps", 10}, {"hidden_size", 8},
                                          {"loss", {{"name", "MQLoss"}, {"level", {80}}}}}));
  ms.push_back(models::make_model("MLP", {{"h", 4}, {"input_size", 8}, {"max_steps", 10}, {"hidden_size", 8},
                                          {"alias", "P"}}));
  NeuralForecast nf(std::move(ms), "1");
  nf.verbose = false;
  nf.fit(df);
  try {
    nf.simulate();
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("Model 'P' uses point loss MAE. Set `prediction_intervals`"),
              std::string::npos) << e.what();
  }
  PredictionIntervals pi;
  nf.fit(df, 0, nullptr, &pi);
  const Simulation s = nf.simulate(nullptr, nullptr, nullptr, 3, {}, 7, "schaake_shuffle");
  EXPECT_EQ(s.columns, (std::vector<std::string>{"MLP", "P"}));
  const std::string out = s.to_csv();
  EXPECT_EQ(out.rfind("unique_id,ds,sample_id,MLP,P\na,61,0,", 0), 0u) << out.substr(0, 80);
  EXPECT_NE(out.find("\nb,64,2,"), std::string::npos);
  EXPECT_EQ(std::count(out.begin(), out.end(), '\n'), 1 + 3 * 2 * 4);
}

}  // namespace
}  // namespace nd::forecast
