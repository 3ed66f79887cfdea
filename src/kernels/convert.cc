// float32 <-> bfloat16 / binary16 (nd/kernels/convert.h) with Highway. bf16 rounding is integer
// arithmetic on every target. For binary16, targets with F16C (AVX2, AVX-512) use Highway's
// DemoteTo / PromoteTo (hardware vcvtps2ph / vcvtph2ps: round to nearest even, NaN quieted);
// Highway 1.0's emulation on the others truncates and mishandles inf / NaN, so those targets use
// the integer formulation below, which matches the hardware bit for bit.
#include "nd/kernels/convert.h"

#include <cstddef>

#include "kernels/dispatch_internal.h"
#include "kernels/ref/ref.h"

#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "kernels/convert.cc"
#include "hwy/foreach_target.h"  // IWYU pragma: keep
#include "hwy/highway.h"
#include "kernels/simd-inl.h"

HWY_BEFORE_NAMESPACE();
namespace nd::kernels::HWY_NAMESPACE {

using DF = hn::ScalableTag<float>;
using DI = hn::RebindToSigned<DF>;         // int32 lanes, same count
using D16 = hn::Rebind<uint16_t, DF>;      // uint16 lanes, same count (half width)
using VI = hn::Vec<DI>;

// Runs the converter over [0, n): full vectors, then one partial vector.
template <class DIn, class DOut, class F>
HWY_INLINE void Convert(DIn din, DOut dout, const hn::TFromD<DIn>* x, hn::TFromD<DOut>* y, size_t n, const F& f) {
  const size_t N = hn::Lanes(din);
  size_t i = 0;
  for (; i + N <= n; i += N) hn::StoreU(f(hn::LoadU(din, x + i)), dout, y + i);
  if (i < n) StoreTail(f(LoadTail(din, x + i, n - i)), dout, y + i, n - i);
}

// Round-to-nearest-even of bits >> 16, NaN -> quiet NaN. All values stay below 2^31 after the
// sign is split off, so signed int32 arithmetic suffices.
HWY_INLINE hn::Vec<D16> ToBf16(hn::Vec<DF> v) {
  const DI di;
  const D16 d16;
  const VI b = hn::BitCast(di, v);
  const VI a = hn::And(b, hn::Set(di, 0x7FFFFFFF));  // |bits|
  const VI lsb = hn::And(hn::ShiftRight<16>(a), hn::Set(di, 1));
  const VI rounded = hn::ShiftRight<16>(hn::Add(a, hn::Add(hn::Set(di, 0x7FFF), lsb)));
  const VI nan = hn::Or(hn::ShiftRight<16>(a), hn::Set(di, 0x0040));
  const VI mag = hn::IfThenElse(hn::Gt(a, hn::Set(di, 0x7F800000)), nan, rounded);
  const VI h = hn::Or(mag, hn::And(hn::ShiftRight<16>(b), hn::Set(di, 0x8000)));  // sign bit 31 -> 15
  return hn::DemoteTo(d16, h);  // values are < 2^16: the saturating demotion is exact
}

HWY_INLINE hn::Vec<DF> FromBf16(hn::Vec<D16> h) {
  const DI di;
  return hn::BitCast(DF(), hn::ShiftLeft<16>(hn::PromoteTo(di, h)));
}

#if HWY_TARGET <= HWY_AVX2
HWY_INLINE hn::Vec<D16> ToF16(hn::Vec<DF> v) {
  const hn::Rebind<hwy::float16_t, DF> dh;
  return hn::BitCast(D16(), hn::DemoteTo(dh, v));
}
HWY_INLINE hn::Vec<DF> FromF16(hn::Vec<D16> h) {
  const hn::Rebind<hwy::float16_t, DF> dh;
  return hn::PromoteTo(DF(), hn::BitCast(dh, h));
}
#else
// binary16 from float32, round to nearest even (same cases as ref::to_f16).
HWY_INLINE hn::Vec<D16> ToF16(hn::Vec<DF> v) {
  const DF df;
  const DI di;
  const VI b = hn::BitCast(di, v);
  const VI a = hn::And(b, hn::Set(di, 0x7FFFFFFF));
  const VI sign = hn::And(hn::ShiftRight<16>(b), hn::Set(di, 0x8000));  // bit 31 -> 15
  // Normal half: rebias the exponent and round the 13 dropped bits to nearest even.
  const VI lsb = hn::And(hn::ShiftRight<13>(a), hn::Set(di, 1));
  const VI normal = hn::ShiftRight<13>(hn::Add(hn::Sub(a, hn::Set(di, 0x38000000)), hn::Add(hn::Set(di, 0xFFF), lsb)));
  // Subnormal half: adding 0.5 puts the unit 2^-24 at the last mantissa bit of the sum, so the
  // float addition itself rounds to nearest even; the mantissa bits are the result (0x400 = the
  // smallest normal, which is also the right encoding).
  const VI sub = hn::Sub(hn::BitCast(di, hn::Add(hn::BitCast(df, a), hn::Set(df, 0.5f))), hn::Set(di, 0x3F000000));
  const VI nan = hn::Or(hn::Set(di, 0x7E00), hn::And(hn::ShiftRight<13>(a), hn::Set(di, 0x3FF)));
  VI mag = hn::IfThenElse(hn::Lt(a, hn::Set(di, 0x38800000)), sub, normal);
  mag = hn::IfThenElse(hn::Gt(a, hn::Set(di, 0x477FEFFF)), hn::Set(di, 0x7C00), mag);  // >= 65520 -> inf
  mag = hn::IfThenElse(hn::Gt(a, hn::Set(di, 0x7F800000)), nan, mag);
  return hn::DemoteTo(D16(), hn::Or(mag, sign));
}

// float32 from binary16, exactly (subnormal halves become normal floats; NaN is quieted).
HWY_INLINE hn::Vec<DF> FromF16(hn::Vec<D16> h16) {
  const DF df;
  const DI di;
  const VI h = hn::PromoteTo(di, h16);
  const VI sign = hn::ShiftLeft<16>(hn::And(h, hn::Set(di, 0x8000)));
  const VI e = hn::And(h, hn::Set(di, 0x7C00)), m = hn::And(h, hn::Set(di, 0x3FF));
  const VI normal = hn::Add(hn::ShiftLeft<13>(hn::And(h, hn::Set(di, 0x7FFF))), hn::Set(di, 112 << 23));
  // m * 2^-24, exact in float.
  const VI sub = hn::BitCast(di, hn::Mul(hn::ConvertTo(df, m), hn::Set(df, 5.9604644775390625e-8f)));
  const VI special = hn::Or(hn::Set(di, 0x7F800000), hn::ShiftLeft<13>(m));
  const VI quiet = hn::IfThenElseZero(hn::Gt(m, hn::Zero(di)), hn::Set(di, 0x400000));
  VI mag = hn::IfThenElse(hn::Eq(e, hn::Zero(di)), sub, normal);
  mag = hn::IfThenElse(hn::Eq(e, hn::Set(di, 0x7C00)), hn::Or(special, quiet), mag);
  return hn::BitCast(df, hn::Or(mag, sign));
}
#endif

void F32ToBf16Impl(const float* x, uint16_t* y, size_t n) {
  Convert(DF(), D16(), x, y, n, [](hn::Vec<DF> v) HWY_ATTR { return ToBf16(v); });
}
void Bf16ToF32Impl(const uint16_t* x, float* y, size_t n) {
  Convert(D16(), DF(), x, y, n, [](hn::Vec<D16> v) HWY_ATTR { return FromBf16(v); });
}
void F32ToF16Impl(const float* x, uint16_t* y, size_t n) {
  Convert(DF(), D16(), x, y, n, [](hn::Vec<DF> v) HWY_ATTR { return ToF16(v); });
}
void F16ToF32Impl(const uint16_t* x, float* y, size_t n) {
  Convert(D16(), DF(), x, y, n, [](hn::Vec<D16> v) HWY_ATTR { return FromF16(v); });
}

}  // namespace nd::kernels::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace nd::kernels {

HWY_EXPORT(F32ToBf16Impl);
HWY_EXPORT(Bf16ToF32Impl);
HWY_EXPORT(F32ToF16Impl);
HWY_EXPORT(F16ToF32Impl);

void f32_to_bf16(const float* x, uint16_t* y, int64_t n) {
  if (use_ref()) return ref::f32_to_bf16(x, y, n);
  HWY_DYNAMIC_DISPATCH(F32ToBf16Impl)(x, y, to_size(n));
}

void bf16_to_f32(const uint16_t* x, float* y, int64_t n) {
  if (use_ref()) return ref::bf16_to_f32(x, y, n);
  HWY_DYNAMIC_DISPATCH(Bf16ToF32Impl)(x, y, to_size(n));
}

void f32_to_f16(const float* x, uint16_t* y, int64_t n) {
  if (use_ref()) return ref::f32_to_f16(x, y, n);
  HWY_DYNAMIC_DISPATCH(F32ToF16Impl)(x, y, to_size(n));
}

void f16_to_f32(const uint16_t* x, float* y, int64_t n) {
  if (use_ref()) return ref::f16_to_f32(x, y, n);
  HWY_DYNAMIC_DISPATCH(F16ToF32Impl)(x, y, to_size(n));
}

}  // namespace nd::kernels
#endif  // HWY_ONCE
