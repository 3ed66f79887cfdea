// Internal Highway building blocks of the fused token attention (kernels/token_attention.cc):
// L1 tiles of one head (copied rows, in-register transposes), register-blocked products of tiny
// matrices with a per-vector epilogue, and the dropout factors of kernels::dropout. Re-included
// once per target by foreach_target.h, hence the toggle guard.
#if defined(ND_KERNELS_TOKEN_ATTENTION_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef ND_KERNELS_TOKEN_ATTENTION_INL_H_
#undef ND_KERNELS_TOKEN_ATTENTION_INL_H_
#else
#define ND_KERNELS_TOKEN_ATTENTION_INL_H_
#endif

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <type_traits>

#include "hwy/highway.h"
#include "kernels/dropout_hash.h"
#include "kernels/simd-inl.h"
#include "nd/kernels/token_attention.h"

HWY_BEFORE_NAMESPACE();
namespace nd::kernels::HWY_NAMESPACE {
namespace tok {

using DF = hn::ScalableTag<float>;
using VF = hn::Vec<DF>;

constexpr size_t kMaxLanes = HWY_MAX_BYTES / sizeof(float);
// Row stride of every tile (floats): the longest row, 64, rounded up to whole vectors of any
// target. A compile-time stride lets the rows of a tile be addressed off one pointer (a runtime
// one took a register per row, and the register pressure spilled); rows touch only the cache lines
// they use, so the wide stride costs no cache.
constexpr int64_t kLd = static_cast<int64_t>((kTokenAttentionMaxLen + kMaxLanes - 1) / kMaxLanes * kMaxLanes);
constexpr size_t kTile = static_cast<size_t>(kTokenAttentionMaxLen * kLd);  // floats of a tile
static_assert(kTokenAttentionMaxDim <= kTokenAttentionMaxLen, "tiles are sized by the longer of the two");

HWY_INLINE size_t RoundUp(int64_t n, size_t N) { return (static_cast<size_t>(n) + N - 1) / N * N; }

// ---- tiles -------------------------------------------------------------------------------------

// dst [rows, kLd] <- rows of n floats at src (row stride lds); zero past n up to whole vectors.
HWY_INLINE void CopyRows(DF d, const float* src, int64_t lds, int64_t rows, int64_t n, float* dst) {
  const size_t N = hn::Lanes(d);
  for (int64_t r = 0; r < rows; ++r)
    for (size_t j = 0; j < static_cast<size_t>(n); j += N)
      hn::Store(LoadPart(d, src + r * lds + j, std::min(N, static_cast<size_t>(n) - j)), d, dst + r * kLd + j);
}

// dst [kdim, kLd] <- the transpose of n rows of kdim floats at src (row stride lds); zero past n
// up to whole vectors.
#if HWY_ARCH_X86 && HWY_TARGET <= HWY_AVX2
// 8 x 8 blocks in registers: unpack pairs of rows, unpack pairs of those as 64-bit lanes, then
// combine 128-bit halves (24 shuffles per block; no gathers, which microcode mitigations made slow).
// A block of rows x cols (each <= 8) reads zeros for the missing rows and stores cols rows of 8.
HWY_INLINE void Transpose8x8(const float* src, int64_t lds, size_t rows, size_t cols, float* dst) {
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
    if (c < cols) hn::StoreU(hn::ConcatLowerLower(d8, u[c + 4], u[c]), d8, dst + c * kLd);
    if (c + 4 < cols) hn::StoreU(hn::ConcatUpperUpper(d8, u[c + 4], u[c]), d8, dst + (c + 4) * kLd);
  }
}

HWY_INLINE void Transpose(DF d, const float* src, int64_t lds, int64_t n, int64_t kdim, float* dst) {
  for (int64_t j0 = 0; j0 < n; j0 += 8)
    for (int64_t p0 = 0; p0 < kdim; p0 += 8)
      Transpose8x8(src + j0 * lds + p0, lds, static_cast<size_t>(std::min<int64_t>(8, n - j0)),
                   static_cast<size_t>(std::min<int64_t>(8, kdim - p0)), dst + p0 * kLd + j0);
  const size_t filled = RoundUp(n, 8), width = RoundUp(n, hn::Lanes(d));  // whole blocks of 8 written
  if (width > filled)
    for (int64_t p = 0; p < kdim; ++p) std::fill(dst + p * kLd + filled, dst + p * kLd + width, 0.0f);
}
#else
HWY_INLINE void Transpose(DF d, const float* src, int64_t lds, int64_t n, int64_t kdim, float* dst) {
  for (int64_t j = 0; j < n; ++j)
    for (int64_t p = 0; p < kdim; ++p) dst[p * kLd + j] = src[j * lds + p];
  const size_t width = RoundUp(n, hn::Lanes(d));
  for (int64_t p = 0; p < kdim; ++p) std::fill(dst + p * kLd + n, dst + p * kLd + width, 0.0f);
}
#endif

// ---- products ----------------------------------------------------------------------------------
// C [m, n] = A B for tiles A and B: A read by broadcast, A(r, p) = a[r kLd + p], or a[p kLd + r]
// when kTransA (A stored transposed); B [k, kLd] by whole vectors. out(r, j, cnt, acc) receives
// every finished vector: row r, columns [j, j + cnt) valid in the vector starting at column j
// (lanes past n hold zero).

// Rows [r0, r0 + kRows), column vectors [j0, j0 + kVecs N): independent multiply-add chains.
template <bool kTransA, size_t kVecs, size_t kRows, class Out>
HWY_INLINE void Tile(DF d, int64_t r0, int64_t n, int64_t k, const float* a, const float* b, size_t j0,
                     const Out& out) {
  const size_t N = hn::Lanes(d);
  VF acc[kRows][kVecs];
  for (size_t r = 0; r < kRows; ++r)
    for (size_t v = 0; v < kVecs; ++v) acc[r][v] = hn::Zero(d);
  const float* ar = kTransA ? a + r0 : a + r0 * kLd;
  for (int64_t p = 0; p < k; ++p) {
    const float* brow = b + p * kLd + j0;
    VF bv[kVecs];
    for (size_t v = 0; v < kVecs; ++v) bv[v] = hn::Load(d, brow + v * N);
    for (size_t r = 0; r < kRows; ++r) {
      const int64_t ri = static_cast<int64_t>(r);
      const VF av = hn::Set(d, kTransA ? ar[p * kLd + ri] : ar[ri * kLd + p]);
      for (size_t v = 0; v < kVecs; ++v) acc[r][v] = hn::MulAdd(av, bv[v], acc[r][v]);
    }
  }
  for (size_t r = 0; r < kRows; ++r)
    for (size_t v = 0; v < kVecs; ++v) {
      const size_t j = j0 + v * N;
      out(r0 + static_cast<int64_t>(r), j, std::min(N, static_cast<size_t>(n) - j), acc[r][v]);
    }
}

// Rows [r0, m) of one column block: kRows at a time, the remainder by halves.
template <bool kTransA, size_t kVecs, size_t kRows, class Out>
HWY_INLINE void Rows(DF d, int64_t r0, int64_t m, int64_t n, int64_t k, const float* a, const float* b, size_t j0,
                     const Out& out) {
  int64_t r = r0;
  for (; r + static_cast<int64_t>(kRows) <= m; r += kRows) Tile<kTransA, kVecs, kRows>(d, r, n, k, a, b, j0, out);
  if constexpr (kRows > 1) {
    if (r < m) Rows<kTransA, kVecs, kRows / 2>(d, r, m, n, k, a, b, j0, out);
  }
}

// Column blocks of up to four vectors; about eight accumulators each (16 registers on AVX2).
template <bool kTransA, class Out>
HWY_INLINE void Product(DF d, int64_t m, int64_t n, int64_t k, const float* a, const float* b, const Out& out) {
  const size_t N = hn::Lanes(d);
  const size_t vecs = (static_cast<size_t>(n) + N - 1) / N;
  size_t v0 = 0;
  for (; v0 + 4 <= vecs; v0 += 4) Rows<kTransA, 4, 2>(d, 0, m, n, k, a, b, v0 * N, out);
  switch (vecs - v0) {
    case 1: Rows<kTransA, 1, 8>(d, 0, m, n, k, a, b, v0 * N, out); break;
    case 2: Rows<kTransA, 2, 4>(d, 0, m, n, k, a, b, v0 * N, out); break;
    case 3: Rows<kTransA, 3, 2>(d, 0, m, n, k, a, b, v0 * N, out); break;
    default: break;
  }
}

// Whole rows of a tile (vecs vectors each) in groups: tile(Size<kVecs>, Size<kRows>, i0) for kRows rows at a
// time (their chains interleave: a softmax row is a long dependency chain of reductions, exp and a
// division), the remainder by halves. vecs must be 1..4.
template <size_t n>
using Size = std::integral_constant<size_t, n>;

template <size_t kVecs, size_t kRows, class T>
HWY_INLINE void RowTiles(int64_t i0, int64_t m, const T& tile) {
  for (; i0 + static_cast<int64_t>(kRows) <= m; i0 += kRows) tile(Size<kVecs>(), Size<kRows>(), i0);
  if constexpr (kRows > 1) {
    if (i0 < m) RowTiles<kVecs, kRows / 2>(i0, m, tile);
  }
}
template <class T>
HWY_INLINE void ForRowTiles(size_t vecs, int64_t m, const T& tile) {
  switch (vecs) {
    case 1: return RowTiles<1, 4>(0, m, tile);
    case 2: return RowTiles<2, 2>(0, m, tile);
    case 3: return RowTiles<3, 2>(0, m, tile);
    default: return RowTiles<4, 1>(0, m, tile);
  }
}

// ---- dropout -----------------------------------------------------------------------------------
// The factors kernels::dropout(seed, p) applies to a flat [B * H, Lq, Lk] array: 1 / (1 - p) where
// dropout_hash::bits24(chunk key, element) >= threshold, else 0; one key per 2^32 elements.
struct Dropout {
  bool on;
  uint64_t seed;
  uint32_t thresh;
  float keep;
  // Per head: when its elements share one chunk (always, below 2^32 elements), its key.
  bool one_chunk = false;
  uint32_t key = 0;

  Dropout(uint64_t s, float p)
      : on(p > 0.0f), seed(s), thresh(dropout_hash::keep_threshold(p)), keep(1.0f / (1.0f - p)) {}
  void start_head(uint64_t e0, uint64_t count) {
    one_chunk = (e0 >> 32) == ((e0 + count - 1) >> 32);
    if (on && one_chunk) key = dropout_hash::chunk_key(seed, e0 >> 32);
  }
  float scalar(uint64_t e) const {
    return dropout_hash::bits24(dropout_hash::chunk_key(seed, e >> 32), static_cast<uint32_t>(e)) >= thresh ? keep
                                                                                                             : 0.0f;
  }
};

// Factors of elements [e, e + Lanes) of the current head.
HWY_INLINE VF DropoutVec(DF d, const Dropout& dr, uint64_t e) {
  if (dr.one_chunk) {
    const hn::RebindToUnsigned<DF> du;
    return DropoutFactors(d, hn::Iota(du, 0), dr.key, static_cast<uint32_t>(e), hn::Set(d, static_cast<float>(dr.thresh)),
                          hn::Set(d, dr.keep));
  }
  HWY_ALIGN float f[kMaxLanes];
  for (size_t l = 0; l < hn::Lanes(d); ++l) f[l] = dr.scalar(e + l);
  return hn::Load(d, f);
}

}  // namespace tok
}  // namespace nd::kernels::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#endif  // include guard toggle
