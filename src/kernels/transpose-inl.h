// Internal Highway building block: 8 x 8 float transposes in AVX2 registers, used by the fused
// token attention (kernels/token_attention-inl.h) and the strided transpose kernel
// (kernels/transpose.cc). Only x86 targets of AVX2 and up define them;
// other targets take scalar loops. Re-included once per target by foreach_target.h, hence the
// toggle guard.
#if defined(ND_KERNELS_TRANSPOSE_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef ND_KERNELS_TRANSPOSE_INL_H_
#undef ND_KERNELS_TRANSPOSE_INL_H_
#else
#define ND_KERNELS_TRANSPOSE_INL_H_
#endif

#include <algorithm>
#include <cstddef>
#include <cstdint>

#include "hwy/highway.h"
#include "kernels/simd-inl.h"

HWY_BEFORE_NAMESPACE();
namespace nd::kernels::HWY_NAMESPACE {

#if HWY_ARCH_X86 && HWY_TARGET <= HWY_AVX2
// 8 x 8 blocks in registers: unpack pairs of rows, unpack pairs of those as 64-bit lanes, then
// combine 128-bit halves (24 shuffles per block; no gathers, which microcode mitigations made slow).
// Reads rows (<= 8) rows of cols (<= 8) floats at src (zeros for the missing rows and columns);
// col(c, v) receives column c < cols as a vector of 8 (lanes past rows are zero).
template <class Col>
HWY_INLINE void Transpose8x8Cols(const float* src, int64_t lds, size_t rows, size_t cols, const Col& col) {
  const hn::Full256<float> d8;
  const hn::Full256<double> dd;
  using V8 = hn::Vec<decltype(d8)>;
  V8 r[8], t[8], u[8];
  for (size_t i = 0; i < 8; ++i) r[i] = i < rows ? LoadPart(d8, src + static_cast<int64_t>(i) * lds, cols) : hn::Zero(d8);
  for (size_t i = 0; i < 8; i += 2) {
    t[i] = hn::InterleaveLower(d8, r[i], r[i + 1]);
    t[i + 1] = hn::InterleaveUpper(d8, r[i], r[i + 1]);
  }
  for (size_t i = 0; i < 8; i += 4)
    for (size_t c = 0; c < 2; ++c) {
      const auto a = hn::BitCast(dd, t[i + c]), b = hn::BitCast(dd, t[i + c + 2]);
      u[i + 2 * c] = hn::BitCast(d8, hn::InterleaveLower(dd, a, b));
      u[i + 2 * c + 1] = hn::BitCast(d8, hn::InterleaveUpper(dd, a, b));
    }
  // u[c] holds columns c (lower half) and c + 4 (upper half) of rows 0-3, u[c + 4] of rows 4-7.
  for (size_t c = 0; c < 4; ++c) {
    if (c < cols) col(c, hn::ConcatLowerLower(d8, u[c + 4], u[c]));
    if (c + 4 < cols) col(c + 4, hn::ConcatUpperUpper(d8, u[c + 4], u[c]));
  }
}

// dst[c ldd + r] = src[r lds + c] for r < rows, c < cols: only those elements are written.
// With kAdd the transposed elements are added to dst instead.
template <bool kAdd = false>
HWY_INLINE void TransposeTo(const float* src, int64_t lds, int64_t rows, int64_t cols, float* dst, int64_t ldd) {
  for (int64_t r0 = 0; r0 < rows; r0 += 8) {
    const size_t nr = static_cast<size_t>(std::min<int64_t>(8, rows - r0));
    for (int64_t c0 = 0; c0 < cols; c0 += 8)
      Transpose8x8Cols(src + r0 * lds + c0, lds, nr, static_cast<size_t>(std::min<int64_t>(8, cols - c0)),
                       [&](size_t c, hn::Vec<hn::Full256<float>> v) HWY_ATTR {
                         const hn::Full256<float> d8;
                         float* out = dst + (c0 + static_cast<int64_t>(c)) * ldd + r0;
                         if constexpr (kAdd) v = hn::Add(v, LoadPart(d8, out, nr));
                         StorePart(v, d8, out, nr);
                       });
  }
}

#endif  // AVX2 and up

}  // namespace nd::kernels::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#endif  // include guard toggle
