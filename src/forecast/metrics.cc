// Accuracy metrics and the seasonal naive forecast.
#include "nd/forecast/metrics.h"

#include <cmath>

#include "nd/core/error.h"

namespace nd::forecast {

double mae(const float* y, const float* yhat, int64_t n) {
  ND_CHECK(n > 0, "metric of an empty forecast");
  double s = 0;
  for (int64_t k = 0; k < n; ++k) s += std::fabs(static_cast<double>(y[k]) - yhat[k]);
  return s / static_cast<double>(n);
}

double mse(const float* y, const float* yhat, int64_t n) {
  ND_CHECK(n > 0, "metric of an empty forecast");
  double s = 0;
  for (int64_t k = 0; k < n; ++k) {
    const double d = static_cast<double>(y[k]) - yhat[k];
    s += d * d;
  }
  return s / static_cast<double>(n);
}

double rmse(const float* y, const float* yhat, int64_t n) { return std::sqrt(mse(y, yhat, n)); }

double mape(const float* y, const float* yhat, int64_t n) {
  ND_CHECK(n > 0, "metric of an empty forecast");
  double s = 0;
  for (int64_t k = 0; k < n; ++k)
    if (y[k] != 0.0f) s += std::fabs(static_cast<double>(y[k]) - yhat[k]) / std::fabs(static_cast<double>(y[k]));
  return 100.0 * s / static_cast<double>(n);
}

double smape(const float* y, const float* yhat, int64_t n) {
  ND_CHECK(n > 0, "metric of an empty forecast");
  double s = 0;
  for (int64_t k = 0; k < n; ++k) {
    const double den = std::fabs(static_cast<double>(y[k])) + std::fabs(static_cast<double>(yhat[k]));
    if (den > 0) s += 2.0 * std::fabs(static_cast<double>(y[k]) - yhat[k]) / den;
  }
  return 100.0 * s / static_cast<double>(n);
}

double mase(const float* y, const float* yhat, int64_t n, const float* insample, int64_t n_insample, int64_t m) {
  ND_CHECK(m >= 1 && n_insample > m, "MASE needs more than m = ", m, " in-sample values, got ", n_insample);
  double s = 0;
  for (int64_t k = m; k < n_insample; ++k) s += std::fabs(static_cast<double>(insample[k]) - insample[k - m]);
  const double scale = s / static_cast<double>(n_insample - m);
  ND_CHECK(scale > 0, "MASE undefined: the in-sample seasonal naive error is 0");
  return mae(y, yhat, n) / scale;
}

void seasonal_naive(const float* insample, int64_t n, int64_t m, int64_t h, float* out) {
  ND_CHECK(m >= 1 && n >= m, "seasonal naive needs at least one season (", m, ") of history, got ", n);
  for (int64_t t = 0; t < h; ++t) out[t] = insample[n - m + (t % m)];
}

}  // namespace nd::forecast
