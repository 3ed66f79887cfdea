// Scalar reference: row-wise softmax / log-softmax (nd/kernels/softmax.h), in double per row.
#include <cmath>
#include <limits>

#include "kernels/ref/ref.h"

namespace nd::kernels::ref {

namespace {
// Row maximum; NaN anywhere in the row makes every output NaN through the exp below.
double row_max(const float* x, int64_t d) {
  double m = -std::numeric_limits<double>::infinity();
  for (int64_t j = 0; j < d; ++j)
    if (x[j] > m) m = x[j];
  return m;
}
}  // namespace

void softmax_forward(const float* x, float* y, int64_t rows, int64_t d) {
  for (int64_t r = 0; r < rows; ++r) {
    const float* xr = x + r * d;
    float* yr = y + r * d;
    const double m = row_max(xr, d);
    double s = 0.0;
    for (int64_t j = 0; j < d; ++j) {
      const double e = std::exp(xr[j] - m);
      yr[j] = static_cast<float>(e);  // one exp per element; rounding e costs at most 1 ulp
      s += e;
    }
    const double inv = 1.0 / s;
    for (int64_t j = 0; j < d; ++j) yr[j] = static_cast<float>(yr[j] * inv);
  }
}

void softmax_backward(const float* y, const float* dy, float* dx, int64_t rows, int64_t d) {
  for (int64_t r = 0; r < rows; ++r) {
    const float *yr = y + r * d, *gr = dy + r * d;
    float* out = dx + r * d;
    double dot = 0.0;
    for (int64_t j = 0; j < d; ++j) dot += static_cast<double>(gr[j]) * yr[j];
    for (int64_t j = 0; j < d; ++j) out[j] = static_cast<float>(yr[j] * (gr[j] - dot));
  }
}

void log_softmax_forward(const float* x, float* y, int64_t rows, int64_t d) {
  for (int64_t r = 0; r < rows; ++r) {
    const float* xr = x + r * d;
    float* yr = y + r * d;
    const double m = row_max(xr, d);
    double s = 0.0;
    for (int64_t j = 0; j < d; ++j) s += std::exp(xr[j] - m);
    const double shift = m + std::log(s);
    for (int64_t j = 0; j < d; ++j) yr[j] = static_cast<float>(xr[j] - shift);
  }
}

void log_softmax_backward(const float* y, const float* dy, float* dx, int64_t rows, int64_t d) {
  for (int64_t r = 0; r < rows; ++r) {
    const float *yr = y + r * d, *gr = dy + r * d;
    float* out = dx + r * d;
    double s = 0.0;
    for (int64_t j = 0; j < d; ++j) s += gr[j];
    for (int64_t j = 0; j < d; ++j) out[j] = static_cast<float>(gr[j] - std::exp(static_cast<double>(yr[j])) * s);
  }
}

}  // namespace nd::kernels::ref
