// Scalar reference: masked statistics (nd/kernels/stats.h). Moments in double; order statistics
// by std::nth_element on the compacted valid values. Any NaN among the valid values makes the
// result NaN (numpy semantics); no valid value (or too few for ddof) gives NaN.
#include <algorithm>
#include <cmath>
#include <limits>

#include "kernels/ref/ref.h"
#include "kernels/stats_common.h"

namespace nd::kernels::ref {

namespace {
constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();

inline bool valid(const float* mask, int64_t i) { return mask == nullptr || mask[i] != 0.0f; }

// Copies the valid values into out; returns their count, or -1 when one of them is NaN.
int64_t compact(const float* x, const float* mask, int64_t n, float* out) {
  int64_t c = 0;
  for (int64_t i = 0; i < n; ++i) {
    if (!valid(mask, i)) continue;
    if (std::isnan(x[i])) return -1;
    out[c++] = x[i];
  }
  return c;
}

// Median of v[0, c) (c > 0); reorders v.
float median_inplace(float* v, int64_t c) {
  const int64_t mid = c / 2;
  std::nth_element(v, v + mid, v + c);
  if (c % 2 == 1) return v[mid];
  // nth_element leaves the lower half below v[mid]; its maximum is the other middle value.
  return detail::midpoint(*std::max_element(v, v + mid), v[mid]);
}
}  // namespace

float masked_mean(const float* x, const float* mask, int64_t n) {
  double s = 0.0;
  int64_t c = 0;
  for (int64_t i = 0; i < n; ++i) {
    if (!valid(mask, i)) continue;
    s += x[i];
    ++c;
  }
  return c > 0 ? static_cast<float>(s / static_cast<double>(c)) : kNaN;
}

float masked_std(const float* x, const float* mask, int64_t n, int ddof) {
  double s = 0.0;
  int64_t c = 0;
  for (int64_t i = 0; i < n; ++i) {
    if (!valid(mask, i)) continue;
    s += x[i];
    ++c;
  }
  if (c - ddof <= 0) return kNaN;
  const double mu = s / static_cast<double>(c);
  double ss = 0.0;
  for (int64_t i = 0; i < n; ++i)
    if (valid(mask, i)) ss += (x[i] - mu) * (x[i] - mu);
  return static_cast<float>(std::sqrt(ss / static_cast<double>(c - ddof)));
}

float masked_min(const float* x, const float* mask, int64_t n) {
  float m = std::numeric_limits<float>::infinity();
  int64_t c = 0;
  for (int64_t i = 0; i < n; ++i) {
    if (!valid(mask, i)) continue;
    if (std::isnan(x[i])) return kNaN;
    m = std::min(m, x[i]);
    ++c;
  }
  return c > 0 ? m : kNaN;
}

float masked_max(const float* x, const float* mask, int64_t n) {
  float m = -std::numeric_limits<float>::infinity();
  int64_t c = 0;
  for (int64_t i = 0; i < n; ++i) {
    if (!valid(mask, i)) continue;
    if (std::isnan(x[i])) return kNaN;
    m = std::max(m, x[i]);
    ++c;
  }
  return c > 0 ? m : kNaN;
}

float masked_quantile(const float* x, const float* mask, int64_t n, float q, float* scratch) {
  const int64_t c = compact(x, mask, n, scratch);
  if (c <= 0 || std::isnan(q)) return kNaN;
  const detail::QuantilePos p = detail::quantile_pos(c, q);
  std::nth_element(scratch, scratch + p.lo, scratch + c);
  const float lo = scratch[p.lo];
  // Everything after position lo is >= lo, so the next order statistic is their minimum.
  const float hi = p.lo + 1 < c ? *std::min_element(scratch + p.lo + 1, scratch + c) : lo;
  return detail::quantile_lerp(lo, hi, p.t);
}

float masked_median(const float* x, const float* mask, int64_t n, float* scratch) {
  const int64_t c = compact(x, mask, n, scratch);
  return c > 0 ? median_inplace(scratch, c) : kNaN;
}

float masked_mad(const float* x, const float* mask, int64_t n, float* scratch) {
  const int64_t c = compact(x, mask, n, scratch);
  if (c <= 0) return kNaN;
  const float med = median_inplace(scratch, c);
  for (int64_t i = 0; i < c; ++i) scratch[i] = std::fabs(scratch[i] - med);
  return median_inplace(scratch, c);
}

}  // namespace nd::kernels::ref
