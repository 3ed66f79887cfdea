// Scalar reference: reductions (nd/kernels/reduce.h). Sums accumulate in double; max / min
// propagate NaN as torch.max / torch.min do. Empty reductions return the identity (0, -inf, +inf).
#include <cmath>
#include <limits>

#include "kernels/ref/ref.h"

namespace nd::kernels::ref {

namespace {
constexpr float kInf = std::numeric_limits<float>::infinity();

// Keeps NaN sticky: once m is NaN, no comparison replaces it.
inline float max_nan(float m, float v) { return (v > m || std::isnan(v)) ? v : m; }
inline float min_nan(float m, float v) { return (v < m || std::isnan(v)) ? v : m; }
}  // namespace

float sum(const float* x, int64_t n) {
  double s = 0.0;
  for (int64_t i = 0; i < n; ++i) s += x[i];
  return static_cast<float>(s);
}

float max(const float* x, int64_t n) {
  float m = -kInf;
  for (int64_t i = 0; i < n; ++i) m = max_nan(m, x[i]);
  return m;
}

float min(const float* x, int64_t n) {
  float m = kInf;
  for (int64_t i = 0; i < n; ++i) m = min_nan(m, x[i]);
  return m;
}

float dot(const float* a, const float* b, int64_t n) {
  double s = 0.0;
  for (int64_t i = 0; i < n; ++i) s += static_cast<double>(a[i]) * b[i];
  return static_cast<float>(s);
}

float sumsq(const float* x, int64_t n) {
  double s = 0.0;
  for (int64_t i = 0; i < n; ++i) s += static_cast<double>(x[i]) * x[i];
  return static_cast<float>(s);
}

void reduce_sum(const float* x, float* y, int64_t outer, int64_t r, int64_t inner) {
  // Column by column so that each output has its own double accumulator (and nothing allocates).
  for (int64_t o = 0; o < outer; ++o) {
    for (int64_t j = 0; j < inner; ++j) {
      double s = 0.0;
      for (int64_t k = 0; k < r; ++k) s += x[(o * r + k) * inner + j];
      y[o * inner + j] = static_cast<float>(s);
    }
  }
}

void reduce_max(const float* x, float* y, int64_t outer, int64_t r, int64_t inner) {
  for (int64_t o = 0; o < outer; ++o) {
    float* out = y + o * inner;
    for (int64_t j = 0; j < inner; ++j) out[j] = -kInf;
    for (int64_t k = 0; k < r; ++k) {
      const float* row = x + (o * r + k) * inner;
      for (int64_t j = 0; j < inner; ++j) out[j] = max_nan(out[j], row[j]);
    }
  }
}

void reduce_min(const float* x, float* y, int64_t outer, int64_t r, int64_t inner) {
  for (int64_t o = 0; o < outer; ++o) {
    float* out = y + o * inner;
    for (int64_t j = 0; j < inner; ++j) out[j] = kInf;
    for (int64_t k = 0; k < r; ++k) {
      const float* row = x + (o * r + k) * inner;
      for (int64_t j = 0; j < inner; ++j) out[j] = min_nan(out[j], row[j]);
    }
  }
}

}  // namespace nd::kernels::ref
