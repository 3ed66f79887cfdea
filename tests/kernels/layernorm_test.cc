// Layer norm: every ISA against the double reference (with and without affine parameters, large
// row offsets); the reference against finite differences.
#include "nd/kernels/layernorm.h"

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

const int64_t kShapes[][2] = {{1, 1}, {3, 7}, {2, 16}, {5, 33}, {4, 100}, {3, 512}, {2, 1000}, {0, 8}, {6, 17}};

TEST(KernelsLayerNorm, MatchesReference) {
  for (const auto& s : kShapes) {
    for (int affine = 0; affine < 4; ++affine) {
      const int64_t rows = s[0], d = s[1], n = rows * d;
      const bool has_gamma = affine & 1, has_beta = affine & 2;
      SCOPED_TRACE(::testing::Message() << "rows=" << rows << " d=" << d << " gamma=" << has_gamma
                                        << " beta=" << has_beta);
      Buf x = random_buf(n, 1, -2, 2, 800 + n), dy = random_buf(n, 0, -1, 1, 900 + n);
      if (rows > 1)
        for (int64_t j = 0; j < d; ++j) x[d + j] += 300.0f;  // a row far from zero
      const Buf gamma = random_buf(d, 0, 0.5f, 1.5f, 11), beta = random_buf(d, 0, -0.5f, 0.5f, 12);
      const float* g = has_gamma ? gamma.data() : nullptr;
      const float* b = has_beta ? beta.data() : nullptr;
      const Buf dg0 = random_buf(d, 0, -0.1f, 0.1f, 13), db0 = random_buf(d, 0, -0.1f, 0.1f, 14);
      Buf y(n), mean(rows), rstd(rows), dx(n), dg = dg0, db = db0;
      ref::layer_norm_forward(x.data(), g, b, y.data(), mean.data(), rstd.data(), rows, d, 1e-5f);
      ref::layer_norm_backward(x.data(), dy.data(), g, mean.data(), rstd.data(), dx.data(), dg.data(), db.data(), rows,
                               d);
      for_each_isa([&] {
        Buf gy(n, 3), gmean(rows), grstd(rows), gdx(n, 1), gdg = testing::copy_buf(dg0, 2), gdb = db0;
        layer_norm_forward(x.data(), g, b, gy.data(), gmean.data(), grstd.data(), rows, d, 1e-5f);
        layer_norm_backward(x.data(), dy.data(), g, mean.data(), rstd.data(), gdx.data(), gdg.data(), gdb.data(), rows,
                            d);
        EXPECT_TRUE(all_close(y, gy, 1e-5, 1e-5));
        EXPECT_TRUE(all_close(mean, gmean, 1e-6, 1e-6));
        EXPECT_TRUE(all_close(rstd, grstd, 0, 1e-5));
        EXPECT_TRUE(all_close(dx, gdx, 1e-5, 1e-5));
        EXPECT_TRUE(all_close(dg, gdg, 1e-5, 1e-5));
        EXPECT_TRUE(all_close(db, gdb, 1e-5, 1e-5));
      });
    }
  }
}

TEST(KernelsLayerNorm, OptionalOutputs) {
  const int64_t rows = 3, d = 40;
  const Buf x = random_buf(rows * d, 0, -1, 1, 1), dy = random_buf(rows * d, 0, -1, 1, 2);
  Buf want(rows * d), mean(rows), rstd(rows), want_dx(rows * d), dg(d), db(d);
  ref::layer_norm_forward(x.data(), nullptr, nullptr, want.data(), mean.data(), rstd.data(), rows, d, 1e-5f);
  ref::layer_norm_backward(x.data(), dy.data(), nullptr, mean.data(), rstd.data(), want_dx.data(), nullptr, nullptr,
                           rows, d);
  for_each_isa([&] {
    Buf y(rows * d), dx(rows * d), dg2(d), db2(d);
    layer_norm_forward(x.data(), nullptr, nullptr, y.data(), nullptr, nullptr, rows, d, 1e-5f);  // inference
    EXPECT_TRUE(all_close(want, y, 1e-5, 1e-5));
    layer_norm_backward(x.data(), dy.data(), nullptr, mean.data(), rstd.data(), dx.data(), nullptr, nullptr, rows, d);
    EXPECT_TRUE(all_close(want_dx, dx, 1e-5, 1e-5));
    layer_norm_backward(x.data(), dy.data(), nullptr, mean.data(), rstd.data(), nullptr, dg2.data(), db2.data(), rows,
                        d);  // parameter gradients only
    EXPECT_NE(db2[0], 0.0f);
  });
}

// Reference backward against a central difference of L = sum(dy * y) w.r.t. x, gamma and beta.
TEST(KernelsLayerNorm, ReferenceBackwardMatchesFiniteDifference) {
  const int64_t rows = 2, d = 6;
  const Buf x = random_buf(rows * d, 0, -2, 2, 21), dy = random_buf(rows * d, 0, -1, 1, 22);
  const Buf gamma = random_buf(d, 0, 0.5f, 1.5f, 23), beta = random_buf(d, 0, -1, 1, 24);
  const auto loss = [&](const std::vector<double>& xv, const std::vector<double>& gv, const std::vector<double>& bv) {
    double l = 0.0;
    for (int64_t r = 0; r < rows; ++r) {
      double mu = 0, var = 0;
      for (int64_t j = 0; j < d; ++j) mu += xv[r * d + j] / d;
      for (int64_t j = 0; j < d; ++j) var += (xv[r * d + j] - mu) * (xv[r * d + j] - mu) / d;
      for (int64_t j = 0; j < d; ++j)
        l += dy[r * d + j] * ((xv[r * d + j] - mu) / std::sqrt(var + 1e-5) * gv[j] + bv[j]);
    }
    return l;
  };
  std::vector<double> xv(x.data(), x.data() + rows * d), gv(gamma.data(), gamma.data() + d),
      bv(beta.data(), beta.data() + d);
  Buf y(rows * d), mean(rows), rstd(rows), dx(rows * d), dg(d), db(d);
  ref::layer_norm_forward(x.data(), gamma.data(), beta.data(), y.data(), mean.data(), rstd.data(), rows, d, 1e-5f);
  ref::layer_norm_backward(x.data(), dy.data(), gamma.data(), mean.data(), rstd.data(), dx.data(), dg.data(), db.data(),
                           rows, d);
  const double h = 1e-5;
  for (int64_t i = 0; i < rows * d; ++i) {
    auto p = xv, m = xv;
    p[i] += h, m[i] -= h;
    EXPECT_NEAR(dx[i], (loss(p, gv, bv) - loss(m, gv, bv)) / (2 * h), 1e-4) << "dx " << i;
  }
  for (int64_t j = 0; j < d; ++j) {
    auto p = gv, m = gv;
    p[j] += h, m[j] -= h;
    EXPECT_NEAR(dg[j], (loss(xv, p, bv) - loss(xv, m, bv)) / (2 * h), 1e-4) << "dgamma " << j;
    p = bv, m = bv;
    p[j] += h, m[j] -= h;
    EXPECT_NEAR(db[j], (loss(xv, gv, p) - loss(xv, gv, m)) / (2 * h), 1e-4) << "dbeta " << j;
  }
}

}  // namespace
}  // namespace nd::kernels
