// Scalar reference: float32 <-> bfloat16 / IEEE binary16 (nd/kernels/convert.h). Round to
// nearest even; NaN stays NaN (quieted, sign and leading payload bits kept, as x86 F16C does);
// values beyond the half range round to infinity; binary16 subnormals are produced and read.
#include <cstring>

#include "kernels/ref/ref.h"

namespace nd::kernels::ref {

namespace {

inline uint32_t bits_of(float f) {
  uint32_t b;
  std::memcpy(&b, &f, sizeof b);
  return b;
}
inline float float_of(uint32_t b) {
  float f;
  std::memcpy(&f, &b, sizeof f);
  return f;
}

// Rounds v >> shift to nearest, ties to even.
inline uint32_t shift_rne(uint32_t v, int shift) {
  const uint32_t r = v >> shift, rem = v & ((1u << shift) - 1), half = 1u << (shift - 1);
  return r + ((rem > half || (rem == half && (r & 1u))) ? 1u : 0u);
}

uint16_t to_bf16(float f) {
  const uint32_t b = bits_of(f);
  if ((b & 0x7FFFFFFFu) > 0x7F800000u) return static_cast<uint16_t>((b >> 16) | 0x0040u);  // quiet NaN
  return static_cast<uint16_t>(shift_rne(b, 16));  // a carry out of the mantissa correctly bumps the exponent
}

uint16_t to_f16(float f) {
  const uint32_t b = bits_of(f);
  const uint32_t sign = (b >> 16) & 0x8000u, a = b & 0x7FFFFFFFu;
  if (a > 0x7F800000u) return static_cast<uint16_t>(sign | 0x7E00u | ((a >> 13) & 0x3FFu));  // quiet NaN
  if (a >= 0x477FF000u) return static_cast<uint16_t>(sign | 0x7C00u);  // >= 65520 (and inf) -> inf
  if (a >= 0x38800000u) {                                                // normal half: rebias 127 -> 15
    return static_cast<uint16_t>(sign | shift_rne(a - 0x38000000u, 13));
  }
  if (a <= 0x33000000u) return static_cast<uint16_t>(sign);  // <= 2^-25: rounds (ties to even) to zero
  // Subnormal half: value = m * 2^(e - 150); in units of 2^-24 that is m >> (126 - e).
  const uint32_t e = a >> 23, m = (a & 0x7FFFFFu) | 0x800000u;
  return static_cast<uint16_t>(sign | shift_rne(m, static_cast<int>(126 - e)));  // 0x400 = smallest normal
}

float from_f16(uint16_t h) {
  const uint32_t sign = static_cast<uint32_t>(h & 0x8000u) << 16;
  uint32_t e = (h >> 10) & 0x1Fu, m = h & 0x3FFu;
  if (e == 0x1Fu) return float_of(sign | 0x7F800000u | (m << 13) | (m ? 0x400000u : 0u));  // inf / quiet NaN
  if (e == 0) {
    if (m == 0) return float_of(sign);
    // Subnormal half: normalize the mantissa into a float32 normal.
    e = 1;
    while ((m & 0x400u) == 0) {
      m <<= 1;
      --e;
    }
    m &= 0x3FFu;
  }
  return float_of(sign | ((e + 112u) << 23) | (m << 13));
}

}  // namespace

void f32_to_bf16(const float* x, uint16_t* y, int64_t n) {
  for (int64_t i = 0; i < n; ++i) y[i] = to_bf16(x[i]);
}

void bf16_to_f32(const uint16_t* x, float* y, int64_t n) {
  for (int64_t i = 0; i < n; ++i) y[i] = float_of(static_cast<uint32_t>(x[i]) << 16);
}

void f32_to_f16(const float* x, uint16_t* y, int64_t n) {
  for (int64_t i = 0; i < n; ++i) y[i] = to_f16(x[i]);
}

void f16_to_f32(const uint16_t* x, float* y, int64_t n) {
  for (int64_t i = 0; i < n; ++i) y[i] = from_f16(x[i]);
}

}  // namespace nd::kernels::ref
