// Shape / Tensor views, Arena reuse, Rng determinism, half-precision storage.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <cstring>
#include <cstdlib>
#include <vector>

#include <sys/resource.h>
#include <unistd.h>

#include "nd/core/arena.h"
#include "nd/core/parallel.h"
#include "nd/core/rng.h"
#include "nd/core/tensor.h"

namespace nd {
namespace {

TEST(Tensor, ViewsShareStorageAndCopyInLogicalOrder) {
  std::vector<float> v(24);
  for (int k = 0; k < 24; ++k) v[k] = static_cast<float>(k);
  Tensor t(v.data(), Shape{2, 3, 4});
  EXPECT_TRUE(t.is_contiguous());
  EXPECT_EQ(t.at({1, 2, 3}), 23.0f);
  Tensor p = t.permute({2, 0, 1});
  EXPECT_EQ(p.shape, (Shape{4, 2, 3}));
  EXPECT_FALSE(p.is_contiguous());
  EXPECT_EQ(p.at({3, 1, 2}), t.at({1, 2, 3}));
  std::vector<float> pv = p.to_vector();
  EXPECT_EQ(pv[0], 0.0f);
  EXPECT_EQ(pv[1], 4.0f);  // p[0, 0, 1] = t[0, 1, 0]
  Tensor s = t.slice(2, 1, 3);
  EXPECT_EQ(s.shape, (Shape{2, 3, 2}));
  EXPECT_EQ(s.at({0, 0, 0}), 1.0f);
  Tensor sel = t.select(1, 2);
  EXPECT_EQ(sel.shape, (Shape{2, 4}));
  EXPECT_EQ(sel.at({1, 0}), 20.0f);
  EXPECT_EQ(t.transpose(0, 2).shape, (Shape{4, 3, 2}));
  s.at({1, 2, 1}) = -1.0f;
  EXPECT_EQ(v[1 * 12 + 2 * 4 + 2], -1.0f);
}

// Large copies split over the threads: every view kind (contiguous, innermost runs of a head
// permute, a slice, a fully strided transpose) copies in logical order at 1, 2 and 3 threads,
// including run splits that start mid-way through the outer dimensions; empty views copy nothing.
TEST(Tensor, LargeCopiesInLogicalOrderAtAnyThreadCount) {
  const int64_t B = 11, L = 29, H = 16, D = 24;  // 122K floats: two tasks of 64K when contiguous
  std::vector<float> v(static_cast<size_t>(B * L * H * D));
  for (size_t k = 0; k < v.size(); ++k) v[k] = static_cast<float>(k);
  const Tensor t(v.data(), Shape{B, L, H, D});
  const Tensor views[] = {t, t.permute({0, 2, 1, 3}), t.slice(3, 5, 21), t.permute({3, 1, 2, 0}),
                          t.slice(1, 4, 4)};
  const int saved = num_threads();
  for (const Tensor& view : views) {
    std::vector<float> want;  // logical order through the strides, dimension by dimension
    const auto walk = [&](const auto& self, int d, int64_t off) -> void {
      if (d == view.rank()) {
        want.push_back(view.data[off]);
        return;
      }
      for (int64_t i = 0; i < view.shape[d]; ++i) self(self, d + 1, off + i * view.strides[d]);
    };
    walk(walk, 0, 0);
    for (int threads : {1, 2, 3}) {
      SCOPED_TRACE(::testing::Message() << view.shape.str() << " threads=" << threads);
      set_num_threads(threads);
      std::vector<float> got(want.size() + 1, -1.0f);
      copy_to_contiguous(view, got.data());
      EXPECT_EQ(std::vector<float>(got.begin(), got.end() - 1), want);
      EXPECT_EQ(got.back(), -1.0f);  // nothing written past the end
    }
  }
  set_num_threads(saved);
}

TEST(Tensor, BadViewsThrowWithShapes) {
  std::vector<float> v(6);
  Tensor t(v.data(), Shape{2, 3});
  try {
    t.reshape(Shape{4, 2});
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("[2, 3]"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("[4, 2]"), std::string::npos) << e.what();
  }
  EXPECT_THROW(t.slice(1, 2, 4), Error);
  EXPECT_THROW(t.permute({0, 0}), Error);
  EXPECT_THROW(t.transpose(0, 1).reshape(Shape{6}), Error);
  EXPECT_THROW(t.at({2, 0}), Error);
  EXPECT_THROW(Shape({1, 2, 3, 4, 5, 6, 7}), Error);
}

TEST(Arena, ReusesMemoryAfterReset) {
  Arena a(4096);
  float* p1 = a.alloc(100);
  for (int k = 0; k < 5; ++k) a.alloc(2000);  // spills into new blocks
  EXPECT_GT(a.capacity(), 4096u);
  EXPECT_EQ(reinterpret_cast<uintptr_t>(p1) % 64, 0u);
  a.reset();  // merges blocks: the same workload now fits in one
  const size_t cap = a.capacity();
  float* q1 = a.alloc(100);
  for (int k = 0; k < 5; ++k) a.alloc(2000);
  EXPECT_EQ(a.capacity(), cap);
  a.reset();
  EXPECT_EQ(a.alloc(100), q1);
}

// The merged block holds the step's peak, not the blocks' total capacity (doubling growth can
// hold ~2x the peak: a 12 GB step would have asked for one 25 GB block).
TEST(Arena, MergesToThePeakNotTheCapacity) {
  Arena a(4096);
  for (int k = 0; k < 6; ++k) a.alloc(3000);  // 12 KB live over blocks of 4, 8, 16 KB
  const size_t peak = a.peak();
  EXPECT_GE(a.capacity(), peak + 8192);
  a.reset();
  EXPECT_EQ(a.capacity(), peak);
  for (int k = 0; k < 6; ++k) a.alloc(3000);  // the same step fits the merged block
  EXPECT_EQ(a.capacity(), peak);
}

// Blocks of 4 MB or more start on a 2 MB boundary (so that transparent huge pages can back them)
// and hold what they are asked for; whether the kernel grants huge pages is its choice (printed).
TEST(Arena, LargeBlocksAreHugePageAligned) {
  Arena a(4096);
  const int64_t n = int64_t{5} << 20;  // 20 MB of floats: a new block
  float* p = a.alloc(n);
  EXPECT_EQ(reinterpret_cast<uintptr_t>(p) % (uintptr_t{2} << 20), 0u);
  EXPECT_GE(a.capacity(), static_cast<size_t>(n) * sizeof(float));
  for (int64_t k = 0; k < n; k += 1024) p[k] = static_cast<float>(k);
  for (int64_t k = 0; k < n; k += 1024) ASSERT_EQ(p[k], static_cast<float>(k));
  if (FILE* f = std::fopen("/proc/self/smaps_rollup", "r")) {
    char line[256];
    while (std::fgets(line, sizeof line, f))
      if (std::strncmp(line, "AnonHugePages:", 14) == 0) std::printf("  %s", line);
    std::fclose(f);
  }
  a.alloc(16);
  a.reset();
  a.alloc(16);  // the small first block again
  EXPECT_EQ(a.alloc(n), p);  // then the same place in the large one
}

// A step that outgrows the small blocks lives in one reservation: after reset the same step gets
// the same addresses (nothing merged, no memory touched twice), later growth extends it in place,
// and capacity counts the bytes ever handed out of it, not the address space reserved.
TEST(Arena, LargeStepsStayInOneReservation) {
  Arena a(4096);
  const int64_t big = int64_t{3} << 20;  // 12 MB of floats
  std::vector<float*> first;
  for (int k = 0; k < 4; ++k) first.push_back(a.alloc(big));
  const size_t cap = a.capacity();
  EXPECT_GE(cap, 4 * static_cast<size_t>(big) * sizeof(float));
  EXPECT_LT(cap, 5 * static_cast<size_t>(big) * sizeof(float));  // held, not reserved
  for (int round = 0; round < 3; ++round) {
    a.reset();
    for (int k = 0; k < 4; ++k) EXPECT_EQ(a.alloc(big), first[static_cast<size_t>(k)]) << "round " << round;
    EXPECT_EQ(a.capacity(), cap);
  }
  float* more = a.alloc(big);  // a bigger step: the next bytes of the same range
  EXPECT_EQ(more, first[3] + big);
  more[big - 1] = 1.0f;
  EXPECT_EQ(more[big - 1], 1.0f);
  EXPECT_EQ(a.capacity(), cap + static_cast<size_t>(big) * sizeof(float));
}

// Where the kernel refuses the reservation (here: an address-space limit a little above what the
// process already maps), a large step falls back to heap blocks merged on reset, and still works.
// In a child process: the limit must not reach the other tests. Not under ASan, whose allocator
// maps more address space as it goes.
#if !defined(__SANITIZE_ADDRESS__)
[[noreturn]] void ArenaFallbackChild() {
  long vm_pages = 0;
  if (FILE* f = std::fopen("/proc/self/statm", "r")) {
    if (std::fscanf(f, "%ld", &vm_pages) != 1) vm_pages = 0;
    std::fclose(f);
  }
  if (vm_pages <= 0) std::exit(2);
  const rlim_t limit =
      static_cast<rlim_t>(vm_pages) * static_cast<rlim_t>(sysconf(_SC_PAGESIZE)) + (rlim_t{1} << 30);
  const rlimit rl{limit, limit};
  if (setrlimit(RLIMIT_AS, &rl) != 0) std::exit(3);
  Arena a(4096);
  const int64_t big = int64_t{3} << 20;  // 12 MB of floats, four times: 48 MB < 1 GB
  for (int k = 0; k < 4; ++k) a.alloc(big)[big - 1] = 1.0f;
  a.reset();  // heap blocks: merged into one block of the step's peak
  if (a.capacity() != a.peak()) std::exit(4);
  float* p = a.alloc(big);
  for (int k = 1; k < 4; ++k) a.alloc(big);
  a.reset();
  std::exit(a.alloc(big) == p && a.capacity() == a.peak() ? 0 : 5);
}
#endif

TEST(Arena, FallsBackToHeapBlocksWithoutTheReservation) {
#if defined(__SANITIZE_ADDRESS__)
  GTEST_SKIP() << "address-space limits and ASan's shadow memory do not mix";
#else
  EXPECT_EXIT(ArenaFallbackChild(), ::testing::ExitedWithCode(0), "");
#endif
}

TEST(Rng, DeterministicAndWellDistributed) {
  Rng a(123), b(123), c(124);
  double s = 0.0, s2 = 0.0;
  bool differs = false;
  for (int k = 0; k < 20000; ++k) {
    const float x = a.normal();
    EXPECT_EQ(x, b.normal());
    differs |= x != c.normal();
    s += x;
    s2 += static_cast<double>(x) * x;
  }
  EXPECT_TRUE(differs);
  EXPECT_NEAR(s / 20000, 0.0, 0.03);
  EXPECT_NEAR(s2 / 20000, 1.0, 0.05);
  for (int k = 0; k < 1000; ++k) {
    const float u = a.uniform(2.0f, 3.0f);
    EXPECT_GE(u, 2.0f);
    EXPECT_LT(u, 3.0f);
  }
}

TEST(HalfBuffer, RoundTripsWithinHalfPrecision) {
  std::vector<float> x = {0.0f, 1.0f, -2.5f, 3.14159f, 1e-3f, 65504.0f, -1e-7f};
  for (DType t : {DType::bf16, DType::f16}) {
    HalfBuffer h(t, 0);
    h.from_f32(x.data(), static_cast<int64_t>(x.size()));
    std::vector<float> back(x.size());
    h.to_f32(back.data());
    const float rel = t == DType::bf16 ? 1.0f / 128 : 1.0f / 1024;
    for (size_t k = 0; k < x.size(); ++k) {
      if (t == DType::f16 && std::fabs(x[k]) < 6e-5f) {
        EXPECT_NEAR(back[k], x[k], 6e-8f) << dtype_name(t);  // subnormal range
      } else {
        EXPECT_NEAR(back[k], x[k], std::fabs(x[k]) * rel) << dtype_name(t) << " " << x[k];
      }
    }
  }
  EXPECT_THROW(HalfBuffer(DType::f32, 4), Error);
}

TEST(Parallel, CoversRangeOnceAndHonoursThreadCount) {
  const int prev = num_threads();
  for (int nt : {1, 2, 3}) {
    set_num_threads(nt);
    EXPECT_EQ(num_threads(), nt);
    std::vector<int> hits(1000, 0);
    parallel_for(1000, 10, [&](int64_t b, int64_t e) {
      for (int64_t k = b; k < e; ++k) hits[k]++;
    });
    for (int h : hits) ASSERT_EQ(h, 1);
  }
  EXPECT_THROW(set_num_threads(0), Error);
  set_num_threads(prev);
}

}  // namespace
}  // namespace nd
