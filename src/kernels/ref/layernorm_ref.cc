// Scalar reference: layer normalization (nd/kernels/layernorm.h). Statistics in double, two-pass
// (mean first, then the centered sum of squares) so the variance never goes negative.
#include <cmath>

#include "kernels/ref/ref.h"

namespace nd::kernels::ref {

void layer_norm_forward(const float* x, const float* gamma, const float* beta, float* y, float* mean, float* rstd,
                        int64_t rows, int64_t d, float eps) {
  for (int64_t r = 0; r < rows; ++r) {
    const float* xr = x + r * d;
    float* yr = y + r * d;
    double mu = 0.0;
    for (int64_t j = 0; j < d; ++j) mu += xr[j];
    mu = d > 0 ? mu / static_cast<double>(d) : 0.0;
    double var = 0.0;
    for (int64_t j = 0; j < d; ++j) var += (xr[j] - mu) * (xr[j] - mu);
    var = d > 0 ? var / static_cast<double>(d) : 0.0;
    const double rs = 1.0 / std::sqrt(var + static_cast<double>(eps));
    for (int64_t j = 0; j < d; ++j) {
      double v = (xr[j] - mu) * rs;
      if (gamma) v *= gamma[j];
      if (beta) v += beta[j];
      yr[j] = static_cast<float>(v);
    }
    if (mean) mean[r] = static_cast<float>(mu);
    if (rstd) rstd[r] = static_cast<float>(rs);
  }
}

// With xhat = (x - mean) * rstd and g = dy * gamma:
//   dx = rstd * (g - mean(g) - xhat * mean(g * xhat)),  dgamma += sum_rows dy * xhat,  dbeta += sum_rows dy.
void layer_norm_backward(const float* x, const float* dy, const float* gamma, const float* mean, const float* rstd,
                         float* dx, float* dgamma, float* dbeta, int64_t rows, int64_t d) {
  if (dx) {
    for (int64_t r = 0; r < rows; ++r) {
      const float *xr = x + r * d, *gr = dy + r * d;
      const double mu = mean[r], rs = rstd[r];
      double a = 0.0, b = 0.0;
      for (int64_t j = 0; j < d; ++j) {
        const double g = static_cast<double>(gr[j]) * (gamma ? gamma[j] : 1.0f);
        a += g;
        b += g * (xr[j] - mu) * rs;
      }
      a /= static_cast<double>(d);
      b /= static_cast<double>(d);
      for (int64_t j = 0; j < d; ++j) {
        const double g = static_cast<double>(gr[j]) * (gamma ? gamma[j] : 1.0f);
        dx[r * d + j] = static_cast<float>(rs * (g - a - (xr[j] - mu) * rs * b));
      }
    }
  }
  // Parameter gradients column by column: one double accumulator per column, no allocation.
  for (int64_t j = 0; (dgamma || dbeta) && j < d; ++j) {
    double dg = 0.0, db = 0.0;
    for (int64_t r = 0; r < rows; ++r) {
      const double g = dy[r * d + j];
      dg += g * (x[r * d + j] - static_cast<double>(mean[r])) * rstd[r];
      db += g;
    }
    if (dgamma) dgamma[j] = static_cast<float>(dgamma[j] + dg);
    if (dbeta) dbeta[j] = static_cast<float>(dbeta[j] + db);
  }
}

}  // namespace nd::kernels::ref
