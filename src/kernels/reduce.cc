// Reductions (nd/kernels/reduce.h) with Highway. Sums accumulate in double lanes (float inputs are
// widened on load), so they agree with the double reference to the final rounding; max / min
// propagate NaN. Reductions over a middle axis keep a block of output columns in registers and
// stream the rows, so every input element is read exactly once.
#include "nd/kernels/reduce.h"

#include <algorithm>
#include <cstddef>
#include <limits>

#include "kernels/dispatch_internal.h"
#include "kernels/ref/ref.h"
#include "nd/core/parallel.h"

#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "kernels/reduce.cc"
#include "hwy/foreach_target.h"  // IWYU pragma: keep
#include "hwy/highway.h"
#include "kernels/simd-inl.h"

HWY_BEFORE_NAMESPACE();
namespace nd::kernels::HWY_NAMESPACE {

// sum_i f(a[i], b[i]) in double; f maps two widened vectors to one double vector and must give 0
// for zero inputs (the padding of the last partial vector). b may equal a.
template <class F>
HWY_INLINE double SumDouble(const float* a, const float* b, size_t n, const F& f) {
  const hn::ScalableTag<double> dd;
  const hn::Rebind<float, decltype(dd)> df;
  const size_t N = hn::Lanes(dd);
  auto s0 = hn::Zero(dd), s1 = hn::Zero(dd), s2 = hn::Zero(dd), s3 = hn::Zero(dd);
  const auto ld = [dd, df](const float* p) HWY_ATTR { return hn::PromoteTo(dd, hn::LoadU(df, p)); };
  size_t i = 0;
  for (; i + 4 * N <= n; i += 4 * N) {  // four chains hide the add latency
    s0 = hn::Add(s0, f(ld(a + i), ld(b + i)));
    s1 = hn::Add(s1, f(ld(a + i + N), ld(b + i + N)));
    s2 = hn::Add(s2, f(ld(a + i + 2 * N), ld(b + i + 2 * N)));
    s3 = hn::Add(s3, f(ld(a + i + 3 * N), ld(b + i + 3 * N)));
  }
  for (; i + N <= n; i += N) s0 = hn::Add(s0, f(ld(a + i), ld(b + i)));
  if (i < n) {
    const auto va = hn::PromoteTo(dd, LoadTail(df, a + i, n - i));
    const auto vb = hn::PromoteTo(dd, LoadTail(df, b + i, n - i));
    s1 = hn::Add(s1, f(va, vb));
  }
  return SumLanes(dd, hn::Add(hn::Add(s0, s1), hn::Add(s2, s3)));
}

float SumImpl(const float* x, size_t n) {
  using VD = hn::Vec<hn::ScalableTag<double>>;
  return static_cast<float>(SumDouble(x, x, n, [](VD a, VD) HWY_ATTR { return a; }));
}

float DotImpl(const float* a, const float* b, size_t n) {
  using VD = hn::Vec<hn::ScalableTag<double>>;
  return static_cast<float>(SumDouble(a, b, n, [](VD va, VD vb) HWY_ATTR { return hn::Mul(va, vb); }));
}

float SumsqImpl(const float* x, size_t n) {
  using VD = hn::Vec<hn::ScalableTag<double>>;
  return static_cast<float>(SumDouble(x, x, n, [](VD a, VD) HWY_ATTR { return hn::Mul(a, a); }));
}

// Max (kMax) or min of x[0, n); NaN anywhere gives NaN; empty gives -inf / +inf.
template <bool kMax>
HWY_INLINE float ExtremeT(const float* x, size_t n) {
  const hn::ScalableTag<float> d;
  using V = hn::Vec<decltype(d)>;
  const size_t N = hn::Lanes(d);
  const float init = kMax ? -std::numeric_limits<float>::infinity() : std::numeric_limits<float>::infinity();
  const V vinit = hn::Set(d, init);
  V m0 = vinit, m1 = vinit, nan = hn::Zero(d);
  const auto step = [&nan, d](V m, V v) HWY_ATTR {
    nan = hn::Or(nan, hn::VecFromMask(d, hn::IsNaN(v)));  // x86 max/min would drop NaN lanes
    return kMax ? hn::Max(m, v) : hn::Min(m, v);
  };
  size_t i = 0;
  for (; i + 2 * N <= n; i += 2 * N) {
    m0 = step(m0, hn::LoadU(d, x + i));
    m1 = step(m1, hn::LoadU(d, x + i + N));
  }
  for (; i + N <= n; i += N) m0 = step(m0, hn::LoadU(d, x + i));
  if (i < n) m1 = step(m1, hn::IfThenElse(hn::FirstN(d, n - i), LoadTail(d, x + i, n - i), vinit));
  if (!hn::AllFalse(d, hn::MaskFromVec(nan))) return std::numeric_limits<float>::quiet_NaN();
  return kMax ? hn::GetLane(hn::MaxOfLanes(d, hn::Max(m0, m1))) : hn::GetLane(hn::MinOfLanes(d, hn::Min(m0, m1)));
}

float MaxImpl(const float* x, size_t n) { return ExtremeT<true>(x, n); }
float MinImpl(const float* x, size_t n) { return ExtremeT<false>(x, n); }

// y[o, j] = sum_k x[o, k, j] in double, a block of 4 double vectors of columns at a time.
// Columns [0, inner) of rows ld floats apart (ld >= inner; ld == inner for a whole array); y's
// outer rows are ld floats apart too. A column range of a wider array is a call with x, y offset.
void ReduceSumImpl(const float* x, float* y, size_t outer, size_t r, size_t inner, size_t ld) {
  if (inner == 1 && ld == 1) {
    for (size_t o = 0; o < outer; ++o) y[o] = SumImpl(x + o * r, r);
    return;
  }
  const hn::ScalableTag<double> dd;
  const hn::Rebind<float, decltype(dd)> df;
  const size_t N = hn::Lanes(dd);
  constexpr size_t kRowMax = 2048;
  if (inner > 4 * N && inner <= kRowMax) {
    // Rows up to 2048 columns (bias gradients: [tokens, features]): stream the rows in memory
    // order into double accumulators held in L1. Each column still adds its rows in order, so
    // the result is the same as the column-block loop below, without its strided passes.
    HWY_ALIGN double acc[kRowMax];
    for (size_t o = 0; o < outer; ++o) {
      const float* xo = x + o * r * ld;
      float* yo = y + o * ld;
      std::fill(acc, acc + inner, 0.0);
      for (size_t k = 0; k < r; ++k) {
        const float* p = xo + k * ld;
        size_t j = 0;
        for (; j + N <= inner; j += N) hn::Store(hn::Add(hn::Load(dd, acc + j), hn::PromoteTo(dd, hn::LoadU(df, p + j))), dd, acc + j);
        for (; j < inner; ++j) acc[j] += static_cast<double>(p[j]);
      }
      for (size_t j = 0; j < inner; ++j) yo[j] = static_cast<float>(acc[j]);
    }
    return;
  }
  for (size_t o = 0; o < outer; ++o) {
    const float* xo = x + o * r * ld;
    float* yo = y + o * ld;
    size_t j = 0;
    for (; j + 4 * N <= inner; j += 4 * N) {
      auto a0 = hn::Zero(dd), a1 = hn::Zero(dd), a2 = hn::Zero(dd), a3 = hn::Zero(dd);
      for (size_t k = 0; k < r; ++k) {
        const float* p = xo + k * ld + j;
        a0 = hn::Add(a0, hn::PromoteTo(dd, hn::LoadU(df, p)));
        a1 = hn::Add(a1, hn::PromoteTo(dd, hn::LoadU(df, p + N)));
        a2 = hn::Add(a2, hn::PromoteTo(dd, hn::LoadU(df, p + 2 * N)));
        a3 = hn::Add(a3, hn::PromoteTo(dd, hn::LoadU(df, p + 3 * N)));
      }
      hn::StoreU(hn::DemoteTo(df, a0), df, yo + j);
      hn::StoreU(hn::DemoteTo(df, a1), df, yo + j + N);
      hn::StoreU(hn::DemoteTo(df, a2), df, yo + j + 2 * N);
      hn::StoreU(hn::DemoteTo(df, a3), df, yo + j + 3 * N);
    }
    for (; j < inner; j += N) {
      const size_t cnt = std::min(N, inner - j);
      auto a = hn::Zero(dd);
      for (size_t k = 0; k < r; ++k) a = hn::Add(a, hn::PromoteTo(dd, LoadTail(df, xo + k * ld + j, cnt)));
      StoreTail(hn::DemoteTo(df, a), df, yo + j, cnt);
    }
  }
}

// y[o, j] = max_k (or min_k) x[o, k, j], NaN-propagating, a block of 4 vectors of columns at a time.
template <bool kMax>
HWY_INLINE void ReduceExtremeT(const float* x, float* y, size_t outer, size_t r, size_t inner) {
  if (inner == 1) {
    for (size_t o = 0; o < outer; ++o) y[o] = ExtremeT<kMax>(x + o * r, r);
    return;
  }
  const hn::ScalableTag<float> d;
  using V = hn::Vec<decltype(d)>;
  const size_t N = hn::Lanes(d);
  const V vinit = hn::Set(d, kMax ? -std::numeric_limits<float>::infinity() : std::numeric_limits<float>::infinity());
  const auto step = [d](V m, V v) HWY_ATTR { return kMax ? MaxNaN(d, m, v) : MinNaN(d, m, v); };
  for (size_t o = 0; o < outer; ++o) {
    const float* xo = x + o * r * inner;
    float* yo = y + o * inner;
    size_t j = 0;
    for (; j + 4 * N <= inner; j += 4 * N) {
      V a0 = vinit, a1 = vinit, a2 = vinit, a3 = vinit;
      for (size_t k = 0; k < r; ++k) {
        const float* p = xo + k * inner + j;
        a0 = step(a0, hn::LoadU(d, p));
        a1 = step(a1, hn::LoadU(d, p + N));
        a2 = step(a2, hn::LoadU(d, p + 2 * N));
        a3 = step(a3, hn::LoadU(d, p + 3 * N));
      }
      hn::StoreU(a0, d, yo + j);
      hn::StoreU(a1, d, yo + j + N);
      hn::StoreU(a2, d, yo + j + 2 * N);
      hn::StoreU(a3, d, yo + j + 3 * N);
    }
    for (; j < inner; j += N) {
      const size_t cnt = std::min(N, inner - j);
      V a = vinit;
      for (size_t k = 0; k < r; ++k) a = step(a, LoadTail(d, xo + k * inner + j, cnt));
      StoreTail(a, d, yo + j, cnt);  // padding lanes (zeros) are never stored
    }
  }
}

void ReduceMaxImpl(const float* x, float* y, size_t outer, size_t r, size_t inner) {
  ReduceExtremeT<true>(x, y, outer, r, inner);
}
void ReduceMinImpl(const float* x, float* y, size_t outer, size_t r, size_t inner) {
  ReduceExtremeT<false>(x, y, outer, r, inner);
}

}  // namespace nd::kernels::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace nd::kernels {

HWY_EXPORT(SumImpl);
HWY_EXPORT(MaxImpl);
HWY_EXPORT(MinImpl);
HWY_EXPORT(DotImpl);
HWY_EXPORT(SumsqImpl);
HWY_EXPORT(ReduceSumImpl);
HWY_EXPORT(ReduceMaxImpl);
HWY_EXPORT(ReduceMinImpl);

float sum(const float* x, int64_t n) {
  if (use_ref()) return ref::sum(x, n);
  return HWY_DYNAMIC_DISPATCH(SumImpl)(x, to_size(n));
}

float max(const float* x, int64_t n) {
  if (use_ref()) return ref::max(x, n);
  return HWY_DYNAMIC_DISPATCH(MaxImpl)(x, to_size(n));
}

float min(const float* x, int64_t n) {
  if (use_ref()) return ref::min(x, n);
  return HWY_DYNAMIC_DISPATCH(MinImpl)(x, to_size(n));
}

float dot(const float* a, const float* b, int64_t n) {
  if (use_ref()) return ref::dot(a, b, n);
  return HWY_DYNAMIC_DISPATCH(DotImpl)(a, b, to_size(n));
}

float sumsq(const float* x, int64_t n) {
  if (use_ref()) return ref::sumsq(x, n);
  return HWY_DYNAMIC_DISPATCH(SumsqImpl)(x, to_size(n));
}

void reduce_sum(const float* x, float* y, int64_t outer, int64_t r, int64_t inner) {
  if (use_ref()) return ref::reduce_sum(x, y, outer, r, inner);
  // Large sums over the middle axis (bias gradients: [tokens, features]) split their columns over
  // the threads in blocks of 16: each column still adds its rows in order, so the result is the
  // same bits for any thread count.
  constexpr int64_t kBlock = 16;
  const int64_t blocks = (inner + kBlock - 1) / kBlock;
  if (inner > 1 && blocks > 1 && outer * r * inner >= (int64_t{1} << 18)) {
    parallel_for(blocks, std::max<int64_t>(1, blocks / (4 * num_threads())), [&](int64_t b0, int64_t b1) {
      const int64_t j0 = b0 * kBlock, j1 = std::min(inner, b1 * kBlock);
      HWY_DYNAMIC_DISPATCH(ReduceSumImpl)(x + j0, y + j0, to_size(outer), to_size(r), to_size(j1 - j0), to_size(inner));
    });
    return;
  }
  HWY_DYNAMIC_DISPATCH(ReduceSumImpl)(x, y, to_size(outer), to_size(r), to_size(inner), to_size(inner));
}

void reduce_max(const float* x, float* y, int64_t outer, int64_t r, int64_t inner) {
  if (use_ref()) return ref::reduce_max(x, y, outer, r, inner);
  HWY_DYNAMIC_DISPATCH(ReduceMaxImpl)(x, y, to_size(outer), to_size(r), to_size(inner));
}

void reduce_min(const float* x, float* y, int64_t outer, int64_t r, int64_t inner) {
  if (use_ref()) return ref::reduce_min(x, y, outer, r, inner);
  HWY_DYNAMIC_DISPATCH(ReduceMinImpl)(x, y, to_size(outer), to_size(r), to_size(inner));
}

}  // namespace nd::kernels
#endif  // HWY_ONCE
