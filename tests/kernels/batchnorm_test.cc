// Batch norm (channel-last): every ISA against the double reference at awkward channel counts, row
// counts around the block size, rows wider than the channels handled (ld > c), large channel
// offsets; channel slices give bit-identical results; the reference against finite differences.
#include "nd/kernels/batchnorm.h"

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "kernel_test_util.h"
#include "kernels/ref/ref.h"

namespace nd::kernels {
namespace {

using testing::all_close;
using testing::Buf;
using testing::for_each_isa;
using testing::random_buf;

struct Case {
  int64_t rows, c, ld;
};
// Rows around the 64-row block, channels around the vector widths and past the 512-channel chunk.
const Case kCases[] = {{2, 1, 1},    {3, 5, 5},     {7, 16, 16},   {65, 17, 17},   {130, 37, 37}, {64, 33, 33},
                       {200, 128, 128}, {129, 600, 600}, {70, 20, 37}, {5, 3, 40},     {1, 8, 8},     {0, 4, 4}};

// x with a far-off channel and a channel of tiny spread around a large value (cancellation tests).
Buf make_x(const Case& s, uint64_t seed) {
  Buf x = random_buf(s.rows * s.ld, 1, -2, 2, seed);
  for (int64_t r = 0; r < s.rows; ++r) {
    x[r * s.ld] += 300.0f;
    if (s.c > 2) x[r * s.ld + 2] = 1000.0f + 0.01f * x[r * s.ld + 2];
  }
  return x;
}

TEST(KernelsBatchNorm, MatchesReference) {
  for (const Case& s : kCases) {
    const int64_t n = s.rows * s.ld;
    SCOPED_TRACE(::testing::Message() << "rows=" << s.rows << " c=" << s.c << " ld=" << s.ld);
    const Buf x = make_x(s, 100 + n), dy = random_buf(n, 3, -1, 1, 200 + n);
    const Buf gamma = random_buf(s.c, 0, 0.5f, 1.5f, 11), beta = random_buf(s.c, 0, -0.5f, 0.5f, 12);
    Buf mean(s.c), var(s.c), rstd(s.c);
    ref::batch_norm_stats(x.data(), s.rows, s.c, s.ld, mean.data(), var.data());
    for (int64_t j = 0; j < s.c; ++j) rstd[j] = static_cast<float>(1.0 / std::sqrt(var[j] + 1e-5));
    for (int affine = 0; affine < 4; ++affine) {
      const float* g = affine & 1 ? gamma.data() : nullptr;
      const float* b = affine & 2 ? beta.data() : nullptr;
      SCOPED_TRACE(::testing::Message() << "gamma=" << (g != nullptr) << " beta=" << (b != nullptr));
      // Channels past c (when ld > c) must stay as they were: the outputs start filled with 7.
      Buf y(n, 2, 7.0f), sdy(s.c), sdyx(s.c), dx(n, 1, 7.0f), dx_eval(n, 1, 7.0f);
      ref::batch_norm_apply(x.data(), mean.data(), rstd.data(), g, b, y.data(), s.rows, s.c, s.ld);
      ref::batch_norm_backward_sums(x.data(), dy.data(), mean.data(), rstd.data(), sdy.data(), sdyx.data(), s.rows,
                                    s.c, s.ld);
      ref::batch_norm_backward_dx(x.data(), dy.data(), mean.data(), rstd.data(), g, sdy.data(), sdyx.data(), dx.data(),
                                  s.rows, s.c, s.ld, true);
      ref::batch_norm_backward_dx(nullptr, dy.data(), nullptr, rstd.data(), g, nullptr, nullptr, dx_eval.data(),
                                  s.rows, s.c, s.ld, false);
      for_each_isa([&] {
        Buf gmean(s.c, 1), gvar(s.c, 3), gy(n, 1, 7.0f), gsdy(s.c, 2), gsdyx(s.c), gdx(n, 3, 7.0f),
            gdx_eval(n, 0, 7.0f);
        batch_norm_stats(x.data(), s.rows, s.c, s.ld, gmean.data(), gvar.data());
        EXPECT_TRUE(all_close(mean, gmean, 1e-6, 1e-6));
        EXPECT_TRUE(all_close(var, gvar, 1e-9, 2e-5));
        // The remaining kernels get the reference statistics, so each is checked on its own.
        batch_norm_apply(x.data(), mean.data(), rstd.data(), g, b, gy.data(), s.rows, s.c, s.ld);
        EXPECT_TRUE(all_close(y, gy, 1e-5, 1e-5));
        batch_norm_backward_sums(x.data(), dy.data(), mean.data(), rstd.data(), gsdy.data(), gsdyx.data(), s.rows,
                                 s.c, s.ld);
        EXPECT_TRUE(all_close(sdy, gsdy, 1e-5, 1e-5));
        EXPECT_TRUE(all_close(sdyx, gsdyx, 1e-5, 1e-5));
        batch_norm_backward_dx(x.data(), dy.data(), mean.data(), rstd.data(), g, sdy.data(), sdyx.data(), gdx.data(),
                               s.rows, s.c, s.ld, true);
        EXPECT_TRUE(all_close(dx, gdx, 1e-5, 1e-5));
        batch_norm_backward_dx(nullptr, dy.data(), nullptr, rstd.data(), g, nullptr, nullptr, gdx_eval.data(), s.rows,
                               s.c, s.ld, false);
        EXPECT_TRUE(all_close(dx_eval, gdx_eval, 1e-6, 1e-6));
      });
    }
  }
}

// Long columns with a large offset and a small spread: the float block sums must not lose the
// variance (the naive E[x^2] - E[x]^2 in float would return noise or a negative number here).
TEST(KernelsBatchNorm, StatisticsStayAccurateOverLongOffsetColumns) {
  const int64_t rows = 20000, c = 3;
  Buf x = random_buf(rows * c, 0, -1, 1, 5);
  for (int64_t r = 0; r < rows; ++r) {
    x[r * c] = 1000.0f + 1e-3f * x[r * c];
    x[r * c + 1] = -5e4f + 0.5f * x[r * c + 1] + (r < rows / 2 ? 0.0f : 2.0f);  // a shift halfway down
  }
  Buf mean(c), var(c);
  ref::batch_norm_stats(x.data(), rows, c, c, mean.data(), var.data());
  for_each_isa([&] {
    Buf gmean(c), gvar(c);
    batch_norm_stats(x.data(), rows, c, c, gmean.data(), gvar.data());
    EXPECT_TRUE(all_close(mean, gmean, 1e-7, 1e-7));  // channel 2 is plain noise with a mean near 0
    EXPECT_TRUE(all_close(var, gvar, 0, 1e-5));
  });
}

// The op hands each thread a slice of channels: a channel's results must not depend on the slice.
TEST(KernelsBatchNorm, ChannelSlicesAreBitIdentical) {
  const int64_t rows = 150, c = 53;
  const int64_t cut[] = {0, 16, 48, c};
  const Buf x = random_buf(rows * c, 0, -3, 3, 7), dy = random_buf(rows * c, 0, -1, 1, 8);
  const Buf gamma = random_buf(c, 0, 0.5f, 1.5f, 9), beta = random_buf(c, 0, -1, 1, 10);
  for_each_isa([&] {
    Buf mean(c), var(c), rstd(c), y(rows * c), sdy(c), sdyx(c), dx(rows * c);
    Buf smean(c), svar(c), sy(rows * c), ssdy(c), ssdyx(c), sdx(rows * c);
    batch_norm_stats(x.data(), rows, c, c, mean.data(), var.data());
    for (int64_t j = 0; j < c; ++j) rstd[j] = 1.0f / std::sqrt(var[j] + 1e-5f);
    batch_norm_apply(x.data(), mean.data(), rstd.data(), gamma.data(), beta.data(), y.data(), rows, c, c);
    batch_norm_backward_sums(x.data(), dy.data(), mean.data(), rstd.data(), sdy.data(), sdyx.data(), rows, c, c);
    batch_norm_backward_dx(x.data(), dy.data(), mean.data(), rstd.data(), gamma.data(), sdy.data(), sdyx.data(),
                           dx.data(), rows, c, c, true);
    for (int k = 0; k < 3; ++k) {
      const int64_t c0 = cut[k], cn = cut[k + 1] - cut[k];
      batch_norm_stats(x.data() + c0, rows, cn, c, smean.data() + c0, svar.data() + c0);
      batch_norm_apply(x.data() + c0, mean.data() + c0, rstd.data() + c0, gamma.data() + c0, beta.data() + c0,
                       sy.data() + c0, rows, cn, c);
      batch_norm_backward_sums(x.data() + c0, dy.data() + c0, mean.data() + c0, rstd.data() + c0, ssdy.data() + c0,
                               ssdyx.data() + c0, rows, cn, c);
      batch_norm_backward_dx(x.data() + c0, dy.data() + c0, mean.data() + c0, rstd.data() + c0, gamma.data() + c0,
                             sdy.data() + c0, sdyx.data() + c0, sdx.data() + c0, rows, cn, c, true);
    }
    EXPECT_TRUE(all_close(mean, smean, 0, 0));
    EXPECT_TRUE(all_close(var, svar, 0, 0));
    EXPECT_TRUE(all_close(y, sy, 0, 0));
    EXPECT_TRUE(all_close(sdy, ssdy, 0, 0));
    EXPECT_TRUE(all_close(sdyx, ssdyx, 0, 0));
    EXPECT_TRUE(all_close(dx, sdx, 0, 0));
  });
}

// Reference backward against a central difference of L = sum(dy * y) w.r.t. x, gamma and beta,
// with y normalized by the batch statistics (training mode).
TEST(KernelsBatchNorm, ReferenceBackwardMatchesFiniteDifference) {
  const int64_t rows = 5, c = 3;
  const Buf x = random_buf(rows * c, 0, -2, 2, 31), dy = random_buf(rows * c, 0, -1, 1, 32);
  const Buf gamma = random_buf(c, 0, 0.5f, 1.5f, 33), beta = random_buf(c, 0, -1, 1, 34);
  const auto loss = [&](const std::vector<double>& xv, const std::vector<double>& gv, const std::vector<double>& bv) {
    double l = 0.0;
    for (int64_t j = 0; j < c; ++j) {
      double mu = 0, var = 0;
      for (int64_t r = 0; r < rows; ++r) mu += xv[r * c + j] / rows;
      for (int64_t r = 0; r < rows; ++r) var += (xv[r * c + j] - mu) * (xv[r * c + j] - mu) / rows;
      for (int64_t r = 0; r < rows; ++r)
        l += dy[r * c + j] * ((xv[r * c + j] - mu) / std::sqrt(var + 1e-5) * gv[j] + bv[j]);
    }
    return l;
  };
  std::vector<double> xv(x.data(), x.data() + rows * c), gv(gamma.data(), gamma.data() + c),
      bv(beta.data(), beta.data() + c);
  Buf mean(c), var(c), rstd(c), sdy(c), sdyx(c), dx(rows * c);
  ref::batch_norm_stats(x.data(), rows, c, c, mean.data(), var.data());
  for (int64_t j = 0; j < c; ++j) rstd[j] = static_cast<float>(1.0 / std::sqrt(var[j] + 1e-5));
  ref::batch_norm_backward_sums(x.data(), dy.data(), mean.data(), rstd.data(), sdy.data(), sdyx.data(), rows, c, c);
  ref::batch_norm_backward_dx(x.data(), dy.data(), mean.data(), rstd.data(), gamma.data(), sdy.data(), sdyx.data(),
                              dx.data(), rows, c, c, true);
  const double h = 1e-5;
  for (int64_t i = 0; i < rows * c; ++i) {
    auto p = xv, m = xv;
    p[i] += h, m[i] -= h;
    EXPECT_NEAR(dx[i], (loss(p, gv, bv) - loss(m, gv, bv)) / (2 * h), 1e-4) << "dx " << i;
  }
  for (int64_t j = 0; j < c; ++j) {
    auto p = gv, m = gv;
    p[j] += h, m[j] -= h;
    EXPECT_NEAR(sdyx[j], (loss(xv, p, bv) - loss(xv, m, bv)) / (2 * h), 1e-4) << "dgamma " << j;
    p = bv, m = bv;
    p[j] += h, m[j] -= h;
    EXPECT_NEAR(sdy[j], (loss(xv, gv, p) - loss(xv, gv, m)) / (2 * h), 1e-4) << "dbeta " << j;
  }
}

}  // namespace
}  // namespace nd::kernels
