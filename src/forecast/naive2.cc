// The M4 competition's Naive2 benchmark and OWA, as the organizers computed them for the official
// results ("Benchmarks and Evaluation.R" in github.com/M4Competition/M4-methods): a naive forecast
// of the seasonally adjusted series, re-seasonalized, where the series is seasonal by a 90%
// autocorrelation test at lag m and the adjustment is R's classical multiplicative decompose().
// (The repository's Python ML_benchmarks.py adds ACF(1) unsquared in the test; its own comment
// says the R benchmarks, which produced Naive2 for OWA, square it. We follow R.)
#include <algorithm>
#include <cmath>
#include <vector>

#include "nd/core/error.h"
#include "nd/forecast/metrics.h"

namespace nd::forecast {

namespace {

// R's acf(x)$acf at lags 1..max_lag: sum_{i} (x_i - mean)(x_{i+k} - mean) / sum (x_i - mean)^2.
std::vector<double> acf(const float* x, int64_t n, int64_t max_lag) {
  double mean = 0.0;
  for (int64_t i = 0; i < n; ++i) mean += x[i];
  mean /= static_cast<double>(n);
  double den = 0.0;
  for (int64_t i = 0; i < n; ++i) den += (x[i] - mean) * (x[i] - mean);
  std::vector<double> r(static_cast<size_t>(max_lag));
  for (int64_t k = 1; k <= max_lag; ++k) {
    double num = 0.0;
    for (int64_t i = 0; i + k < n; ++i) num += (x[i] - mean) * (x[i + k] - mean);
    r[k - 1] = num / den;  // NaN for a constant series, which the test then treats as not seasonal
  }
  return r;
}

// R's decompose(ts(x, frequency = m), type = "multiplicative")$seasonal: centred moving average
// of order m (2 x m for even m), seasonal ratios x / trend averaged per position in the cycle
// (counted from the first value, NAs dropped), normalized to mean 1, repeated over the series.
std::vector<double> multiplicative_seasonal(const float* x, int64_t n, int64_t m) {
  std::vector<double> w;  // filter weights, centred
  if (m % 2 == 0) {
    w.assign(static_cast<size_t>(m + 1), 1.0 / static_cast<double>(m));
    w.front() = w.back() = 0.5 / static_cast<double>(m);
  } else {
    w.assign(static_cast<size_t>(m), 1.0 / static_cast<double>(m));
  }
  const int64_t half = static_cast<int64_t>(w.size()) / 2;
  std::vector<double> sum(static_cast<size_t>(m), 0.0);
  std::vector<int64_t> count(static_cast<size_t>(m), 0);
  for (int64_t i = half; i + half < n; ++i) {  // the trend is NA within `half` of either end
    double trend = 0.0;
    for (int64_t j = -half; j <= half; ++j) trend += w[j + half] * x[i + j];
    sum[i % m] += x[i] / trend;
    ++count[i % m];
  }
  std::vector<double> figure(static_cast<size_t>(m));
  double mean = 0.0;
  for (int64_t k = 0; k < m; ++k) mean += figure[k] = sum[k] / static_cast<double>(count[k]);
  mean /= static_cast<double>(m);
  std::vector<double> seasonal(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) seasonal[i] = figure[i % m] / mean;
  return seasonal;
}

}  // namespace

bool m4_seasonality_test(const float* x, int64_t n, int64_t m) {
  if (m <= 1 || n < 3 * m) return false;
  // R's acf computes lags up to floor(10 log10(n)) (at most n - 1); a longer m reads NA -> FALSE.
  const int64_t max_lag = std::min<int64_t>(static_cast<int64_t>(std::floor(10.0 * std::log10(static_cast<double>(n)))), n - 1);
  if (m > max_lag) return false;
  const std::vector<double> r = acf(x, n, m);
  double s = 1.0;
  for (int64_t k = 1; k < m; ++k) s += 2.0 * r[k - 1] * r[k - 1];
  const double limit = 1.645 / std::sqrt(static_cast<double>(n)) * std::sqrt(s);
  return std::fabs(r[m - 1]) > limit;  // false when NaN
}

void naive2(const float* insample, int64_t n, int64_t m, int64_t h, float* out) {
  ND_CHECK(n >= 1, "Naive2 needs at least one in-sample value");
  if (!m4_seasonality_test(insample, n, m)) {
    for (int64_t t = 0; t < h; ++t) out[t] = insample[n - 1];
    return;
  }
  const std::vector<double> seasonal = multiplicative_seasonal(insample, n, m);
  const double level = insample[n - 1] / seasonal[n - 1];  // last seasonally adjusted value
  // Re-seasonalize with the last m seasonal factors, repeated over the horizon.
  for (int64_t t = 0; t < h; ++t) out[t] = static_cast<float>(level * seasonal[n - m + t % m]);
}

double owa(double smape_model, double mase_model, double smape_naive2, double mase_naive2) {
  return 0.5 * (smape_model / smape_naive2 + mase_model / mase_naive2);
}

}  // namespace nd::forecast
