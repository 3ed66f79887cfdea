// Scalar reference: batch normalization over the channel-last axis (nd/kernels/batchnorm.h).
// Channel by channel in double, two-pass statistics (mean, then the centered sum of squares).
#include <cmath>

#include "kernels/ref/ref.h"

namespace nd::kernels::ref {

void batch_norm_stats(const float* x, int64_t rows, int64_t c, int64_t ld, float* mean, float* var) {
  for (int64_t j = 0; j < c; ++j) {
    double s = 0.0;
    for (int64_t r = 0; r < rows; ++r) s += x[r * ld + j];
    const double mu = rows > 0 ? s / static_cast<double>(rows) : 0.0;
    double ss = 0.0;
    for (int64_t r = 0; r < rows; ++r) {
      const double dv = x[r * ld + j] - mu;
      ss += dv * dv;
    }
    mean[j] = static_cast<float>(mu);
    var[j] = rows > 0 ? static_cast<float>(ss / static_cast<double>(rows)) : 0.0f;
  }
}

void batch_norm_apply(const float* x, const float* mean, const float* rstd, const float* gamma, const float* beta,
                      float* y, int64_t rows, int64_t c, int64_t ld) {
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t j = 0; j < c; ++j) {
      double v = (static_cast<double>(x[r * ld + j]) - mean[j]) * rstd[j];
      if (gamma) v *= gamma[j];
      if (beta) v += beta[j];
      y[r * ld + j] = static_cast<float>(v);
    }
}

void batch_norm_backward_sums(const float* x, const float* dy, const float* mean, const float* rstd, float* sum_dy,
                              float* sum_dy_xhat, int64_t rows, int64_t c, int64_t ld) {
  for (int64_t j = 0; j < c; ++j) {
    double a = 0.0, b = 0.0;
    for (int64_t r = 0; r < rows; ++r) {
      const double g = dy[r * ld + j];
      a += g;
      b += g * (static_cast<double>(x[r * ld + j]) - mean[j]);
    }
    sum_dy[j] = static_cast<float>(a);
    sum_dy_xhat[j] = static_cast<float>(b * rstd[j]);
  }
}

void batch_norm_backward_dx(const float* x, const float* dy, const float* mean, const float* rstd,
                            const float* gamma, const float* sum_dy, const float* sum_dy_xhat, float* dx,
                            int64_t rows, int64_t c, int64_t ld, bool training) {
  const double inv_rows = rows > 0 ? 1.0 / static_cast<double>(rows) : 0.0;
  for (int64_t j = 0; j < c; ++j) {
    const double k = static_cast<double>(gamma ? gamma[j] : 1.0f) * rstd[j];
    const double a = training ? sum_dy[j] * inv_rows : 0.0;
    const double b = training ? sum_dy_xhat[j] * inv_rows : 0.0;
    for (int64_t r = 0; r < rows; ++r) {
      const double g = dy[r * ld + j];
      const double xhat = training ? (static_cast<double>(x[r * ld + j]) - mean[j]) * rstd[j] : 0.0;
      dx[r * ld + j] = static_cast<float>(k * (g - a - xhat * b));
    }
  }
}

}  // namespace nd::kernels::ref
