// Internal: batched products of small matrices (attention scores and values of short sequences,
// e.g. PatchTST's 12 patches x 8 dimensions per head) in registers, without a BLAS call per
// matrix. Used by kernels::gemm_batched when every matrix is below kSmallGemmFlops.
#pragma once
#include <cstdint>

namespace nd::kernels {

// m * n * k at or below which gemm_batched takes the register kernel: at this size a BLAS call's
// fixed cost (argument checks, packing, dispatch) exceeds the arithmetic.
constexpr int64_t kSmallGemmFlops = 16384;
constexpr int64_t kSmallGemmStage = 8192;  // floats of the staged op(B): k * round_up(n, 16)

inline bool gemm_is_small(int64_t m, int64_t n, int64_t k) {
  return m >= 1 && n >= 1 && k >= 1 && m * n * k <= kSmallGemmFlops && k * ((n + 15) / 16 * 16) <= kSmallGemmStage;
}

// For q in [0, batch): C_q[m, n] = alpha op(A_q) op(B_q) + beta C_q, with row strides lda, ldb,
// ldc (as stored: A is [m, k] or [k, m] when ta, B is [k, n] or [n, k] when tb) and element
// strides sa, sb, sc between consecutive matrices. Requires gemm_is_small(m, n, k).
void gemm_small_batched(bool ta, bool tb, int64_t batch, int64_t m, int64_t n, int64_t k, float alpha,
                        const float* a, int64_t lda, int64_t sa, const float* b, int64_t ldb, int64_t sb, float beta,
                        float* c, int64_t ldc, int64_t sc);

}  // namespace nd::kernels
