// Layer normalization (nd/kernels/layernorm.h) with Highway: per row, a vector sum for the mean,
// a second pass for the centered sum of squares (two-pass: no cancellation), and one fused
// normalize-scale-shift pass. Backward needs two passes per row.
#include "nd/kernels/layernorm.h"

#include <cmath>
#include <cstddef>

#include "kernels/dispatch_internal.h"
#include "kernels/ref/ref.h"

#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "kernels/layernorm.cc"
#include "hwy/foreach_target.h"  // IWYU pragma: keep
#include "hwy/highway.h"
#include "kernels/simd-inl.h"

HWY_BEFORE_NAMESPACE();
namespace nd::kernels::HWY_NAMESPACE {

using DF = hn::ScalableTag<float>;
using VF = hn::Vec<DF>;

// Row mean and centered sum of squares with float vector accumulators. The second pass also sums
// the centered values: their sum is the rounding error of the first-pass mean, and folding it back
// (the corrected two-pass algorithm, Chan, Golub & LeVeque 1983) keeps rows with a large offset
// accurate.
// The mean is returned unevaluated as mean_hi + mean_lo: x - mean_hi is exact for x near the mean
// (Sterbenz), so (x - mean_hi) - mean_lo keeps the centered values accurate even when a float
// cannot hold the mean to the needed precision (a row with a large offset).
HWY_INLINE void RowMoments(DF d, const float* x, size_t n, float& mean_hi, float& mean_lo, float& m2) {
  const size_t N = hn::Lanes(d);
  VF s0 = hn::Zero(d), s1 = hn::Zero(d), s2 = hn::Zero(d), s3 = hn::Zero(d);
  size_t i = 0;
  for (; i + 4 * N <= n; i += 4 * N) {
    s0 = hn::Add(s0, hn::LoadU(d, x + i));
    s1 = hn::Add(s1, hn::LoadU(d, x + i + N));
    s2 = hn::Add(s2, hn::LoadU(d, x + i + 2 * N));
    s3 = hn::Add(s3, hn::LoadU(d, x + i + 3 * N));
  }
  for (; i + N <= n; i += N) s0 = hn::Add(s0, hn::LoadU(d, x + i));
  if (i < n) s1 = hn::Add(s1, LoadTail(d, x + i, n - i));
  const float nf = static_cast<float>(n);
  const float mu = hn::GetLane(hn::SumOfLanes(d, hn::Add(hn::Add(s0, s1), hn::Add(s2, s3)))) / nf;

  const VF vm = hn::Set(d, mu);
  VF c0 = hn::Zero(d), c1 = hn::Zero(d);  // sums of centered values
  s0 = s1 = hn::Zero(d);                  // sums of their squares
  i = 0;
  for (; i + 2 * N <= n; i += 2 * N) {
    const VF a = hn::Sub(hn::LoadU(d, x + i), vm), b = hn::Sub(hn::LoadU(d, x + i + N), vm);
    c0 = hn::Add(c0, a);
    c1 = hn::Add(c1, b);
    s0 = hn::MulAdd(a, a, s0);
    s1 = hn::MulAdd(b, b, s1);
  }
  for (; i + N <= n; i += N) {
    const VF a = hn::Sub(hn::LoadU(d, x + i), vm);
    c0 = hn::Add(c0, a);
    s0 = hn::MulAdd(a, a, s0);
  }
  if (i < n) {
    const VF a = hn::IfThenElseZero(hn::FirstN(d, n - i), hn::Sub(LoadTail(d, x + i, n - i), vm));
    c1 = hn::Add(c1, a);
    s1 = hn::MulAdd(a, a, s1);
  }
  const float sc = hn::GetLane(hn::SumOfLanes(d, hn::Add(c0, c1)));
  const float ss = hn::GetLane(hn::SumOfLanes(d, hn::Add(s0, s1)));
  mean_hi = mu;
  mean_lo = sc / nf;
  m2 = ss - sc * sc / nf;
  if (m2 < 0.0f) m2 = 0.0f;
}

void LayerNormForwardImpl(const float* x, const float* gamma, const float* beta, float* y, float* mean, float* rstd,
                          size_t rows, size_t n, float eps) {
  const DF d;
  for (size_t r = 0; r < rows; ++r) {
    const float* xr = x + r * n;
    float* yr = y + r * n;
    float hi = 0.0f, lo = 0.0f, m2 = 0.0f;
    if (n > 0) RowMoments(d, xr, n, hi, lo, m2);
    const float var = n > 0 ? m2 / static_cast<float>(n) : 0.0f;
    const float rs = static_cast<float>(1.0 / std::sqrt(static_cast<double>(var) + eps));
    if (mean) mean[r] = hi + lo;
    if (rstd) rstd[r] = rs;
    const VF vh = hn::Set(d, hi), vl = hn::Set(d, lo), vr = hn::Set(d, rs);
    const auto center = [vh, vl](VF v) HWY_ATTR { return hn::Sub(hn::Sub(v, vh), vl); };
    // y = (x - mean) * (rstd * gamma) + beta; the variants avoid loading absent affine params.
    if (gamma && beta) {
      Map3(d, xr, gamma, beta, yr, n,
           [center, vr](VF v, VF g, VF b) HWY_ATTR { return hn::MulAdd(center(v), hn::Mul(vr, g), b); });
    } else if (gamma) {
      Map2(d, xr, gamma, yr, n, [center, vr](VF v, VF g) HWY_ATTR { return hn::Mul(center(v), hn::Mul(vr, g)); });
    } else if (beta) {
      Map2(d, xr, beta, yr, n, [center, vr](VF v, VF b) HWY_ATTR { return hn::MulAdd(center(v), vr, b); });
    } else {
      Map1(d, xr, yr, n, [center, vr](VF v) HWY_ATTR { return hn::Mul(center(v), vr); });
    }
  }
}

// With xhat = (x - mean) * rstd and g = dy * gamma:
//   dx = rstd * (g - mean(g) - xhat * mean(g * xhat)),  dgamma += dy * xhat,  dbeta += dy.
// Pass 1 gathers the two row means (and updates dgamma / dbeta), pass 2 writes dx.
void LayerNormBackwardImpl(const float* x, const float* dy, const float* gamma, const float* mean, const float* rstd,
                           float* dx, float* dgamma, float* dbeta, size_t rows, size_t n) {
  const DF d;
  const VF one = hn::Set(d, 1.0f);
  for (size_t r = 0; r < rows; ++r) {
    const float *xr = x + r * n, *gr = dy + r * n;
    const VF vm = hn::Set(d, mean[r]), vr = hn::Set(d, rstd[r]);
    VF sg = hn::Zero(d), sgx = hn::Zero(d);
    // Padding lanes of the last vector load as zero, so g = 0 there and they add nothing.
    ForEachVector(d, n, [&](size_t i, size_t cnt) HWY_ATTR {
      const VF g = LoadPart(d, gr + i, cnt);
      const VF xhat = hn::Mul(hn::Sub(LoadPart(d, xr + i, cnt), vm), vr);
      const VF gg = gamma ? hn::Mul(g, LoadPart(d, gamma + i, cnt)) : g;
      sg = hn::Add(sg, gg);
      sgx = hn::MulAdd(gg, xhat, sgx);
      if (dgamma) StorePart(hn::MulAdd(g, xhat, LoadPart(d, dgamma + i, cnt)), d, dgamma + i, cnt);
      if (dbeta) StorePart(hn::Add(LoadPart(d, dbeta + i, cnt), g), d, dbeta + i, cnt);
    });
    if (!dx) continue;
    const float inv_n = 1.0f / static_cast<float>(n);
    const VF a = hn::Set(d, hn::GetLane(hn::SumOfLanes(d, sg)) * inv_n);
    const VF b = hn::Set(d, hn::GetLane(hn::SumOfLanes(d, sgx)) * inv_n);
    float* out = dx + r * n;
    const auto dx_of = [&](VF v, VF g, VF gam) HWY_ATTR {
      const VF xhat = hn::Mul(hn::Sub(v, vm), vr);
      return hn::Mul(vr, hn::NegMulAdd(xhat, b, hn::Sub(hn::Mul(g, gam), a)));
    };
    if (gamma) {
      Map3(d, xr, gr, gamma, out, n, dx_of);
    } else {
      Map2(d, xr, gr, out, n, [&](VF v, VF g) HWY_ATTR { return dx_of(v, g, one); });
    }
  }
}

}  // namespace nd::kernels::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace nd::kernels {

HWY_EXPORT(LayerNormForwardImpl);
HWY_EXPORT(LayerNormBackwardImpl);

void layer_norm_forward(const float* x, const float* gamma, const float* beta, float* y, float* mean, float* rstd,
                        int64_t rows, int64_t d, float eps) {
  if (use_ref()) return ref::layer_norm_forward(x, gamma, beta, y, mean, rstd, rows, d, eps);
  HWY_DYNAMIC_DISPATCH(LayerNormForwardImpl)(x, gamma, beta, y, mean, rstd, to_size(rows), to_size(d), eps);
}

void layer_norm_backward(const float* x, const float* dy, const float* gamma, const float* mean, const float* rstd,
                         float* dx, float* dgamma, float* dbeta, int64_t rows, int64_t d) {
  if (use_ref()) return ref::layer_norm_backward(x, dy, gamma, mean, rstd, dx, dgamma, dbeta, rows, d);
  HWY_DYNAMIC_DISPATCH(LayerNormBackwardImpl)(x, dy, gamma, mean, rstd, dx, dgamma, dbeta, to_size(rows),
                                              to_size(d));
}

}  // namespace nd::kernels
#endif  // HWY_ONCE
