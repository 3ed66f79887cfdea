// GEMM / GEMV through CBLAS (row-major). No hand-written GEMM: BLAS libraries are faster than
// anything we would maintain. Degenerate shapes are handled here because BLAS implementations
// disagree on them (k == 0 in particular must still apply beta to C).
#include "nd/kernels/gemm.h"

#include <cblas.h>
#if defined(ND_GEMM_ONEDNN)
#include <omp.h>
#include <oneapi/dnnl/dnnl.h>
#include <pthread.h>
#include <signal.h>
#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#endif
#endif

#include <algorithm>
#include <atomic>
#include <chrono>
#include <climits>
#include <cstdlib>
#include <cstring>

#include "kernels/dispatch_internal.h"
#include "kernels/gemm_small.h"
#include "nd/core/error.h"
#include "nd/core/parallel.h"

#if defined(ND_BLAS_OPENBLAS)
extern "C" void openblas_set_num_threads(int num_threads);
#elif defined(ND_BLAS_MKL)
#include <mkl.h>
#elif defined(ND_BLAS_BLIS)
#include <blis.h>
#endif

namespace nd::kernels {

namespace {

int to_blas_int(int64_t v, const char* what) {
  ND_CHECK(v >= 0 && v <= INT_MAX, "gemm: ", what, " = ", v, " does not fit the 32-bit BLAS interface");
  return static_cast<int>(v);
}

// Products of at least 2^20 multiply-adds are "large": with several threads they are cut into one
// panel of C per thread, each a one-thread library call (below), and they may go to oneDNN.
constexpr int64_t kLargeWork = int64_t{1} << 20;

// The panel split: panels along the longer of m and n, a multiple of kPanelAlign rows / columns
// each (whole cache lines of C when split by columns); every element keeps the full-k sum of a
// one-thread call. The libraries' own threading of the same call left one thread waiting at the
// end: with oneDNN on a Cascade Lake the layer shapes of iTransformer (m = 224 token rows) and
// PatchTST were 5-15% slower per training step at two threads (A/B in bench/README.md); with
// OpenBLAS 0.3.21 on an AMD Zen 3, 9 alternating pairs of 2-thread iTransformer runs: panels
// faster in 7, median step 79.1 ms against 82.4 ms threaded by OpenBLAS (a few percent, on a
// noisy machine).
constexpr int64_t kPanelAlign = 16;

#if defined(ND_GEMM_ONEDNN)
// GEMMs of at least 2^20 multiply-adds may go to oneDNN's sgemm; smaller products always stay on
// BLAS: oneDNN's per-call set-up and allocations weigh there, and in TFT's gradient parity case
// (all products tiny) one small bias gradient built from cancelling terms came out 1.1e-4 from a
// float64 reference through oneDNN, against 1.6e-5 through OpenBLAS and 3e-6 in PyTorch.
//
// Which library takes the large products depends on the CPU and the shape (ND_GEMM=onednn|blas|
// byshape overrides it; `kernels_bench --benchmark_filter=gemm_layer` prints both side by side):
// - Intel (Cascade Lake, AVX-512): oneDNN throughout. 5-20% faster than OpenBLAS 0.3.21 on the
//   transformer layer shapes, and it scales to two threads where OpenBLAS did not (bench/README.md).
// - Anything else (AMD Zen 3 measured): by shape. oneDNN 2.6's AVX2 sgemm is 1.03-1.35x faster
//   than OpenBLAS's Zen kernels on PatchTST's tall products (12288 token rows against 128-256
//   columns), but fell to 0.70-0.75x on two of iTransformer's weight-gradient products (k = 224
//   token rows, m = 512 / 2048) once the operands came from memory. In the training steps at one
//   thread (3 alternating runs each): iTransformer 122-127 ms with OpenBLAS, 155-161 ms with
//   oneDNN; PatchTST within the noise either way (fastest steps 535-576 ms with OpenBLAS, 527-556
//   with oneDNN). The rule: oneDNN when the longest dimension is at least kOnednnLongDim (4096),
//   which takes all of PatchTST's products and none of iTransformer's.
bool cpu_is_intel() {
#if defined(__x86_64__) || defined(__i386__)
  unsigned eax = 0, ebx = 0, ecx = 0, edx = 0;
  if (!__get_cpuid(0, &eax, &ebx, &ecx, &edx)) return false;
  char vendor[13];
  std::memcpy(vendor, &ebx, 4);
  std::memcpy(vendor + 4, &edx, 4);
  std::memcpy(vendor + 8, &ecx, 4);
  vendor[12] = '\0';
  return std::strcmp(vendor, "GenuineIntel") == 0;
#else
  return false;
#endif
}

// -1: not yet decided; otherwise a GemmBackend.
std::atomic<int> g_backend{-1};

GemmBackend current_backend() {
  int v = g_backend.load(std::memory_order_relaxed);
  if (v < 0) [[unlikely]] {
    const char* env = std::getenv("ND_GEMM");
    if (!env || !*env) {
      v = static_cast<int>(cpu_is_intel() ? GemmBackend::kOnednn : GemmBackend::kByShape);
    } else if (std::strcmp(env, "onednn") == 0) {
      v = static_cast<int>(GemmBackend::kOnednn);
    } else if (std::strcmp(env, "blas") == 0) {
      v = static_cast<int>(GemmBackend::kBlas);
    } else {
      ND_CHECK(std::strcmp(env, "byshape") == 0, "ND_GEMM must be 'onednn', 'blas' or 'byshape', got '", env, "'");
      v = static_cast<int>(GemmBackend::kByShape);
    }
    int expected = -1;
    if (!g_backend.compare_exchange_strong(expected, v, std::memory_order_relaxed)) v = expected;
  }
  return static_cast<GemmBackend>(v);
}

bool use_onednn(int64_t m, int64_t n, int64_t k) {
  if (m * n * k < kLargeWork) return false;
  switch (current_backend()) {
    case GemmBackend::kOnednn:
      return true;
    case GemmBackend::kByShape:
      return std::max({m, n, k}) >= kOnednnLongDim;
    case GemmBackend::kBlas:
      break;
  }
  return false;
}

// oneDNN's JIT sgemm kernels (2.x up to 3.11.1, oneDNN issue #4845) point the stack pointer into
// their heap workspace while they run, so a signal handled on that thread writes its frame into
// the heap: a Ctrl-C in Python (its C handler runs on whichever thread the kernel picks) or a
// profiler's timer signal corrupted malloc's chunks or the product. Each call therefore runs with
// the asynchronous signals blocked on its thread; one that arrives stays pending and is handled
// when the call returns (a few milliseconds at most). Fault signals stay unblocked so that a crash
// is still reported. The mask is per thread, so oneDNN must not run the call on threads of its own:
// outside a parallel region the call is made with one OpenMP thread (inside one, oneDNN runs
// inline anyway). Two sigprocmask calls cost well under a microsecond against >= 2^20
// multiply-adds. Test: KernelsGemm.LargeProductsSurviveSignalStorms.
class OnednnCallScope {
 public:
  OnednnCallScope() {
    sigset_t async;
    sigfillset(&async);
    for (int sig : {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGTRAP, SIGABRT, SIGSYS}) sigdelset(&async, sig);
    pthread_sigmask(SIG_BLOCK, &async, &old_mask_);
    if (!omp_in_parallel()) {
      saved_threads_ = omp_get_max_threads();
      if (saved_threads_ != 1) omp_set_num_threads(1);
    }
  }
  ~OnednnCallScope() {
    if (saved_threads_ > 1) omp_set_num_threads(saved_threads_);
    pthread_sigmask(SIG_SETMASK, &old_mask_, nullptr);
  }
  OnednnCallScope(const OnednnCallScope&) = delete;
  OnednnCallScope& operator=(const OnednnCallScope&) = delete;

 private:
  sigset_t old_mask_;
  int saved_threads_ = 0;
};

void onednn_sgemm(bool ta, bool tb, int64_t m, int64_t n, int64_t k, float alpha, const float* a, int64_t lda,
                  const float* b, int64_t ldb, float beta, float* c, int64_t ldc) {
  dnnl_status_t st;
  {
    OnednnCallScope scope;
    st = dnnl_sgemm(ta ? 'T' : 'N', tb ? 'T' : 'N', m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
  }
  ND_CHECK(st == dnnl_success, "gemm: oneDNN sgemm failed (status ", static_cast<int>(st), ") for m=", m,
           " n=", n, " k=", k);
}
#endif

// C[m, n] (row stride ldc) = beta * C; beta == 0 overwrites (BLAS semantics: NaN in C ignored).
void scale_c(int64_t m, int64_t n, float beta, float* c, int64_t ldc) {
  if (beta == 1.0f) return;
  for (int64_t i = 0; i < m; ++i) {
    float* row = c + i * ldc;
    if (beta == 0.0f) {
      std::fill(row, row + n, 0.0f);
    } else {
      for (int64_t j = 0; j < n; ++j) row[j] *= beta;
    }
  }
}

// gemm_count / gemm_counters (benchmarks): off by default; when off a call pays one relaxed load.
std::atomic<bool> g_counting{false};
std::atomic<int64_t> g_calls{0};
std::atomic<double> g_flops{0.0}, g_seconds{0.0};

// gemm() without the counting.
void gemm_impl(bool ta, bool tb, int64_t m, int64_t n, int64_t k, float alpha, const float* a, int64_t lda,
               const float* b, int64_t ldb, float beta, float* c, int64_t ldc) {
  if (m <= 0 || n <= 0) return;
  if (k <= 0 || alpha == 0.0f) {
    scale_c(m, n, beta, c, ldc);
    return;
  }
  // Stored shapes: A is [m, k] (or [k, m] when ta), B is [k, n] (or [n, k] when tb).
  if (m == 1 || n == 1) {
    // Matrix-vector products (a batch-1 forecast, a single output unit): GEMV is ~20% faster than
    // GEMM with a unit dimension in OpenBLAS, measured in bench/kernels_bench.cc.
    if (beta == 0.0f) scale_c(m, n, 0.0f, c, ldc);  // GEMV's beta = 0 must not see NaN in C
    if (m == 1) {
      // c[0, :] = alpha * op(B)^T x,  x = row 0 of op(A): contiguous, or a column of stored A^T.
      cblas_sgemv(CblasRowMajor, tb ? CblasNoTrans : CblasTrans, to_blas_int(tb ? n : k, "n"),
                  to_blas_int(tb ? k : n, "k"), alpha, b, to_blas_int(std::max<int64_t>(ldb, tb ? k : n), "ldb"), a,
                  to_blas_int(ta ? lda : 1, "lda"), beta, c, 1);
    } else {
      // c[:, 0] = alpha * op(A) x,  x = column 0 of op(B).
      cblas_sgemv(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, to_blas_int(ta ? k : m, "k"),
                  to_blas_int(ta ? m : k, "m"), alpha, a, to_blas_int(std::max<int64_t>(lda, ta ? m : k), "lda"), b,
                  to_blas_int(tb ? 1 : ldb, "ldb"), beta, c, to_blas_int(ldc, "ldc"));
    }
    return;
  }
  // BLAS rejects a leading dimension below the stored row length even when it is never used.
  const int64_t a_cols = ta ? m : k, b_cols = tb ? k : n;
  lda = std::max(lda, a_cols);
  ldb = std::max(ldb, b_cols);
  ldc = std::max(ldc, n);
  // Large products through oneDNN's JIT sgemm where use_onednn says so (beta = 0 costs no separate
  // pass zeroing C there); it uses the same OpenMP pool as parallel_for and runs inline inside a
  // parallel region, and never starts threads of its own here (see OnednnCallScope).
#if defined(ND_GEMM_ONEDNN)
  const bool onednn = !use_ref() && use_onednn(m, n, k);
#endif
  auto blas = [&](int64_t pm, int64_t pn, const float* pa, const float* pb, float* pc) {
    cblas_sgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans, to_blas_int(pm, "m"),
                to_blas_int(pn, "n"), to_blas_int(k, "k"), alpha, pa, to_blas_int(lda, "lda"), pb,
                to_blas_int(ldb, "ldb"), beta, pc, to_blas_int(ldc, "ldc"));
  };
  auto call = [&](int64_t pm, int64_t pn, const float* pa, const float* pb, float* pc) {
#if defined(ND_GEMM_ONEDNN)
    if (onednn) return onednn_sgemm(ta, tb, pm, pn, k, alpha, pa, lda, pb, ldb, beta, pc, ldc);
#endif
    blas(pm, pn, pa, pb, pc);
  };
  const int nt = in_parallel_region() ? 1 : num_threads();
  const bool split_m = m >= n;
  const int64_t dim = split_m ? m : n;
  if (nt > 1 && m * n * k >= kLargeWork && dim >= 2 * kPanelAlign * nt) {
    const int64_t panel = (dim + nt * kPanelAlign - 1) / (nt * kPanelAlign) * kPanelAlign;
    const int64_t panels = (dim + panel - 1) / panel;
    parallel_for(panels, 1, [&](int64_t p0, int64_t p1) {
      for (int64_t p = p0; p < p1; ++p) {
        const int64_t lo = p * panel, len = std::min(dim, lo + panel) - lo;
        if (split_m)
          call(len, n, ta ? a + lo : a + lo * lda, b, c + lo * ldc);
        else
          call(m, len, a, tb ? b + lo * ldb : b + lo, c + lo);
      }
    });
    return;
  }
  // One call: one thread, a product too small to split (threaded BLAS when nt > 1), or a small
  // output over a long k (fewer than 32 rows and columns per thread: threaded BLAS, not oneDNN,
  // whose call would run on one thread).
  if (nt > 1)
    blas(m, n, a, b, c);
  else
    call(m, n, a, b, c);
}

}  // namespace

void gemm_count(bool on) {
  if (on) {
    g_calls.store(0, std::memory_order_relaxed);
    g_flops.store(0.0, std::memory_order_relaxed);
    g_seconds.store(0.0, std::memory_order_relaxed);
  }
  g_counting.store(on, std::memory_order_relaxed);
}

GemmCounters gemm_counters() {
  return {g_calls.load(std::memory_order_relaxed), g_flops.load(std::memory_order_relaxed),
          g_seconds.load(std::memory_order_relaxed)};
}

void gemm(bool ta, bool tb, int64_t m, int64_t n, int64_t k, float alpha, const float* a, int64_t lda,
          const float* b, int64_t ldb, float beta, float* c, int64_t ldc) {
  // Counted: calls made outside parallel regions (the step's own products, with their panels
  // and threads inside), timed as wall time; calls from inside a parallel region are other
  // threads' work that the wall time of their region already covers.
  if (!g_counting.load(std::memory_order_relaxed) || in_parallel_region())
    return gemm_impl(ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
  const auto t0 = std::chrono::steady_clock::now();
  gemm_impl(ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
  const double dt = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  g_calls.fetch_add(1, std::memory_order_relaxed);
  g_flops.fetch_add(2.0 * static_cast<double>(m) * static_cast<double>(n) * static_cast<double>(std::max<int64_t>(k, 0)),
                    std::memory_order_relaxed);
  g_seconds.fetch_add(dt, std::memory_order_relaxed);
}

void gemm(bool ta, bool tb, int64_t m, int64_t n, int64_t k, const float* a, const float* b, float* c, float beta) {
  gemm(ta, tb, m, n, k, 1.0f, a, ta ? m : k, b, tb ? k : n, beta, c, n);
}

void gemm_batched(bool ta, bool tb, int64_t batch, int64_t m, int64_t n, int64_t k, const float* a, int64_t stride_a,
                  const float* b, int64_t stride_b, float* c, int64_t stride_c, float beta) {
  gemm_strided_batched(ta, tb, batch, m, n, k, 1.0f, a, ta ? m : k, stride_a, b, tb ? k : n, stride_b, beta, c, n,
                       stride_c);
}

void gemm_strided_batched(bool ta, bool tb, int64_t batch, int64_t m, int64_t n, int64_t k, float alpha,
                          const float* a, int64_t lda, int64_t sa, const float* b, int64_t ldb, int64_t sb, float beta,
                          float* c, int64_t ldc, int64_t sc) {
  // Tiny matrices (attention over a few tokens) in registers: a BLAS call per matrix costs more
  // than its arithmetic. The scalar-reference mode keeps BLAS so tests can compare the two.
  if (batch > 1 && gemm_is_small(m, n, k) && !use_ref())
    return gemm_small_batched(ta, tb, batch, m, n, k, alpha, a, lda, sa, b, ldb, sb, beta, c, ldc, sc);
  // Otherwise one BLAS call per matrix: the batched extensions are vendor-specific.
  for (int64_t i = 0; i < batch; ++i) gemm(ta, tb, m, n, k, alpha, a + i * sa, lda, b + i * sb, ldb, beta, c + i * sc, ldc);
}

// A is stored [m, n]; op(A) = A^T when ta. y has op(A)'s row count: m, or n when ta.
void gemv(bool ta, int64_t m, int64_t n, float alpha, const float* a, const float* x, float beta, float* y) {
  const int64_t rows = ta ? n : m, cols = ta ? m : n;
  if (rows <= 0) return;
  if (cols <= 0 || alpha == 0.0f) {
    scale_c(1, rows, beta, y, rows);
    return;
  }
  if (beta == 0.0f) scale_c(1, rows, 0.0f, y, rows);  // beta = 0 must not propagate NaN from y
  cblas_sgemv(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, to_blas_int(m, "m"), to_blas_int(n, "n"), alpha, a,
              to_blas_int(std::max<int64_t>(n, 1), "lda"), x, 1, beta, y, 1);
}

void blas_set_num_threads(int n) {
  n = std::max(n, 1);
#if defined(ND_BLAS_OPENBLAS)
  openblas_set_num_threads(n);
#elif defined(ND_BLAS_MKL)
  mkl_set_num_threads(n);
#elif defined(ND_BLAS_BLIS)
  bli_thread_set_num_threads(n);
#else
  (void)n;
#endif
}

GemmBackend gemm_backend() {
#if defined(ND_GEMM_ONEDNN)
  return current_backend();
#else
  return GemmBackend::kBlas;
#endif
}

GemmBackend set_gemm_backend(GemmBackend b) {
#if defined(ND_GEMM_ONEDNN)
  const GemmBackend was = current_backend();
  g_backend.store(static_cast<int>(b), std::memory_order_relaxed);
  return was;
#else
  (void)b;
  return GemmBackend::kBlas;
#endif
}

bool onednn_gemm_available() {
#if defined(ND_GEMM_ONEDNN)
  return true;
#else
  return false;
#endif
}

#if defined(ND_BLAS_OPENBLAS)
#define ND_BLAS_LIB_NAME "OpenBLAS"
#elif defined(ND_BLAS_MKL)
#define ND_BLAS_LIB_NAME "MKL"
#elif defined(ND_BLAS_BLIS)
#define ND_BLAS_LIB_NAME "BLIS"
#else
#define ND_BLAS_LIB_NAME "CBLAS"
#endif

const char* blas_name() {
#if defined(ND_GEMM_ONEDNN)
  switch (current_backend()) {
    case GemmBackend::kBlas:
      return ND_BLAS_LIB_NAME " only (oneDNN built in, switched off)";
    case GemmBackend::kByShape:
      return "oneDNN sgemm (long products) + " ND_BLAS_LIB_NAME;
    case GemmBackend::kOnednn:
      break;
  }
  return "oneDNN sgemm + " ND_BLAS_LIB_NAME;
#else
  return ND_BLAS_LIB_NAME;
#endif
}

}  // namespace nd::kernels
