// GEMM through CBLAS (OpenBLAS by default; MKL or BLIS at configure time). Row-major.
#pragma once
#include <cstdint>

namespace nd::kernels {

// C[m,n] = alpha * op(A)[m,k] @ op(B)[k,n] + beta * C.  op(X) = X^T when tX.
// lda/ldb/ldc are the row strides of A, B, C as stored (PyTorch/NumPy convention).
void gemm(bool ta, bool tb, int64_t m, int64_t n, int64_t k, float alpha, const float* a, int64_t lda,
          const float* b, int64_t ldb, float beta, float* c, int64_t ldc);

// Contiguous convenience form: lda/ldb/ldc implied by the shapes.
void gemm(bool ta, bool tb, int64_t m, int64_t n, int64_t k, const float* a, const float* b, float* c,
          float beta);

// batch independent products with element strides between consecutive matrices.
void gemm_batched(bool ta, bool tb, int64_t batch, int64_t m, int64_t n, int64_t k, const float* a,
                  int64_t stride_a, const float* b, int64_t stride_b, float* c, int64_t stride_c,
                  float beta);

// General strided batch: C_q = alpha op(A_q) op(B_q) + beta C_q for q in [0, batch), row strides
// lda / ldb / ldc as in gemm(), element strides sa / sb / sc between matrices (e.g. the heads of
// a [B, L, H * D] projection: lda = H * D, sa = D). Tiny matrices run in a register kernel,
// larger ones one BLAS call each.
void gemm_strided_batched(bool ta, bool tb, int64_t batch, int64_t m, int64_t n, int64_t k, float alpha,
                          const float* a, int64_t lda, int64_t sa, const float* b, int64_t ldb, int64_t sb, float beta,
                          float* c, int64_t ldc, int64_t sc);

// y[m] = alpha * op(A) x + beta * y.
void gemv(bool ta, int64_t m, int64_t n, float alpha, const float* a, const float* x, float beta, float* y);

// Which library takes the large products (>= 2^20 multiply-adds; smaller ones always use BLAS):
// kBlas, kOnednn, or kByShape: oneDNN when the product's longest dimension is at least
// kOnednnLongDim, BLAS otherwise. The default depends on the CPU: kOnednn on Intel, kByShape
// elsewhere; ND_GEMM=onednn|blas|byshape overrides it (see the README's Knobs and kernels/gemm.cc
// for the measurements behind the rule). Without oneDNN in the build everything is BLAS and
// gemm_backend() says kBlas.
enum class GemmBackend : int { kBlas = 0, kOnednn = 1, kByShape = 2 };
inline constexpr int64_t kOnednnLongDim = 4096;
GemmBackend gemm_backend();
// Sets the backend (tests, benchmarks) and returns the previous one; a no-op returning kBlas
// without oneDNN. Not meant to be changed while other threads run GEMMs.
GemmBackend set_gemm_backend(GemmBackend b);
bool onednn_gemm_available();

// Counting (benchmarks: how much of a training step its GEMMs take). gemm_count(true) zeroes the
// counters and starts counting the gemm() calls made outside parallel regions: their number,
// 2 m n k floating-point operations each, and their wall time; gemm_count(false) stops. Off by
// default (a call then pays one relaxed atomic load).
struct GemmCounters {
  int64_t calls = 0;
  double flops = 0.0, seconds = 0.0;
};
void gemm_count(bool on);
GemmCounters gemm_counters();

// Threads BLAS may use (set by nd::set_num_threads).
void blas_set_num_threads(int n);
const char* blas_name();

}  // namespace nd::kernels
