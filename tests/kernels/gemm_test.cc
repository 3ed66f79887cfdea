// GEMM / GEMV wrappers against a naive double-precision product: transposes, leading dimensions,
// degenerate shapes (k = 0 must still apply beta), batches.
#include "nd/kernels/gemm.h"

#include <gtest/gtest.h>

#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstring>
#include <limits>
#include <thread>
#include <vector>

#include "kernel_test_util.h"
#include "nd/core/parallel.h"
#include "kernels/gemm_small.h"

namespace nd::kernels {
namespace {

using testing::all_close;
using testing::Buf;
using testing::random_buf;

// C = alpha op(A) op(B) + beta C with explicit leading dimensions, in double.
void naive_gemm(bool ta, bool tb, int64_t m, int64_t n, int64_t k, float alpha, const float* a, int64_t lda,
                const float* b, int64_t ldb, float beta, float* c, int64_t ldc) {
  for (int64_t i = 0; i < m; ++i) {
    for (int64_t j = 0; j < n; ++j) {
      double s = 0.0;
      for (int64_t p = 0; p < k; ++p) {
        const double av = ta ? a[p * lda + i] : a[i * lda + p];
        const double bv = tb ? b[j * ldb + p] : b[p * ldb + j];
        s += av * bv;
      }
      const double prev = beta == 0.0f ? 0.0 : beta * static_cast<double>(c[i * ldc + j]);
      c[i * ldc + j] = static_cast<float>(alpha * s + prev);
    }
  }
}

TEST(KernelsGemm, MatchesNaiveWithStrides) {
  // Includes m == 1 and n == 1, which go through GEMV.
  const int64_t shapes[][3] = {{1, 1, 1},  {3, 5, 7},   {17, 9, 33}, {64, 48, 80},
                               {1, 100, 50}, {40, 1, 30}, {1, 1, 20},  {1, 7, 1}};
  for (const auto& s : shapes) {
    for (int t = 0; t < 4; ++t) {
      for (float beta : {0.0f, 0.5f, 1.0f}) {
        const int64_t m = s[0], n = s[1], k = s[2];
        const bool ta = t & 1, tb = t & 2;
        SCOPED_TRACE(::testing::Message() << m << "x" << n << "x" << k << " ta=" << ta << " tb=" << tb << " beta=" << beta);
        const int64_t lda = (ta ? m : k) + 3, ldb = (tb ? k : n) + 1, ldc = n + 2;
        const Buf a = random_buf((ta ? k : m) * lda, 0, -1, 1, 1), b = random_buf((tb ? n : k) * ldb, 0, -1, 1, 2);
        Buf c0 = random_buf(m * ldc, 0, -1, 1, 3);
        if (beta == 0.0f) c0[0] = std::numeric_limits<float>::quiet_NaN();  // beta = 0 ignores C
        Buf want = c0, got = c0;
        naive_gemm(ta, tb, m, n, k, 0.75f, a.data(), lda, b.data(), ldb, beta, want.data(), ldc);
        gemm(ta, tb, m, n, k, 0.75f, a.data(), lda, b.data(), ldb, beta, got.data(), ldc);
        EXPECT_TRUE(all_close(want, got, 1e-5, 1e-5));
      }
    }
  }
}

TEST(KernelsGemm, LargeProductsMatchNaiveAtAnyThreadCount) {
  // Products of >= 2^20 multiply-adds, through BLAS and through oneDNN when built with it. With
  // several threads they are split into row panels (m >= n) or column panels (n > m) of a
  // multiple of 16: odd sizes leave a short last panel, strides and transposes move the panel's
  // base pointers differently. A small output over a long k (fewer than 32 rows and columns per
  // thread) is not split.
  const int64_t shapes[][3] = {{203, 77, 97}, {45, 301, 111}, {40, 50, 700}};
  const int saved = num_threads();
  const GemmBackend saved_backend = gemm_backend();
  for (bool onednn : {false, true}) {
    if (onednn && !onednn_gemm_available()) continue;
    set_gemm_backend(onednn ? GemmBackend::kOnednn : GemmBackend::kBlas);
    for (const auto& s : shapes) {
      const int64_t m = s[0], n = s[1], k = s[2];
      for (int t = 0; t < 4; ++t) {
        for (float beta : {0.0f, 0.5f}) {
          const bool ta = t & 1, tb = t & 2;
          const int64_t lda = (ta ? m : k) + 3, ldb = (tb ? k : n) + 1, ldc = n + 2;
          const Buf a = random_buf((ta ? k : m) * lda, 0, -1, 1, 1), b = random_buf((tb ? n : k) * ldb, 0, -1, 1, 2);
          const Buf c0 = random_buf(m * ldc, 0, -1, 1, 3);
          Buf want = c0;
          naive_gemm(ta, tb, m, n, k, 0.75f, a.data(), lda, b.data(), ldb, beta, want.data(), ldc);
          for (int threads : {1, 2, 3}) {
            SCOPED_TRACE(::testing::Message() << m << "x" << n << "x" << k << " ta=" << ta << " tb=" << tb
                                              << " beta=" << beta << " threads=" << threads << " onednn=" << onednn);
            set_num_threads(threads);
            Buf got = c0;
            gemm(ta, tb, m, n, k, 0.75f, a.data(), lda, b.data(), ldb, beta, got.data(), ldc);
            EXPECT_TRUE(all_close(want, got, 2e-5, 2e-5));
          }
        }
      }
    }
  }
  set_gemm_backend(saved_backend);
  set_num_threads(saved);
}

std::atomic<int64_t> g_signals_handled{0};
void count_signal(int) { g_signals_handled.fetch_add(1, std::memory_order_relaxed); }

TEST(KernelsGemm, LargeProductsSurviveSignalStorms) {
  // A signal handled while a GEMM kernel runs must not touch the GEMM's memory: oneDNN 2.x's JIT
  // sgemm kernels point the stack pointer into their heap workspace, so the kernel's signal frame
  // would land in the heap (Ctrl-C in Python, profilers' timer signals). A second thread sends
  // SIGUSR1 to the process (the kernel picks a thread) and to the computing thread as fast as it
  // can while large products run at 1 and 2 threads; every product must equal the first one bit
  // for bit and the heap must stay intact (glibc aborts on a corrupted chunk when it is freed).
  struct sigaction sa {}, old {};
  sa.sa_handler = count_signal;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = SA_RESTART;
  ASSERT_EQ(sigaction(SIGUSR1, &sa, &old), 0);
  const int saved = num_threads();
  // The hazard is oneDNN's; it is not the default backend on every CPU.
  const GemmBackend saved_backend = set_gemm_backend(GemmBackend::kOnednn);
  const int64_t m = 96, n = 160, k = 256;  // 3.9M multiply-adds: the large-product path
  const Buf a = random_buf(m * k, 0, -1, 1, 1), b = random_buf(k * n, 0, -1, 1, 2);
  for (int threads : {1, 2}) {
    SCOPED_TRACE(::testing::Message() << "threads=" << threads);
    set_num_threads(threads);
    Buf want(m * n), got(m * n);
    gemm(false, false, m, n, k, a.data(), b.data(), want.data(), 0.0f);
    g_signals_handled = 0;
    std::atomic<bool> done{false};
    const pthread_t target = pthread_self();
    std::thread storm([&] {
      while (!done.load(std::memory_order_relaxed)) {
        kill(getpid(), SIGUSR1);
        pthread_kill(target, SIGUSR1);
        std::this_thread::sleep_for(std::chrono::microseconds(20));
      }
    });
    int64_t mismatches = 0;
    const auto t0 = std::chrono::steady_clock::now();
    while (std::chrono::steady_clock::now() - t0 < std::chrono::milliseconds(400)) {
      std::vector<float> scratch(4096 + static_cast<size_t>(mismatches));  // heap traffic between products
      gemm(false, false, m, n, k, a.data(), b.data(), got.data(), 0.0f);
      if (std::memcmp(want.data(), got.data(), want.size() * sizeof(float)) != 0) ++mismatches;
    }
    done = true;
    storm.join();
    EXPECT_EQ(mismatches, 0);
    EXPECT_GT(g_signals_handled.load(), 100) << "the storm did not reach the process; the test proves nothing";
  }
  set_gemm_backend(saved_backend);
  set_num_threads(saved);
  sigaction(SIGUSR1, &old, nullptr);
}

TEST(KernelsGemm, ContiguousAndBatched) {
  const int64_t batch = 3, m = 5, n = 6, k = 7;
  for (int t = 0; t < 4; ++t) {
    const bool ta = t & 1, tb = t & 2;
    const Buf a = random_buf(batch * m * k, 0, -1, 1, 4), b = random_buf(batch * k * n, 0, -1, 1, 5);
    Buf want = random_buf(batch * m * n, 0, -1, 1, 6), got = want, got_b = want;
    for (int64_t i = 0; i < batch; ++i)
      naive_gemm(ta, tb, m, n, k, 1.0f, a.data() + i * m * k, ta ? m : k, b.data() + i * k * n, tb ? k : n, 1.0f,
                 want.data() + i * m * n, n);
    for (int64_t i = 0; i < batch; ++i)
      gemm(ta, tb, m, n, k, a.data() + i * m * k, b.data() + i * k * n, got.data() + i * m * n, 1.0f);
    gemm_batched(ta, tb, batch, m, n, k, a.data(), m * k, b.data(), k * n, got_b.data(), m * n, 1.0f);
    EXPECT_TRUE(all_close(want, got, 1e-5, 1e-5));
    EXPECT_TRUE(all_close(want, got_b, 1e-5, 1e-5));
  }
}

// Batches of tiny matrices take the register kernel (kernels/gemm_small.h) on every SIMD target:
// all transposes, beta 0 (NaN in C ignored) and 1, widths around the vector lengths, the size
// limits. The scalar-reference mode takes BLAS; both must match the naive product.
TEST(KernelsGemm, SmallBatchedMatchesNaiveOnEveryIsa) {
  const int64_t shapes[][3] = {{12, 12, 8}, {12, 8, 12}, {8, 12, 12}, {1, 5, 3},   {7, 1, 9},  {3, 17, 2},
                               {2, 33, 5},  {5, 64, 4},  {4, 70, 3},  {16, 16, 64}, {1, 1, 1}, {2, 3, 1000}};
  const int64_t batch = 5;
  for (const auto& s : shapes) {
    const int64_t m = s[0], n = s[1], k = s[2];
    for (int t = 0; t < 4; ++t) {
      for (float beta : {0.0f, 1.0f}) {
        const bool ta = t & 1, tb = t & 2;
        SCOPED_TRACE(::testing::Message() << m << "x" << n << "x" << k << " ta=" << ta << " tb=" << tb
                                          << " beta=" << beta << " small=" << gemm_is_small(m, n, k));
        const Buf a = random_buf(batch * m * k, 0, -1, 1, 11), b = random_buf(batch * k * n, 0, -1, 1, 12);
        Buf c0 = random_buf(batch * m * n, 0, -1, 1, 13);
        if (beta == 0.0f) c0[0] = std::numeric_limits<float>::quiet_NaN();
        Buf want = c0;
        for (int64_t i = 0; i < batch; ++i)
          naive_gemm(ta, tb, m, n, k, 1.0f, a.data() + i * m * k, ta ? m : k, b.data() + i * k * n, tb ? k : n, beta,
                     want.data() + i * m * n, n);
        testing::for_each_isa([&] {
          Buf got = c0;
          gemm_batched(ta, tb, batch, m, n, k, a.data(), m * k, b.data(), k * n, got.data(), m * n, beta);
          EXPECT_TRUE(all_close(want, got, 1e-5, 1e-5));
          EXPECT_TRUE(got.canaries_intact());
        });
      }
    }
  }
  EXPECT_TRUE(gemm_is_small(12, 12, 8));
  EXPECT_FALSE(gemm_is_small(64, 64, 64));
  EXPECT_FALSE(gemm_is_small(2, 3, 1000));  // op(B) would not fit the staging buffer
}

// The heads of token-major projections: Q [Lq, H * D] x K [Lk, H * D] per head (lda = H * D,
// head stride D), alpha != 1, small and BLAS-sized, on every ISA.
TEST(KernelsGemm, StridedBatchedHeads) {
  for (const auto& s : std::vector<std::array<int64_t, 4>>{{12, 12, 8, 16}, {7, 7, 64, 8}, {40, 33, 24, 3}}) {
    const int64_t Lq = s[0], Lk = s[1], D = s[2], H = s[3];
    const Buf q = random_buf(Lq * H * D, 0, -1, 1, 21), k = random_buf(Lk * H * D, 0, -1, 1, 22);
    Buf want(H * Lq * Lk);
    for (int64_t h = 0; h < H; ++h)
      naive_gemm(false, true, Lq, Lk, D, 0.3f, q.data() + h * D, H * D, k.data() + h * D, H * D, 0.0f,
                 want.data() + h * Lq * Lk, Lk);
    testing::for_each_isa([&] {
      Buf got(H * Lq * Lk);
      gemm_strided_batched(false, true, H, Lq, Lk, D, 0.3f, q.data(), H * D, D, k.data(), H * D, D, 0.0f, got.data(),
                           Lk, Lq * Lk);
      EXPECT_TRUE(all_close(want, got, 1e-5, 1e-5)) << Lq << "x" << Lk << "x" << D;
    });
  }
}

TEST(KernelsGemm, DegenerateShapes) {
  Buf c(6, 0, 2.0f);
  const float a = 1.0f, b = 1.0f;
  gemm(false, false, 2, 3, 0, &a, &b, c.data(), 0.5f);  // k = 0: C = beta C
  for (int64_t i = 0; i < 6; ++i) EXPECT_EQ(c[i], 1.0f);
  gemm(false, false, 2, 3, 0, &a, &b, c.data(), 0.0f);  // ... and beta = 0 clears
  for (int64_t i = 0; i < 6; ++i) EXPECT_EQ(c[i], 0.0f);
  gemm(false, false, 0, 3, 4, &a, &b, c.data(), 0.0f);  // nothing to write
  gemm(false, false, 3, 0, 4, &a, &b, c.data(), 0.0f);
  EXPECT_TRUE(c.canaries_intact());
  Buf y(4, 0, 3.0f);
  gemv(false, 4, 0, 1.0f, &a, &b, 2.0f, y.data());  // n = 0: y = beta y
  for (int64_t i = 0; i < 4; ++i) EXPECT_EQ(y[i], 6.0f);
}

TEST(KernelsGemm, Gemv) {
  const int64_t m = 37, n = 23;
  const Buf a = random_buf(m * n, 0, -1, 1, 7), x = random_buf(std::max(m, n), 0, -1, 1, 8);
  for (bool ta : {false, true}) {
    const int64_t rows = ta ? n : m;
    for (float beta : {0.25f, 0.0f}) {
      Buf want = random_buf(rows, 0, -1, 1, 9), got = want;
      if (beta == 0.0f) got[1] = std::numeric_limits<float>::quiet_NaN();  // must be ignored
      // op(A) x as a [rows, 1] product.
      naive_gemm(ta, false, rows, 1, ta ? m : n, 1.5f, a.data(), n, x.data(), 1, beta, want.data(), 1);
      gemv(ta, m, n, 1.5f, a.data(), x.data(), beta, got.data());
      EXPECT_TRUE(all_close(want, got, 1e-5, 1e-5)) << "ta=" << ta << " beta=" << beta;
    }
  }
}

TEST(KernelsGemm, BlasInfo) {
  EXPECT_STRNE(blas_name(), "");
  const GemmBackend saved = gemm_backend();
  if (!onednn_gemm_available()) {
    EXPECT_EQ(saved, GemmBackend::kBlas);
    return;
  }
  EXPECT_EQ(set_gemm_backend(GemmBackend::kOnednn), saved);  // reports what was in effect
  EXPECT_EQ(set_gemm_backend(GemmBackend::kByShape), GemmBackend::kOnednn);
  EXPECT_EQ(gemm_backend(), GemmBackend::kByShape);
  set_gemm_backend(saved);
}

// The by-shape rule (the default off Intel) sends a product to oneDNN when its longest dimension
// is at least kOnednnLongDim. The two libraries round differently, so a product equals, bit for
// bit, the one computed with the library the rule names, and not always the other's.
TEST(KernelsGemm, ByShapeRoutesLongProductsToOnednn) {
  if (!onednn_gemm_available()) GTEST_SKIP() << "built without oneDNN";
  const int saved_threads = num_threads();
  set_num_threads(1);
  const GemmBackend saved = gemm_backend();
  struct Shape {
    int64_t m, n, k;
    bool onednn;
  };
  const Shape shapes[] = {{kOnednnLongDim, 24, 40, true}, {24, 40, kOnednnLongDim, true},
                          {kOnednnLongDim - 1, 24, 40, false}, {224, 512, 224, false}};
  bool any_differs = false;
  for (const Shape& s : shapes) {
    SCOPED_TRACE(::testing::Message() << s.m << "x" << s.n << "x" << s.k);
    const Buf a = random_buf(s.m * s.k, 0, -1, 1, 7), b = random_buf(s.k * s.n, 0, -1, 1, 8);
    Buf by_blas(s.m * s.n), by_onednn(s.m * s.n), by_shape(s.m * s.n);
    set_gemm_backend(GemmBackend::kBlas);
    gemm(false, false, s.m, s.n, s.k, a.data(), b.data(), by_blas.data(), 0.0f);
    set_gemm_backend(GemmBackend::kOnednn);
    gemm(false, false, s.m, s.n, s.k, a.data(), b.data(), by_onednn.data(), 0.0f);
    set_gemm_backend(GemmBackend::kByShape);
    gemm(false, false, s.m, s.n, s.k, a.data(), b.data(), by_shape.data(), 0.0f);
    const Buf& want = s.onednn ? by_onednn : by_blas;
    EXPECT_EQ(std::memcmp(want.data(), by_shape.data(), want.size() * sizeof(float)), 0);
    any_differs |= std::memcmp(by_blas.data(), by_onednn.data(), by_blas.size() * sizeof(float)) != 0;
  }
  EXPECT_TRUE(any_differs) << "the two libraries gave the same bits everywhere; the test cannot tell them apart";
  set_gemm_backend(saved);
  set_num_threads(saved_threads);
  blas_set_num_threads(1);  // must not throw or crash
}


// The benchmark counters: off by default; on, they count the calls made outside parallel regions
// with 2 m n k operations each (batched products through their per-matrix calls) and some time,
// and not the calls made inside a parallel region; turning them on again starts from zero.
TEST(KernelsGemm, CountersCountTopLevelCalls) {
  const Buf a = random_buf(64 * 48, 0, -1, 1, 3), b = random_buf(48 * 32, 0, -1, 1, 4);
  Buf c(64 * 32);
  gemm(false, false, 64, 32, 48, a.data(), b.data(), c.data(), 0.0f);
  EXPECT_EQ(gemm_counters().calls, 0);  // never turned on in this process
  gemm_count(true);
  gemm(false, false, 64, 32, 48, a.data(), b.data(), c.data(), 0.0f);
  gemm(true, false, 48, 32, 64, b.data(), b.data(), c.data(), 0.0f);  // C: 48 x 32 of the 64 x 32
  GemmCounters k = gemm_counters();
  EXPECT_EQ(k.calls, 2);
  EXPECT_EQ(k.flops, 2.0 * 64 * 32 * 48 + 2.0 * 48 * 32 * 64);
  EXPECT_GT(k.seconds, 0.0);
  const int saved = num_threads();
  set_num_threads(2);
  parallel_for(4, 1, [&](int64_t, int64_t) {
    Buf local(64 * 32);
    gemm(false, false, 64, 32, 48, a.data(), b.data(), local.data(), 0.0f);
  });
  set_num_threads(saved);
  EXPECT_EQ(gemm_counters().calls, 2);  // inside the region: not counted
  gemm_count(false);
  gemm(false, false, 64, 32, 48, a.data(), b.data(), c.data(), 0.0f);
  EXPECT_EQ(gemm_counters().calls, 2);  // off: unchanged
  gemm_count(true);
  k = gemm_counters();
  EXPECT_EQ(k.calls, 0);
  EXPECT_EQ(k.flops, 0.0);
  gemm_count(false);
}

}  // namespace
}  // namespace nd::kernels
