// Reductions: every ISA against the double reference; NaN propagation; middle-axis reductions.
#include "nd/kernels/reduce.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "kernel_test_util.h"
#include "kernels/ref/ref.h"
#include "nd/core/parallel.h"

namespace nd::kernels {
namespace {

using testing::all_close;
using testing::Buf;
using testing::close;
using testing::for_each_isa;
using testing::kOffsets;
using testing::kSizes;
using testing::random_buf;

// Both paths sum in double: the results may differ only by the final float rounding (and by
// summation order in double, far below that).
constexpr double kRtol = 2e-7, kAtol = 1e-12;

TEST(KernelsReduce, ContiguousMatchReference) {
  for (int64_t n : kSizes) {
    for (int64_t off : kOffsets) {
      SCOPED_TRACE(::testing::Message() << "n=" << n << " off=" << off);
      const Buf a = random_buf(n, off, -4, 4, 300 + n), b = random_buf(n, (off + 1) % 4, -4, 4, 400 + n);
      const float s = ref::sum(a.data(), n), mx = ref::max(a.data(), n), mn = ref::min(a.data(), n);
      const float dt = ref::dot(a.data(), b.data(), n), sq = ref::sumsq(a.data(), n);
      for_each_isa([&] {
        EXPECT_TRUE(close(s, sum(a.data(), n), kAtol, kRtol));
        EXPECT_EQ(mx, max(a.data(), n));
        EXPECT_EQ(mn, min(a.data(), n));
        EXPECT_TRUE(close(dt, dot(a.data(), b.data(), n), kAtol, kRtol));
        EXPECT_TRUE(close(sq, sumsq(a.data(), n), kAtol, kRtol));
      });
    }
  }
}

TEST(KernelsReduce, EmptyGivesIdentity) {
  const float x = 1.0f;
  for_each_isa([&] {
    EXPECT_EQ(sum(&x, 0), 0.0f);
    EXPECT_EQ(max(&x, 0), -std::numeric_limits<float>::infinity());
    EXPECT_EQ(min(&x, 0), std::numeric_limits<float>::infinity());
  });
}

TEST(KernelsReduce, MaxMinPropagateNaN) {
  for (int64_t n : {1, 5, 16, 40, 100}) {
    for (int64_t pos : {int64_t{0}, n / 2, n - 1}) {
      Buf x = random_buf(n, 0, -1, 1, 7);
      x[pos] = std::numeric_limits<float>::quiet_NaN();
      for_each_isa([&] {
        EXPECT_TRUE(std::isnan(max(x.data(), n))) << "n=" << n << " pos=" << pos;
        EXPECT_TRUE(std::isnan(min(x.data(), n))) << "n=" << n << " pos=" << pos;
      });
    }
  }
}

TEST(KernelsReduce, MiddleAxisMatchesReference) {
  const int64_t shapes[][3] = {{1, 1, 1},  {3, 5, 1},  {2, 7, 3},   {4, 3, 16}, {2, 9, 33},
                               {1, 50, 70}, {3, 0, 5},  {5, 17, 129}, {2, 1, 64}, {1, 300, 2},
                               {2, 0, 70},  {1, 3, 2100}, {2, 40, 2048}};
  for (const auto& s : shapes) {
    const int64_t outer = s[0], r = s[1], inner = s[2];
    SCOPED_TRACE(::testing::Message() << "outer=" << outer << " r=" << r << " inner=" << inner);
    Buf x = random_buf(outer * r * inner, 1, -3, 3, 500 + r);
    if (outer * r * inner > 10) x[7] = std::numeric_limits<float>::quiet_NaN();  // one NaN column
    Buf ws(outer * inner), wmax(outer * inner), wmin(outer * inner);
    ref::reduce_sum(x.data(), ws.data(), outer, r, inner);
    ref::reduce_max(x.data(), wmax.data(), outer, r, inner);
    ref::reduce_min(x.data(), wmin.data(), outer, r, inner);
    for_each_isa([&] {
      Buf gs(outer * inner, 2), gmax(outer * inner, 1), gmin(outer * inner, 3);
      reduce_sum(x.data(), gs.data(), outer, r, inner);
      reduce_max(x.data(), gmax.data(), outer, r, inner);
      reduce_min(x.data(), gmin.data(), outer, r, inner);
      EXPECT_TRUE(all_close(ws, gs, 1e-6, kRtol));
      EXPECT_TRUE(all_close(wmax, gmax, 0, 0));
      EXPECT_TRUE(all_close(wmin, gmin, 0, 0));
    });
  }
}

// Large middle-axis sums (bias gradients) split their columns over the threads: the same bits at
// any thread count (each column adds its rows in order), a ragged last block, several outer rows.
TEST(KernelsReduce, LargeMiddleAxisSumSameBitsAtAnyThreadCount) {
  const int64_t shapes[][3] = {{1, 3000, 130}, {2, 600, 257}, {1, 2048, 384}};
  const int saved = num_threads();
  for (const auto& s : shapes) {
    const int64_t outer = s[0], r = s[1], inner = s[2];
    SCOPED_TRACE(::testing::Message() << "outer=" << outer << " r=" << r << " inner=" << inner);
    const Buf x = random_buf(outer * r * inner, 1, -3, 3, 77 + inner);
    Buf want(outer * inner);
    ref::reduce_sum(x.data(), want.data(), outer, r, inner);
    for_each_isa([&] {
      set_num_threads(1);
      Buf one(outer * inner, 2);
      reduce_sum(x.data(), one.data(), outer, r, inner);
      set_num_threads(3);
      Buf three(outer * inner, 3);
      reduce_sum(x.data(), three.data(), outer, r, inner);
      EXPECT_TRUE(all_close(want, one, 1e-6, kRtol));
      EXPECT_TRUE(all_close(one, three, 0, 0));
    });
  }
  set_num_threads(saved);
}

TEST(KernelsReduce, ReferenceSanity) {
  const float x[] = {1e8f, 1.0f, -1e8f, 1.0f};
  EXPECT_EQ(ref::sum(x, 4), 2.0f);  // double accumulation survives the cancellation
  const float y[] = {1, 2, 3, 4, 5, 6};  // [outer=1, r=2, inner=3]
  float out[3];
  ref::reduce_sum(y, out, 1, 2, 3);
  EXPECT_EQ(out[0], 5.0f);
  EXPECT_EQ(out[2], 9.0f);
  ref::reduce_max(y, out, 2, 3, 1);
  EXPECT_EQ(out[0], 3.0f);
  EXPECT_EQ(out[1], 6.0f);
  EXPECT_EQ(ref::dot(y, y, 3), 14.0f);
}

}  // namespace
}  // namespace nd::kernels
