// Internal Highway helpers shared by the kernel families: safe tail loads/stores, float -> double
// accumulation, and the transcendental building blocks (NaN-propagating exp, sigmoid, normal CDF
// for exact GELU). Re-included once per target by foreach_target.h, hence the toggle guard.
#if defined(ND_KERNELS_SIMD_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef ND_KERNELS_SIMD_INL_H_
#undef ND_KERNELS_SIMD_INL_H_
#else
#define ND_KERNELS_SIMD_INL_H_
#endif

#include <cstddef>
#include <cstring>

#include "hwy/contrib/math/math-inl.h"
#include "kernels/dropout_hash.h"
#include "hwy/highway.h"

HWY_BEFORE_NAMESPACE();
namespace nd::kernels::HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

// ---- tails -------------------------------------------------------------------------------------
// Highway 1.0's MaskedLoad reads the whole vector on SSE4 / EMU128 / SCALAR (possibly past the end
// of the array), so only the fault-suppressing masked moves are used directly: AVX-512 for every
// lane type, AVX2 (vmaskmov) for 32/64-bit lanes. Other cases go through a small stack buffer.
// Missing lanes read as zero.
template <class D>
HWY_INLINE hn::Vec<D> LoadTail(D d, const hn::TFromD<D>* p, size_t count) {
#if HWY_TARGET <= HWY_AVX3
  return hn::MaskedLoad(hn::FirstN(d, count), d, p);
#else
  using T = hn::TFromD<D>;
#if HWY_TARGET == HWY_AVX2
  if constexpr (sizeof(T) >= 4) return hn::MaskedLoad(hn::FirstN(d, count), d, p);
#endif
  HWY_ALIGN T buf[HWY_MAX_BYTES / sizeof(T)] = {};
  std::memcpy(buf, p, count * sizeof(T));
  return hn::Load(d, buf);
#endif
}

template <class D>
HWY_INLINE void StoreTail(hn::Vec<D> v, D d, hn::TFromD<D>* p, size_t count) {
#if HWY_TARGET <= HWY_AVX3
  hn::BlendedStore(v, hn::FirstN(d, count), d, p);
#else
  using T = hn::TFromD<D>;
#if HWY_TARGET == HWY_AVX2
  if constexpr (sizeof(T) >= 4) {
    hn::BlendedStore(v, hn::FirstN(d, count), d, p);
    return;
  }
#endif
  HWY_ALIGN T buf[HWY_MAX_BYTES / sizeof(T)];
  hn::Store(v, d, buf);
  std::memcpy(p, buf, count * sizeof(T));
#endif
}

// A vector of cnt lanes at p: a plain load / store when cnt is the full width, else a tail one.
template <class D>
HWY_INLINE hn::Vec<D> LoadPart(D d, const hn::TFromD<D>* p, size_t cnt) {
  return cnt == hn::Lanes(d) ? hn::LoadU(d, p) : LoadTail(d, p, cnt);
}
template <class D>
HWY_INLINE void StorePart(hn::Vec<D> v, D d, hn::TFromD<D>* p, size_t cnt) {
  if (cnt == hn::Lanes(d)) {
    hn::StoreU(v, d, p);
  } else {
    StoreTail(v, d, p, cnt);
  }
}

// Runs step(i, cnt) over [0, n) in vectors of d; cnt < Lanes(d) only for the last one.
template <class D, class F>
HWY_INLINE void ForEachVector(D d, size_t n, const F& step) {
  const size_t N = hn::Lanes(d);
  size_t i = 0;
  for (; i + N <= n; i += N) step(i, N);
  if (i < n) step(i, n - i);
}

// y[i] = f(x[i]) over [0, n), full vectors then one partial vector. y may equal x.
template <class D, class F>
HWY_INLINE void Map1(D d, const float* x, float* y, size_t n, const F& f) {
  const size_t N = hn::Lanes(d);
  size_t i = 0;
  for (; i + N <= n; i += N) hn::StoreU(f(hn::LoadU(d, x + i)), d, y + i);
  if (i < n) StoreTail(f(LoadTail(d, x + i, n - i)), d, y + i, n - i);
}

// out[i] = f(a[i], b[i]). out may equal a or b.
template <class D, class F>
HWY_INLINE void Map2(D d, const float* a, const float* b, float* out, size_t n, const F& f) {
  const size_t N = hn::Lanes(d);
  size_t i = 0;
  for (; i + N <= n; i += N) hn::StoreU(f(hn::LoadU(d, a + i), hn::LoadU(d, b + i)), d, out + i);
  if (i < n) StoreTail(f(LoadTail(d, a + i, n - i), LoadTail(d, b + i, n - i)), d, out + i, n - i);
}

// out[i] = f(a[i], b[i], c[i]). out may equal any input.
template <class D, class F>
HWY_INLINE void Map3(D d, const float* a, const float* b, const float* c, float* out, size_t n, const F& f) {
  const size_t N = hn::Lanes(d);
  size_t i = 0;
  for (; i + N <= n; i += N) hn::StoreU(f(hn::LoadU(d, a + i), hn::LoadU(d, b + i), hn::LoadU(d, c + i)), d, out + i);
  if (i < n) {
    const size_t r = n - i;
    StoreTail(f(LoadTail(d, a + i, r), LoadTail(d, b + i, r), LoadTail(d, c + i, r)), d, out + i, r);
  }
}

// ---- double accumulation -----------------------------------------------------------------------
// Adds the lanes of a float vector into two double accumulators (lower / upper half), so long
// sums keep double precision at the cost of two conversions per vector. DoubleTag<D> is the full
// double vector matching D (half as many lanes; the same single lane on HWY_SCALAR).
#if HWY_TARGET == HWY_SCALAR
template <class D>
using DoubleTag = hn::Rebind<double, D>;
template <class D, class DD>
HWY_INLINE void AccumulateDouble(D /*d*/, DD dd, hn::Vec<D> v, hn::Vec<DD>& lo, hn::Vec<DD>& /*hi*/) {
  lo = hn::Add(lo, hn::PromoteTo(dd, v));
}
#else
template <class D>
using DoubleTag = hn::Repartition<double, D>;
template <class D, class DD>
HWY_INLINE void AccumulateDouble(D /*d*/, DD dd, hn::Vec<D> v, hn::Vec<DD>& lo, hn::Vec<DD>& hi) {
  const hn::Half<D> dh;
  lo = hn::Add(lo, hn::PromoteTo(dd, hn::LowerHalf(dh, v)));
  hi = hn::Add(hi, hn::PromoteTo(dd, hn::UpperHalf(dh, v)));
}
#endif

template <class DD>
HWY_INLINE double SumLanes(DD dd, hn::Vec<DD> v) {
  return hn::GetLane(hn::SumOfLanes(dd, v));
}

// ---- transcendental helpers --------------------------------------------------------------------
// exp(x) with NaN propagated and +inf above the float range: Highway's Exp returns 0 for NaN and
// is only specified up to ~104 (where its exponent arithmetic wraps).
template <class D, class V>
HWY_INLINE V ExpSafe(D d, V x) {
  const V r = hn::Exp(d, hn::Min(x, hn::Set(d, 88.8f)));
  return hn::IfThenElse(hn::IsNaN(x), x, r);
}

template <class D, class V>
HWY_INLINE V Sigmoid(D d, V x) {
  const V one = hn::Set(d, 1.0f);
  return hn::Div(one, hn::Add(one, ExpSafe(d, hn::Neg(x))));
}

// sigmoid(x) and 1 - sigmoid(x) = exp(-x) * sigmoid(x), the latter without the cancellation of
// subtracting from 1 (which loses everything once sigmoid(x) rounds to 1).
template <class D, class V>
HWY_INLINE V SigmoidAndComplement(D d, V x, V& complement) {
  const V one = hn::Set(d, 1.0f);
  const V e = ExpSafe(d, hn::Neg(x));
  const V s = hn::Div(one, hn::Add(one, e));
  // e = inf (x very negative) would give inf * 0; the complement is then 1.
  complement = hn::IfThenElse(hn::IsInf(e), one, hn::Mul(e, s));
  return s;
}

// Dropout factors for counters j0 + lane: keep_scale where dropout_hash::bits24(key, j) >=
// thresh, else 0 (the hash in u32 lanes; its 24-bit result compares exactly as a float).
// `lane_steps` is DropoutLaneSteps(lanes) for the lanes' counter offsets (Iota(du, 0) for
// consecutive counters), hoisted by the caller: the hash's first step key + j * kGolden32 is then
// one add per vector (mod 2^32, key + (j0 + l) g = (key + j0 g) + l g).
template <class VU>
HWY_INLINE VU DropoutLaneSteps(VU lanes) {
  return hn::Mul(lanes, hn::Set(hn::DFromV<VU>(), dropout_hash::kGolden32));
}
template <class D, class VU>
HWY_INLINE hn::Vec<D> DropoutFactors(D d, VU lane_steps, uint32_t key, uint32_t j0, hn::Vec<D> thresh,
                                     hn::Vec<D> keep_scale) {
  const hn::RebindToUnsigned<D> du;
  const hn::RebindToSigned<D> di;
  auto x = hn::Add(lane_steps, hn::Set(du, key + j0 * dropout_hash::kGolden32));
  x = hn::Xor(x, hn::ShiftRight<16>(x));
  x = hn::Mul(x, hn::Set(du, dropout_hash::kMul1));
  x = hn::Xor(x, hn::ShiftRight<15>(x));
  x = hn::Mul(x, hn::Set(du, dropout_hash::kMul2));
  x = hn::Xor(x, hn::ShiftRight<16>(x));
  const auto u = hn::ConvertTo(d, hn::BitCast(di, hn::ShiftRight<8>(x)));
  return hn::IfThenElseZero(hn::Ge(u, thresh), keep_scale);
}

// 1 - y^2 as (1 - y)(1 + y): exact-ish for |y| near 1 (tanh derivatives) without needing FMA.
template <class D, class V>
HWY_INLINE V OneMinusSquare(D d, V y) {
  const V one = hn::Set(d, 1.0f);
  return hn::Mul(hn::Sub(one, y), hn::Add(one, y));
}

// Exact product: x * x == p + err (Dekker's split, so it needs no FMA and behaves identically on
// every target).
template <class D, class V>
HWY_INLINE V SquareError(D d, V x, V p) {
  const hn::RebindToUnsigned<D> du;
  const V hi = hn::BitCast(d, hn::And(hn::BitCast(du, x), hn::Set(du, 0xFFFFF000u)));
  const V lo = hn::Sub(x, hi);
  const V cross = hn::Mul(hi, lo);
  return hn::Add(hn::Add(hn::Sub(hn::Mul(hi, hi), p), hn::Add(cross, cross)), hn::Mul(lo, lo));
}

// Standard normal CDF Phi(x) for exact GELU; also returns e = exp(-x^2 / 2) for the derivative.
// With a = |x| / sqrt(2):
//   a < 0.5:  erf(a) = a * P(a^2)                              (P: degree 4, rel. error 1.4e-9)
//   a >= 0.5: erfc(a) = t * Q(t) * exp(-a^2), t = 1 / (1 + a/2)  (Q: degree 8, rel. error 1e-8)
// Both are weighted least-squares fits (relative error) made for this file. erfc is evaluated
// directly from a = 0.5 on, so Phi keeps its relative accuracy in the left tail instead of
// cancelling 1 + erf; below 0.5, 1 - erf(a) loses at most a factor of ~2.
template <class D, class V>
HWY_INLINE V NormalCdf(D d, V x, V& e) {
  const V half = hn::Set(d, 0.5f), one = hn::Set(d, 1.0f);
  // |x| >= 20 saturates Phi in float; clamping keeps inf out of the exact-square arithmetic.
  const V ax = hn::Min(hn::Abs(x), hn::Set(d, 20.0f));
  const V xx = hn::Mul(ax, ax);
  const V s = hn::Mul(xx, half);                           // a^2 = x^2 / 2, up to rounding ...
  const V ds = hn::Mul(SquareError(d, ax, xx), half);      // ... which is ds
  e = hn::Mul(ExpSafe(d, hn::Neg(s)), hn::Sub(one, ds));  // exp(-s - ds) to first order in ds
  const V a = hn::Mul(ax, hn::Set(d, 0.70710678118654752f));

  V p = hn::Set(d, 0.004717567469924688f);
  p = hn::MulAdd(p, s, hn::Set(d, -0.026756972074508667f));
  p = hn::MulAdd(p, s, hn::Set(d, 0.11282819509506226f));
  p = hn::MulAdd(p, s, hn::Set(d, -0.37612608075141907f));
  p = hn::MulAdd(p, s, hn::Set(d, 1.1283791065216064f));
  const V half_erf = hn::Mul(hn::Mul(a, p), half);  // erf(a) / 2, a < 0.5

  const V t = hn::Div(one, hn::MulAdd(a, half, one));
  V q = hn::Set(d, -0.06316574662923813f);
  q = hn::MulAdd(q, t, hn::Set(d, 0.30362188816070557f));
  q = hn::MulAdd(q, t, hn::Set(d, -0.5239353179931641f));
  q = hn::MulAdd(q, t, hn::Set(d, 0.31648313999176025f));
  q = hn::MulAdd(q, t, hn::Set(d, -0.050430651754140854f));
  q = hn::MulAdd(q, t, hn::Set(d, 0.21162261068820953f));
  q = hn::MulAdd(q, t, hn::Set(d, 0.24112333357334137f));
  q = hn::MulAdd(q, t, hn::Set(d, 0.2826118767261505f));
  q = hn::MulAdd(q, t, hn::Set(d, 0.28207477927207947f));
  const V half_erfc = hn::Mul(hn::Mul(hn::Mul(t, q), e), half);  // erfc(a) / 2, a >= 0.5

  const auto neg = hn::Lt(x, hn::Zero(d));
  const V small = hn::Add(half, hn::IfThenElse(neg, hn::Neg(half_erf), half_erf));
  const V large = hn::IfThenElse(neg, half_erfc, hn::Sub(one, half_erfc));
  return hn::IfThenElse(hn::Lt(a, half), small, large);
}

// Per-lane maximum that keeps NaN: Highway's Max follows the ISA's (operand-order dependent) rule.
template <class D, class V>
HWY_INLINE V MaxNaN(D d, V a, V b) {
  return hn::IfThenElse(hn::IsNaN(b), b, hn::IfThenElse(hn::IsNaN(a), a, hn::Max(a, b)));
}
template <class D, class V>
HWY_INLINE V MinNaN(D d, V a, V b) {
  return hn::IfThenElse(hn::IsNaN(b), b, hn::IfThenElse(hn::IsNaN(a), a, hn::Min(a, b)));
}

}  // namespace nd::kernels::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#endif  // include guard toggle
