// Strided 2-D transpose (nd/kernels/transpose.h) with Highway. A row-by-row transpose writes each
// element of a source row to a different destination row: with rows kilobytes apart (the RNN
// layouts: 4-48 KB, multiples of 4 KB) every element touches its own cache line, and the lines of
// a column block all fall into the same L1 set. On AVX2 and up the array moves as 8 x 8 blocks
// transposed in registers (kernels/transpose-inl.h): each block reads 8 row pieces and writes 8
// column pieces of 32 bytes. Other targets run 8 x 8 tiles in scalar loops.
#include "nd/kernels/transpose.h"

#include <algorithm>
#include <cstddef>

#include "kernels/dispatch_internal.h"
#include "kernels/ref/ref.h"

#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "kernels/transpose.cc"
#include "hwy/foreach_target.h"  // IWYU pragma: keep
#include "hwy/highway.h"
#include "kernels/simd-inl.h"
#include "kernels/transpose-inl.h"

HWY_BEFORE_NAMESPACE();
namespace nd::kernels::HWY_NAMESPACE {

template <bool kAdd>
void TransposeTiles(const float* src, int64_t lds, float* dst, int64_t ldd, int64_t rows, int64_t cols) {
#if HWY_ARCH_X86 && HWY_TARGET <= HWY_AVX2
  TransposeTo<kAdd>(src, lds, rows, cols, dst, ldd);
#else
  constexpr int64_t kTile = 8;
  for (int64_t r0 = 0; r0 < rows; r0 += kTile) {
    const int64_t r1 = std::min(rows, r0 + kTile);
    for (int64_t c0 = 0; c0 < cols; c0 += kTile) {
      const int64_t c1 = std::min(cols, c0 + kTile);
      for (int64_t c = c0; c < c1; ++c)
        for (int64_t r = r0; r < r1; ++r) {
          if constexpr (kAdd)
            dst[c * ldd + r] += src[r * lds + c];
          else
            dst[c * ldd + r] = src[r * lds + c];
        }
    }
  }
#endif
}

void TransposeImpl(const float* src, int64_t lds, float* dst, int64_t ldd, int64_t rows, int64_t cols, bool add) {
  if (add)
    TransposeTiles<true>(src, lds, dst, ldd, rows, cols);
  else
    TransposeTiles<false>(src, lds, dst, ldd, rows, cols);
}

}  // namespace nd::kernels::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace nd::kernels {

HWY_EXPORT(TransposeImpl);

void transpose(const float* src, int64_t ld_src, float* dst, int64_t ld_dst, int64_t rows, int64_t cols, bool add) {
  if (rows <= 0 || cols <= 0) return;
  if (use_ref()) return ref::transpose(src, ld_src, dst, ld_dst, rows, cols, add);
  HWY_DYNAMIC_DISPATCH(TransposeImpl)(src, ld_src, dst, ld_dst, rows, cols, add);
}

}  // namespace nd::kernels
#endif  // HWY_ONCE
