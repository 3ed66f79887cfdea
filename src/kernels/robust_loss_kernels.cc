// Huberized pinball and Tukey loss kernels (see loss_kernels.h). Plain loops: these losses cost a
// few operations per forecast value, nothing next to a step's matrix products.
#include <cmath>

#include "nd/kernels/loss_kernels.h"

namespace nd::kernels {

namespace {

inline double huber(double x, double delta) {
  const double a = std::fabs(x);
  return a < delta ? 0.5 * x * x : delta * (a - 0.5 * delta);
}
inline double huber_d(double x, double delta) {  // d huber / dx
  return std::fabs(x) < delta ? x : (x > 0.0 ? delta : -delta);
}

}  // namespace

double huber_quantile_loss_sum(const float* y, const float* yhat, const float* w, const float* q, int64_t n,
                               int64_t nq, float delta, bool inside) {
  double total = 0.0;
  for (int64_t i = 0; i < n; ++i) {
    if (w[i] == 0.0f) continue;
    double acc = 0.0;
    for (int64_t j = 0; j < nq; ++j) {
      const double e = static_cast<double>(yhat[i * nq + j]) - y[i], qj = q[j];
      const double under = e < 0.0 ? -e : 0.0, over = e > 0.0 ? e : 0.0;
      acc += inside ? huber(qj * under, delta) + huber((1.0 - qj) * over, delta)
                    : qj * huber(under, delta) + (1.0 - qj) * huber(over, delta);
    }
    total += w[i] * acc;
  }
  return total;
}

void huber_quantile_loss_grad(const float* y, const float* yhat, const float* w, const float* q, int64_t n,
                              int64_t nq, float delta, bool inside, float scale, float* dyhat) {
  for (int64_t i = 0; i < n; ++i) {
    if (w[i] == 0.0f) continue;
    const double sw = static_cast<double>(scale) * w[i];
    for (int64_t j = 0; j < nq; ++j) {
      const double e = static_cast<double>(yhat[i * nq + j]) - y[i], qj = q[j];
      double g = 0.0;
      if (e < 0.0)
        g = inside ? -qj * huber_d(qj * -e, delta) : -qj * huber_d(-e, delta);
      else if (e > 0.0)
        g = inside ? (1.0 - qj) * huber_d((1.0 - qj) * e, delta) : (1.0 - qj) * huber_d(e, delta);
      dyhat[i * nq + j] += static_cast<float>(sw * g);
    }
  }
}

double tukey_loss_sum(const float* y, const float* yhat, const float* mask, const float* s, int64_t n, float c) {
  double total = 0.0;
  for (int64_t i = 0; i < n; ++i) {
    const double d = std::fabs(static_cast<double>(y[i]) - yhat[i]) / s[i];
    if (d <= c) {
      const double r = 1.0 - (d / c) * (d / c);
      total += (mask ? mask[i] : 1.0) * r * r * r;
    } else {
      total += 1.0;
    }
  }
  return total;
}

void tukey_loss_grad(const float* y, const float* yhat, const float* mask, const float* s, int64_t n, float c,
                     float scale, float* dyhat) {
  for (int64_t i = 0; i < n; ++i) {
    const double e = static_cast<double>(yhat[i]) - y[i], d = std::fabs(e) / s[i];
    if (d > c || e == 0.0) continue;
    const double r = 1.0 - (d / c) * (d / c);
    // d/dyhat of r^3 = 3 r^2 * (-2 d / c^2) * sign(e) / s
    const double g = 3.0 * r * r * (-2.0 * d / (static_cast<double>(c) * c)) * (e > 0.0 ? 1.0 : -1.0) / s[i];
    dyhat[i] += static_cast<float>(static_cast<double>(scale) * (mask ? mask[i] : 1.0) * g);
  }
}

}  // namespace nd::kernels
