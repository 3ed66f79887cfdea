// Masked statistics (nd/kernels/stats.h) with Highway. Moments accumulate in double lanes; order
// statistics compact the valid values into scratch (CompressBlendedStore) and sort them with
// Highway's vqsort, then share the selection arithmetic with the reference (stats_common.h).
// MAD reuses the sorted values: one sort, then a binary search over the two sorted runs of
// deviations.
#include "nd/kernels/stats.h"

#include <hwy/contrib/sort/vqsort.h>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <limits>

#include "kernels/dispatch_internal.h"
#include "kernels/ref/ref.h"
#include "kernels/stats_common.h"

#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "kernels/stats.cc"
#include "hwy/foreach_target.h"  // IWYU pragma: keep
#include "hwy/highway.h"
#include "kernels/simd-inl.h"

HWY_BEFORE_NAMESPACE();
namespace nd::kernels::HWY_NAMESPACE {

// Sum and count of the valid values (mask null: all valid), and optionally the sum of squared
// deviations from `center`, all in double lanes. Masked-out values never enter (NaN there is fine).
struct Moments {
  double sum, count, ssd;
};
HWY_INLINE Moments MaskedMoments(const float* x, const float* mask, size_t n, bool want_ssd, double center) {
  const hn::ScalableTag<double> dd;
  const hn::Rebind<float, decltype(dd)> df;
  const size_t N = hn::Lanes(dd);
  const auto zero = hn::Zero(dd), one = hn::Set(dd, 1.0), vc = hn::Set(dd, center);
  auto s = zero, c = zero, q = zero;
  const auto step = [&](hn::Vec<decltype(df)> vx, hn::Vec<decltype(df)> vm, hn::Mask<decltype(dd)> in_range) HWY_ATTR {
    auto valid = in_range;
    if (mask) valid = hn::And(valid, hn::Ne(hn::PromoteTo(dd, vm), zero));
    const auto v = hn::IfThenElseZero(valid, hn::PromoteTo(dd, vx));
    s = hn::Add(s, v);
    c = hn::Add(c, hn::IfThenElseZero(valid, one));
    if (want_ssd) {
      const auto dev = hn::IfThenElseZero(valid, hn::Sub(v, vc));
      q = hn::MulAdd(dev, dev, q);
    }
  };
  const auto all = hn::FirstN(dd, N);
  size_t i = 0;
  for (; i + N <= n; i += N) step(hn::LoadU(df, x + i), mask ? hn::LoadU(df, mask + i) : hn::Zero(df), all);
  if (i < n) {
    const size_t r = n - i;
    step(LoadTail(df, x + i, r), mask ? LoadTail(df, mask + i, r) : hn::Zero(df), hn::FirstN(dd, r));
  }
  return {SumLanes(dd, s), SumLanes(dd, c), SumLanes(dd, q)};
}

float MaskedMeanImpl(const float* x, const float* mask, size_t n) {
  const Moments m = MaskedMoments(x, mask, n, false, 0.0);
  return m.count > 0 ? static_cast<float>(m.sum / m.count) : std::numeric_limits<float>::quiet_NaN();
}

float MaskedStdImpl(const float* x, const float* mask, size_t n, int ddof) {
  const Moments m = MaskedMoments(x, mask, n, false, 0.0);
  if (m.count - ddof <= 0) return std::numeric_limits<float>::quiet_NaN();
  const Moments c = MaskedMoments(x, mask, n, true, m.sum / m.count);  // two-pass: no cancellation
  return static_cast<float>(std::sqrt(c.ssd / (m.count - ddof)));
}

// Max (kMax) or min of the valid values; NaN among them gives NaN, none gives NaN.
template <bool kMax>
HWY_INLINE float MaskedExtremeT(const float* x, const float* mask, size_t n) {
  const hn::ScalableTag<float> d;
  using V = hn::Vec<decltype(d)>;
  const size_t N = hn::Lanes(d);
  const float inf = std::numeric_limits<float>::infinity();
  const V vinit = hn::Set(d, kMax ? -inf : inf), zero = hn::Zero(d);
  V acc = vinit, nan = zero;
  size_t count = 0;
  const auto step = [&](V vx, V vm, hn::Mask<decltype(d)> in_range) HWY_ATTR {
    auto valid = in_range;
    if (mask) valid = hn::And(valid, hn::Ne(vm, zero));
    count += hn::CountTrue(d, valid);
    nan = hn::Or(nan, hn::VecFromMask(d, hn::And(valid, hn::IsNaN(vx))));
    const V v = hn::IfThenElse(valid, vx, vinit);
    acc = kMax ? hn::Max(acc, v) : hn::Min(acc, v);
  };
  const auto all = hn::FirstN(d, N);
  size_t i = 0;
  for (; i + N <= n; i += N) step(hn::LoadU(d, x + i), mask ? hn::LoadU(d, mask + i) : zero, all);
  if (i < n) step(LoadTail(d, x + i, n - i), mask ? LoadTail(d, mask + i, n - i) : zero, hn::FirstN(d, n - i));
  if (count == 0 || !hn::AllFalse(d, hn::MaskFromVec(nan))) return std::numeric_limits<float>::quiet_NaN();
  return hn::GetLane(kMax ? hn::MaxOfLanes(d, acc) : hn::MinOfLanes(d, acc));
}

float MaskedMinImpl(const float* x, const float* mask, size_t n) { return MaskedExtremeT<false>(x, mask, n); }
float MaskedMaxImpl(const float* x, const float* mask, size_t n) { return MaskedExtremeT<true>(x, mask, n); }

// Copies the valid values of x into out (order kept); returns their count, or -1 if one is NaN.
int64_t CompactImpl(const float* x, const float* mask, size_t n, float* out) {
  const hn::ScalableTag<float> d;
  using V = hn::Vec<decltype(d)>;
  const size_t N = hn::Lanes(d);
  const V zero = hn::Zero(d);
  V nan = zero;
  size_t c = 0;
  const auto step = [&](V vx, V vm, hn::Mask<decltype(d)> in_range) HWY_ATTR {
    auto valid = in_range;
    if (mask) valid = hn::And(valid, hn::Ne(vm, zero));
    nan = hn::Or(nan, hn::VecFromMask(d, hn::And(valid, hn::IsNaN(vx))));
    // The blended variant writes only the selected lanes: out has room for exactly n values.
    c += hn::CompressBlendedStore(vx, valid, d, out + c);
  };
  const auto all = hn::FirstN(d, N);
  size_t i = 0;
  for (; i + N <= n; i += N) step(hn::LoadU(d, x + i), mask ? hn::LoadU(d, mask + i) : zero, all);
  if (i < n) step(LoadTail(d, x + i, n - i), mask ? LoadTail(d, mask + i, n - i) : zero, hn::FirstN(d, n - i));
  if (!hn::AllFalse(d, hn::MaskFromVec(nan))) return -1;
  return static_cast<int64_t>(c);
}

}  // namespace nd::kernels::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace nd::kernels {

HWY_EXPORT(MaskedMeanImpl);
HWY_EXPORT(MaskedStdImpl);
HWY_EXPORT(MaskedMinImpl);
HWY_EXPORT(MaskedMaxImpl);
HWY_EXPORT(CompactImpl);

namespace {

constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();

// vqsort keeps a small buffer per Sorter; one per thread keeps the kernels reentrant.
void sort_ascending(float* v, int64_t c) {
  thread_local hwy::Sorter sorter;
  sorter(v, static_cast<size_t>(c), hwy::SortAscending());
}

// Valid values of x, sorted, in scratch; returns their count (<= 0: no result, NaN).
int64_t sorted_valid(const float* x, const float* mask, int64_t n, float* scratch) {
  const int64_t c = HWY_DYNAMIC_DISPATCH(CompactImpl)(x, mask, to_size(n), scratch);
  if (c > 1) sort_ascending(scratch, c);
  return c;
}

float median_sorted(const float* v, int64_t c) {
  return c % 2 == 1 ? v[c / 2] : detail::midpoint(v[c / 2 - 1], v[c / 2]);
}

// Median of |v[i] - med| for sorted v, without a second sort. The deviations left of the split,
// read right to left (A), and those right of it, read left to right (B), are both ascending, so
// any order statistic of their union is a binary search over how many come from A.
float median_abs_dev_sorted(const float* v, int64_t c, float med) {
  const int64_t split = std::lower_bound(v, v + c, med) - v;
  const int64_t na = split, nb = c - split;
  const auto a = [&](int64_t i) { return std::fabs(v[split - 1 - i] - med); };
  const auto b = [&](int64_t j) { return std::fabs(v[split + j] - med); };
  // k-th smallest (0-based): take i from A and k + 1 - i from B, with the smallest i such that
  // A[i] >= B[k - i]; the answer is the larger of the last element taken from each side.
  const auto kth = [&](int64_t k) {
    int64_t lo = std::max<int64_t>(0, k + 1 - nb), hi = std::min<int64_t>(k + 1, na);
    while (lo < hi) {
      const int64_t i = lo + (hi - lo) / 2;
      if (a(i) < b(k - i)) {
        lo = i + 1;
      } else {
        hi = i;
      }
    }
    const int64_t i = lo, j = k + 1 - lo;
    if (i == 0) return b(j - 1);
    if (j == 0) return a(i - 1);
    return std::max(a(i - 1), b(j - 1));
  };
  return c % 2 == 1 ? kth(c / 2) : detail::midpoint(kth(c / 2 - 1), kth(c / 2));
}

}  // namespace

float masked_mean(const float* x, const float* mask, int64_t n) {
  if (use_ref()) return ref::masked_mean(x, mask, n);
  return HWY_DYNAMIC_DISPATCH(MaskedMeanImpl)(x, mask, to_size(n));
}

float masked_std(const float* x, const float* mask, int64_t n, int ddof) {
  if (use_ref()) return ref::masked_std(x, mask, n, ddof);
  return HWY_DYNAMIC_DISPATCH(MaskedStdImpl)(x, mask, to_size(n), ddof);
}

float masked_min(const float* x, const float* mask, int64_t n) {
  if (use_ref()) return ref::masked_min(x, mask, n);
  return HWY_DYNAMIC_DISPATCH(MaskedMinImpl)(x, mask, to_size(n));
}

float masked_max(const float* x, const float* mask, int64_t n) {
  if (use_ref()) return ref::masked_max(x, mask, n);
  return HWY_DYNAMIC_DISPATCH(MaskedMaxImpl)(x, mask, to_size(n));
}

float masked_quantile(const float* x, const float* mask, int64_t n, float q, float* scratch) {
  if (use_ref()) return ref::masked_quantile(x, mask, n, q, scratch);
  const int64_t c = sorted_valid(x, mask, n, scratch);
  if (c <= 0 || std::isnan(q)) return kNaN;
  const detail::QuantilePos p = detail::quantile_pos(c, q);
  return detail::quantile_lerp(scratch[p.lo], scratch[std::min(p.lo + 1, c - 1)], p.t);
}

float masked_median(const float* x, const float* mask, int64_t n, float* scratch) {
  if (use_ref()) return ref::masked_median(x, mask, n, scratch);
  const int64_t c = sorted_valid(x, mask, n, scratch);
  return c > 0 ? median_sorted(scratch, c) : kNaN;
}

float masked_mad(const float* x, const float* mask, int64_t n, float* scratch) {
  if (use_ref()) return ref::masked_mad(x, mask, n, scratch);
  const int64_t c = sorted_valid(x, mask, n, scratch);
  if (c <= 0) return kNaN;
  return median_abs_dev_sorted(scratch, c, median_sorted(scratch, c));
}

}  // namespace nd::kernels
#endif  // HWY_ONCE
