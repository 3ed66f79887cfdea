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
#include "kernels/transpose-inl.h"
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
// up to whole vectors. The 8 x 8 register transposes are in kernels/transpose-inl.h.
#if HWY_ARCH_X86 && HWY_TARGET <= HWY_AVX2
// A block of rows x cols (each <= 8) into a tile: stores cols rows of 8 (zeros past rows).
HWY_INLINE void Transpose8x8(const float* src, int64_t lds, size_t rows, size_t cols, float* dst) {
  Transpose8x8Cols(src, lds, rows, cols, [&](size_t c, hn::Vec<hn::Full256<float>> v) HWY_ATTR {
    hn::StoreU(v, hn::Full256<float>(), dst + c * kLd);
  });
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
    return DropoutFactors(d, DropoutLaneSteps(hn::Iota(du, 0)), dr.key, static_cast<uint32_t>(e), hn::Set(d, static_cast<float>(dr.thresh)),
                          hn::Set(d, dr.keep));
  }
  HWY_ALIGN float f[kMaxLanes];
  for (size_t l = 0; l < hn::Lanes(d); ++l) f[l] = dr.scalar(e + l);
  return hn::Load(d, f);
}

// ---- heads in lanes ------------------------------------------------------------------------------
// Many narrow heads (PatchTST: 16 heads of width 8 over 12 patches) fill few lanes of the per-head
// tiles. Instead, G heads share every vector: lane h belongs to head h0 + h, a [rows, width] block
// of a head becomes rows * width vectors, and the products and the softmax are elementwise across
// the lanes (no horizontal reductions, no per-head set-up).

// dst[(r width + c) G + h] = src[r lds + h width + c] for r < rows, c < width, h < G: the G heads'
// columns of token-major rows (a [G, width] array at src is rows = 1).
HWY_INLINE void ToLanes(const float* src, int64_t lds, int64_t rows, int64_t width, size_t G, float* dst) {
  const int64_t g = static_cast<int64_t>(G);
  for (int64_t r = 0; r < rows; ++r) {
#if HWY_ARCH_X86 && HWY_TARGET <= HWY_AVX2
    TransposeTo(src + r * lds, width, g, width, dst + r * width * g, g);
#else
    for (int64_t h = 0; h < g; ++h)
      for (int64_t c = 0; c < width; ++c) dst[(r * width + c) * g + h] = src[r * lds + h * width + c];
#endif
  }
}

// The inverse: dst[r lds + h width + c] = src[(r width + c) G + h].
HWY_INLINE void FromLanes(const float* src, int64_t rows, int64_t width, size_t G, float* dst, int64_t lds) {
  const int64_t g = static_cast<int64_t>(G);
  for (int64_t r = 0; r < rows; ++r) {
#if HWY_ARCH_X86 && HWY_TARGET <= HWY_AVX2
    TransposeTo(src + r * width * g, g, width, g, dst + r * lds, width);
#else
    for (int64_t h = 0; h < g; ++h)
      for (int64_t c = 0; c < width; ++c) dst[r * lds + h * width + c] = src[(r * width + c) * g + h];
#endif
  }
}

// out(j, sum) for j < R, sum = a . m_j = the sum over c < C of a[c] m[j C + c] (vectors of G
// lanes): four rows at a time share each load of a.
template <class DG, class Out>
HWY_INLINE void LaneDots(DG dg, const float* a, const float* m, int64_t R, int64_t C, const Out& out) {
  using V = hn::Vec<DG>;
  const int64_t g = static_cast<int64_t>(hn::Lanes(dg));
  int64_t j = 0;
  for (; j + 4 <= R; j += 4) {
    V acc0 = hn::Zero(dg), acc1 = hn::Zero(dg), acc2 = hn::Zero(dg), acc3 = hn::Zero(dg);
    const float* m0 = m + j * C * g;
    for (int64_t c = 0; c < C; ++c) {
      const V av = hn::Load(dg, a + c * g);
      acc0 = hn::MulAdd(av, hn::Load(dg, m0 + c * g), acc0);
      acc1 = hn::MulAdd(av, hn::Load(dg, m0 + (C + c) * g), acc1);
      acc2 = hn::MulAdd(av, hn::Load(dg, m0 + (2 * C + c) * g), acc2);
      acc3 = hn::MulAdd(av, hn::Load(dg, m0 + (3 * C + c) * g), acc3);
    }
    out(j, acc0);
    out(j + 1, acc1);
    out(j + 2, acc2);
    out(j + 3, acc3);
  }
  for (; j < R; ++j) {
    V acc = hn::Zero(dg);
    for (int64_t c = 0; c < C; ++c) acc = hn::MulAdd(hn::Load(dg, a + c * g), hn::Load(dg, m + (j * C + c) * g), acc);
    out(j, acc);
  }
}

// Columns [c0, c0 + kCols) of LaneCombine.
template <size_t kCols, class DG, class Out>
HWY_INLINE void LaneCombineBlock(DG dg, const float* coef, int64_t cs, const float* m, int64_t R, int64_t C,
                                 int64_t c0, const Out& out) {
  using V = hn::Vec<DG>;
  const int64_t g = static_cast<int64_t>(hn::Lanes(dg));
  V acc[kCols];
  for (size_t t = 0; t < kCols; ++t) acc[t] = hn::Zero(dg);
  for (int64_t r = 0; r < R; ++r) {
    const V cv = hn::Load(dg, coef + r * cs);
    const float* mr = m + (r * C + c0) * g;
    for (size_t t = 0; t < kCols; ++t) acc[t] = hn::MulAdd(cv, hn::Load(dg, mr + static_cast<int64_t>(t) * g), acc[t]);
  }
  for (size_t t = 0; t < kCols; ++t) out(c0 + static_cast<int64_t>(t), acc[t]);
}

// out(c, sum) for c < C, sum = the sum over r < R of coef[r cs] m[r C + c] (vectors of G lanes; the
// coefficient of row r is the vector at coef + r cs): eight columns at a time share each coefficient.
template <class DG, class Out>
HWY_INLINE void LaneCombine(DG dg, const float* coef, int64_t cs, const float* m, int64_t R, int64_t C,
                            const Out& out) {
  int64_t c = 0;
  for (; c + 8 <= C; c += 8) LaneCombineBlock<8>(dg, coef, cs, m, R, C, c, out);
  if (c + 4 <= C) {
    LaneCombineBlock<4>(dg, coef, cs, m, R, C, c, out);
    c += 4;
  }
  for (; c < C; ++c) LaneCombineBlock<1>(dg, coef, cs, m, R, C, c, out);
}

// The dropout factors of a group of heads: lane h of element e (an offset within a head) is element
// e0 + h LL + e of the flat [B * H, Lq, Lk] array (start_head(e0, G LL) set the chunk).
template <class DG>
struct LaneDropout {
  const Dropout& dr;
  hn::Vec<hn::RebindToUnsigned<DG>> lane_steps;  // DropoutLaneSteps(h LL)
  hn::Vec<DG> thresh, keep;
  uint64_t ll;
  LaneDropout(DG dg, const Dropout& dropout, int64_t LL)
      : dr(dropout),
        lane_steps(DropoutLaneSteps(
            hn::Mul(hn::Iota(hn::RebindToUnsigned<DG>(), 0), hn::Set(hn::RebindToUnsigned<DG>(), static_cast<uint32_t>(LL))))),
        thresh(hn::Set(dg, static_cast<float>(dropout.thresh))),
        keep(hn::Set(dg, dropout.keep)),
        ll(static_cast<uint64_t>(LL)) {}
  hn::Vec<DG> factors(DG dg, uint64_t e0, uint64_t e) const {
    if (dr.one_chunk) return DropoutFactors(dg, lane_steps, dr.key, static_cast<uint32_t>(e0 + e), thresh, keep);
    HWY_ALIGN float f[kMaxLanes];
    for (size_t h = 0; h < hn::Lanes(dg); ++h) f[h] = dr.scalar(e0 + h * ll + e);
    return hn::Load(dg, f);
  }
};

}  // namespace tok
}  // namespace nd::kernels::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#endif  // include guard toggle
