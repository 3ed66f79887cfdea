// Row-wise softmax / log-softmax and their backward passes (nd/kernels/softmax.h) with Highway:
// a vector max, one exp pass that stores and sums, one scaling pass. NaN in a row makes the row
// NaN (the NaN-safe exp carries it into the sum).
#include "nd/kernels/softmax.h"

#include <cmath>
#include <cstddef>
#include <limits>

#include "kernels/dispatch_internal.h"
#include "kernels/ref/ref.h"

#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "kernels/softmax.cc"
#include "hwy/foreach_target.h"  // IWYU pragma: keep
#include "hwy/highway.h"
#include "kernels/simd-inl.h"

HWY_BEFORE_NAMESPACE();
namespace nd::kernels::HWY_NAMESPACE {

using DF = hn::ScalableTag<float>;
using VF = hn::Vec<DF>;

HWY_INLINE float RowMax(DF d, const float* x, size_t n) {
  const size_t N = hn::Lanes(d);
  const VF ninf = hn::Set(d, -std::numeric_limits<float>::infinity());
  VF m0 = ninf, m1 = ninf;
  size_t i = 0;
  for (; i + 2 * N <= n; i += 2 * N) {
    m0 = hn::Max(m0, hn::LoadU(d, x + i));
    m1 = hn::Max(m1, hn::LoadU(d, x + i + N));
  }
  for (; i + N <= n; i += N) m0 = hn::Max(m0, hn::LoadU(d, x + i));
  if (i < n) m1 = hn::Max(m1, hn::IfThenElse(hn::FirstN(d, n - i), LoadTail(d, x + i, n - i), ninf));
  return hn::GetLane(hn::MaxOfLanes(d, hn::Max(m0, m1)));
}

// sum_j exp(x[j] - m), accumulated in double (the row sum sets every output's scale, so it gets
// the extra bits; the exp dominates the cost anyway). Also stores the exponentials when y != null.
HWY_INLINE double ExpSum(DF d, const float* x, float* y, size_t n, float m) {
  const DoubleTag<DF> dd;
  const size_t N = hn::Lanes(d);
  const VF vm = hn::Set(d, m);
  auto lo = hn::Zero(dd), hi = hn::Zero(dd);
  size_t i = 0;
  for (; i + 2 * N <= n; i += 2 * N) {  // two independent exp chains per iteration
    const VF e0 = ExpSafe(d, hn::Sub(hn::LoadU(d, x + i), vm));
    const VF e1 = ExpSafe(d, hn::Sub(hn::LoadU(d, x + i + N), vm));
    if (y) {
      hn::StoreU(e0, d, y + i);
      hn::StoreU(e1, d, y + i + N);
    }
    AccumulateDouble(d, dd, e0, lo, hi);
    AccumulateDouble(d, dd, e1, lo, hi);
  }
  for (; i + N <= n; i += N) {
    const VF e = ExpSafe(d, hn::Sub(hn::LoadU(d, x + i), vm));
    if (y) hn::StoreU(e, d, y + i);
    AccumulateDouble(d, dd, e, lo, hi);
  }
  if (i < n) {
    // Padding lanes must not reach the sum: zero them after the exp.
    const VF e = hn::IfThenElseZero(hn::FirstN(d, n - i), ExpSafe(d, hn::Sub(LoadTail(d, x + i, n - i), vm)));
    if (y) StoreTail(e, d, y + i, n - i);
    AccumulateDouble(d, dd, e, lo, hi);
  }
  return SumLanes(dd, hn::Add(lo, hi));
}

void SoftmaxForwardImpl(const float* x, float* y, size_t rows, size_t n) {
  const DF d;
  for (size_t r = 0; r < rows; ++r) {
    const float* xr = x + r * n;
    float* yr = y + r * n;
    const float m = RowMax(d, xr, n);
    const double s = ExpSum(d, xr, yr, n, m);
    const VF inv = hn::Set(d, static_cast<float>(1.0 / s));
    Map1(d, yr, yr, n, [inv](VF v) HWY_ATTR { return hn::Mul(v, inv); });
  }
}

void LogSoftmaxForwardImpl(const float* x, float* y, size_t rows, size_t n) {
  const DF d;
  for (size_t r = 0; r < rows; ++r) {
    const float* xr = x + r * n;
    const float m = RowMax(d, xr, n);
    const double s = ExpSum(d, xr, nullptr, n, m);
    // (x - m) - log(s), not x - (m + log(s)): the latter rounds log(s) away next to a large m.
    const VF vm = hn::Set(d, m), vlog = hn::Set(d, static_cast<float>(std::log(s)));
    Map1(d, xr, y + r * n, n, [vm, vlog](VF v) HWY_ATTR { return hn::Sub(hn::Sub(v, vm), vlog); });
  }
}

// sum_j a[j] * b[j] (b == nullptr: sum_j a[j]); products in float, the sum in double.
HWY_INLINE float RowDot(DF d, const float* a, const float* b, size_t n) {
  const DoubleTag<DF> dd;
  const size_t N = hn::Lanes(d);
  auto lo = hn::Zero(dd), hi = hn::Zero(dd);
  size_t i = 0;
  if (b) {
    for (; i + N <= n; i += N) AccumulateDouble(d, dd, hn::Mul(hn::LoadU(d, a + i), hn::LoadU(d, b + i)), lo, hi);
    if (i < n) AccumulateDouble(d, dd, hn::Mul(LoadTail(d, a + i, n - i), LoadTail(d, b + i, n - i)), lo, hi);
  } else {
    for (; i + N <= n; i += N) AccumulateDouble(d, dd, hn::LoadU(d, a + i), lo, hi);
    if (i < n) AccumulateDouble(d, dd, LoadTail(d, a + i, n - i), lo, hi);
  }
  return static_cast<float>(SumLanes(dd, hn::Add(lo, hi)));
}

void SoftmaxBackwardImpl(const float* y, const float* dy, float* dx, size_t rows, size_t n) {
  const DF d;
  for (size_t r = 0; r < rows; ++r) {
    const float *yr = y + r * n, *gr = dy + r * n;
    const VF dot = hn::Set(d, RowDot(d, gr, yr, n));
    Map2(d, yr, gr, dx + r * n, n, [dot](VF vy, VF g) HWY_ATTR { return hn::Mul(vy, hn::Sub(g, dot)); });
  }
}

void LogSoftmaxBackwardImpl(const float* y, const float* dy, float* dx, size_t rows, size_t n) {
  const DF d;
  for (size_t r = 0; r < rows; ++r) {
    const float *yr = y + r * n, *gr = dy + r * n;
    const VF s = hn::Set(d, RowDot(d, gr, nullptr, n));
    Map2(d, yr, gr, dx + r * n, n,
         [d, s](VF vy, VF g) HWY_ATTR { return hn::NegMulAdd(ExpSafe(d, vy), s, g); });
  }
}

}  // namespace nd::kernels::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace nd::kernels {

HWY_EXPORT(SoftmaxForwardImpl);
HWY_EXPORT(SoftmaxBackwardImpl);
HWY_EXPORT(LogSoftmaxForwardImpl);
HWY_EXPORT(LogSoftmaxBackwardImpl);

void softmax_forward(const float* x, float* y, int64_t rows, int64_t d) {
  if (use_ref()) return ref::softmax_forward(x, y, rows, d);
  HWY_DYNAMIC_DISPATCH(SoftmaxForwardImpl)(x, y, to_size(rows), to_size(d));
}

void softmax_backward(const float* y, const float* dy, float* dx, int64_t rows, int64_t d) {
  if (use_ref()) return ref::softmax_backward(y, dy, dx, rows, d);
  HWY_DYNAMIC_DISPATCH(SoftmaxBackwardImpl)(y, dy, dx, to_size(rows), to_size(d));
}

void log_softmax_forward(const float* x, float* y, int64_t rows, int64_t d) {
  if (use_ref()) return ref::log_softmax_forward(x, y, rows, d);
  HWY_DYNAMIC_DISPATCH(LogSoftmaxForwardImpl)(x, y, to_size(rows), to_size(d));
}

void log_softmax_backward(const float* y, const float* dy, float* dx, int64_t rows, int64_t d) {
  if (use_ref()) return ref::log_softmax_backward(y, dy, dx, rows, d);
  HWY_DYNAMIC_DISPATCH(LogSoftmaxBackwardImpl)(y, dy, dx, to_size(rows), to_size(d));
}

}  // namespace nd::kernels
#endif  // HWY_ONCE
