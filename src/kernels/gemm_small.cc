// Register-blocked small GEMM for batches of tiny matrices (kernels/gemm_small.h). Per matrix,
// op(B) is staged as [k, n] rows in a stack buffer, then every row of C is accumulated in up to
// four vectors over k (one broadcast of op(A)[i, p] and one multiply-add per vector and p).
#include "kernels/gemm_small.h"

#include <algorithm>
#include <cstring>

#include "kernels/dispatch_internal.h"
#include "nd/core/error.h"
#include "nd/core/parallel.h"

#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "kernels/gemm_small.cc"
#include "hwy/foreach_target.h"  // IWYU pragma: keep
#include "hwy/highway.h"
#include "kernels/simd-inl.h"

HWY_BEFORE_NAMESPACE();
namespace nd::kernels::HWY_NAMESPACE {

using DF = hn::ScalableTag<float>;
using VF = hn::Vec<DF>;

// Columns [j0, j0 + kVecs * N) of rows [i0, i0 + kRows) of C, accumulated in registers over k.
// bt is op(B) staged as [k, ldbt] (zero padded), so full-vector loads stay inside it. Several rows
// at once give independent multiply-add chains (one chain would wait on the FMA latency).
template <size_t kVecs, size_t kRows>
HWY_INLINE void Tile(DF d, bool ta, int64_t i0, int64_t n, int64_t k, float alpha, const float* a, int64_t lda,
                     const float* bt, int64_t ldbt, size_t j0, float beta, float* c, int64_t ldc) {
  const size_t N = hn::Lanes(d);
  VF acc[kRows][kVecs];
  for (size_t r = 0; r < kRows; ++r)
    for (size_t v = 0; v < kVecs; ++v) acc[r][v] = hn::Zero(d);
  for (int64_t p = 0; p < k; ++p) {
    const float* brow = bt + p * ldbt + j0;
    VF bv[kVecs];
    for (size_t v = 0; v < kVecs; ++v) bv[v] = hn::Load(d, brow + v * N);
    for (size_t r = 0; r < kRows; ++r) {
      const int64_t i = i0 + static_cast<int64_t>(r);
      const VF av = hn::Set(d, ta ? a[p * lda + i] : a[i * lda + p]);
      for (size_t v = 0; v < kVecs; ++v) acc[r][v] = hn::MulAdd(av, bv[v], acc[r][v]);
    }
  }
  for (size_t r = 0; r < kRows; ++r) {
    float* crow = c + (i0 + static_cast<int64_t>(r)) * ldc;
    for (size_t v = 0; v < kVecs; ++v) {
      const size_t j = j0 + v * N;
      const size_t cnt = std::min(N, static_cast<size_t>(n) - j);
      VF x = alpha == 1.0f ? acc[r][v] : hn::Mul(hn::Set(d, alpha), acc[r][v]);
      if (beta != 0.0f) x = hn::MulAdd(hn::Set(d, beta), LoadPart(d, crow + j, cnt), x);
      StorePart(x, d, crow + j, cnt);
    }
  }
}

// Every row of C for one column block: four rows at a time for one vector of columns, two for
// two, then single rows.
template <size_t kVecs>
HWY_INLINE void Block(DF d, bool ta, int64_t m, int64_t n, int64_t k, float alpha, const float* a, int64_t lda,
                      const float* bt, int64_t ldbt, size_t j0, float beta, float* c, int64_t ldc) {
  constexpr size_t kRows = kVecs == 1 ? 4 : kVecs == 2 ? 2 : 1;
  int64_t i = 0;
  for (; i + static_cast<int64_t>(kRows) <= m; i += kRows)
    Tile<kVecs, kRows>(d, ta, i, n, k, alpha, a, lda, bt, ldbt, j0, beta, c, ldc);
  for (; i < m; ++i) Tile<kVecs, 1>(d, ta, i, n, k, alpha, a, lda, bt, ldbt, j0, beta, c, ldc);
}

void SmallBatched(bool ta, bool tb, int64_t q0, int64_t q1, int64_t m, int64_t n, int64_t k, float alpha,
                  const float* a, int64_t lda, int64_t sa, const float* b, int64_t ldb, int64_t sb, float beta, float* c,
                  int64_t ldc, int64_t sc) {
  const DF d;
  const size_t N = hn::Lanes(d);
  const size_t vecs = (static_cast<size_t>(n) + N - 1) / N;
  const int64_t ldbt = static_cast<int64_t>(vecs * N);
  HWY_ALIGN float bt[kSmallGemmStage + 64];
  for (int64_t q = q0; q < q1; ++q) {
    const float* bq = b + q * sb;
    if (tb) {
      // B stored [n, k]: read its rows contiguously, scatter into the L1-resident stage.
      for (int64_t j = 0; j < n; ++j) {
        const float* brow = bq + j * ldb;
        for (int64_t p = 0; p < k; ++p) bt[p * ldbt + j] = brow[p];
      }
      if (ldbt > n)
        for (int64_t p = 0; p < k; ++p) std::fill(bt + p * ldbt + n, bt + (p + 1) * ldbt, 0.0f);
    } else {
      for (int64_t p = 0; p < k; ++p) {
        float* row = bt + p * ldbt;
        std::memcpy(row, bq + p * ldb, sizeof(float) * static_cast<size_t>(n));
        std::fill(row + n, row + ldbt, 0.0f);
      }
    }
    const float* aq = a + q * sa;
    float* cq = c + q * sc;
    // Column blocks of up to four vectors: enough registers for the accumulators on every target.
    size_t v0 = 0;
    for (; v0 + 4 <= vecs; v0 += 4) Block<4>(d, ta, m, n, k, alpha, aq, lda, bt, ldbt, v0 * N, beta, cq, ldc);
    switch (vecs - v0) {
      case 1: Block<1>(d, ta, m, n, k, alpha, aq, lda, bt, ldbt, v0 * N, beta, cq, ldc); break;
      case 2: Block<2>(d, ta, m, n, k, alpha, aq, lda, bt, ldbt, v0 * N, beta, cq, ldc); break;
      case 3: Block<3>(d, ta, m, n, k, alpha, aq, lda, bt, ldbt, v0 * N, beta, cq, ldc); break;
      default: break;
    }
  }
}

}  // namespace nd::kernels::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace nd::kernels {

HWY_EXPORT(SmallBatched);

void gemm_small_batched(bool ta, bool tb, int64_t batch, int64_t m, int64_t n, int64_t k, float alpha,
                        const float* a, int64_t lda, int64_t sa, const float* b, int64_t ldb, int64_t sb, float beta,
                        float* c, int64_t ldc, int64_t sc) {
  ND_CHECK(gemm_is_small(m, n, k), "gemm_small_batched: shape ", m, "x", n, "x", k, " is not small");
  // Each matrix is computed by one worker, in the same order for any thread count.
  // A parallel region only for at least ~64K multiply-adds per worker: barriers cost microseconds.
  parallel_for(batch, std::max<int64_t>(1, 65536 / (m * n * k)), [&](int64_t q0, int64_t q1) {
    HWY_DYNAMIC_DISPATCH(SmallBatched)(ta, tb, q0, q1, m, n, k, alpha, a, lda, sa, b, ldb, sb, beta, c, ldc, sc);
  });
}

}  // namespace nd::kernels
#endif  // HWY_ONCE
