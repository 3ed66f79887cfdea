// Internal: the order-statistic arithmetic shared by the scalar and SIMD statistics kernels, so
// both paths give bit-identical results once they have selected the same values.
#pragma once
#include <algorithm>
#include <cmath>
#include <cstdint>

namespace nd::kernels::detail {

// Position of quantile q among c sorted values (numpy's default 'linear' method):
// the result interpolates v[lo] and v[lo + 1] with weight t.
struct QuantilePos {
  int64_t lo;
  double t;
};
inline QuantilePos quantile_pos(int64_t c, float q) {
  const double qq = std::clamp(static_cast<double>(q), 0.0, 1.0);
  const double pos = qq * static_cast<double>(c - 1);
  const double lo = std::floor(pos);
  return {std::min(static_cast<int64_t>(lo), c - 1), pos - lo};
}

// numpy's lerp: evaluated from the nearer end so that t = 1 returns b exactly and the result is
// monotone in t.
inline float quantile_lerp(float a, float b, double t) {
  const double diff = static_cast<double>(b) - a;
  return static_cast<float>(t >= 0.5 ? b - diff * (1.0 - t) : a + diff * t);
}

// Median of an even count: the exact midpoint of the two middle values, rounded once.
inline float midpoint(float a, float b) { return static_cast<float>((static_cast<double>(a) + b) * 0.5); }

}  // namespace nd::kernels::detail
