// Softmax / log-softmax: every ISA against the double reference; rows sum to one; stability for
// large logits; NaN rows.
#include "nd/kernels/softmax.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "kernel_test_util.h"
#include "kernels/ref/ref.h"

namespace nd::kernels {
namespace {

using testing::all_close;
using testing::Buf;
using testing::for_each_isa;
using testing::random_buf;

const int64_t kShapes[][2] = {{1, 1}, {3, 7}, {2, 16}, {5, 33}, {4, 100}, {2, 1000}, {0, 5}, {3, 0}, {7, 17}};

TEST(KernelsSoftmax, MatchesReference) {
  for (const auto& s : kShapes) {
    for (int64_t off : {0, 1}) {
      const int64_t rows = s[0], d = s[1], n = rows * d;
      SCOPED_TRACE(::testing::Message() << "rows=" << rows << " d=" << d << " off=" << off);
      Buf x = random_buf(n, off, -10, 10, 600 + n), dy = random_buf(n, 0, -1, 1, 700 + n);
      if (rows > 1) {
        for (int64_t j = 0; j < d; ++j) x[d + j] += 1000.0f;  // a row of huge logits: needs the max shift
      }
      Buf y(n), dx(n), ly(n), ldx(n);
      ref::softmax_forward(x.data(), y.data(), rows, d);
      ref::softmax_backward(y.data(), dy.data(), dx.data(), rows, d);
      ref::log_softmax_forward(x.data(), ly.data(), rows, d);
      ref::log_softmax_backward(ly.data(), dy.data(), ldx.data(), rows, d);
      for_each_isa([&] {
        Buf gy(n, off), gdx(n, 2), gly(n, 3), gldx(n, off);
        softmax_forward(x.data(), gy.data(), rows, d);
        softmax_backward(y.data(), dy.data(), gdx.data(), rows, d);
        log_softmax_forward(x.data(), gly.data(), rows, d);
        log_softmax_backward(ly.data(), dy.data(), gldx.data(), rows, d);
        EXPECT_TRUE(all_close(y, gy, 1e-9, 2e-6));
        EXPECT_TRUE(all_close(dx, gdx, 1e-7, 1e-5));
        EXPECT_TRUE(all_close(ly, gly, 1e-6, 1e-6));
        EXPECT_TRUE(all_close(ldx, gldx, 1e-6, 1e-5));
      });
    }
  }
}

TEST(KernelsSoftmax, RowsSumToOneAndLogMatches) {
  const int64_t rows = 4, d = 57;
  const Buf x = random_buf(rows * d, 0, -20, 20, 5);
  for_each_isa([&] {
    Buf y(rows * d), ly(rows * d);
    softmax_forward(x.data(), y.data(), rows, d);
    log_softmax_forward(x.data(), ly.data(), rows, d);
    for (int64_t r = 0; r < rows; ++r) {
      double s = 0.0;
      for (int64_t j = 0; j < d; ++j) {
        s += y[r * d + j];
        EXPECT_NEAR(std::log(y[r * d + j]), ly[r * d + j], 1e-5 * (1 + std::fabs(ly[r * d + j])));
      }
      EXPECT_NEAR(s, 1.0, 1e-6);
    }
  });
}

TEST(KernelsSoftmax, NaNPoisonsOnlyItsRow) {
  const int64_t rows = 3, d = 20;
  Buf x = random_buf(rows * d, 0, -3, 3, 9);
  x[d + 5] = std::numeric_limits<float>::quiet_NaN();
  for_each_isa([&] {
    Buf y(rows * d), ly(rows * d);
    softmax_forward(x.data(), y.data(), rows, d);
    log_softmax_forward(x.data(), ly.data(), rows, d);
    for (int64_t j = 0; j < d; ++j) {
      EXPECT_FALSE(std::isnan(y[j]));
      EXPECT_TRUE(std::isnan(y[d + j]));
      EXPECT_TRUE(std::isnan(ly[d + j]));
      EXPECT_FALSE(std::isnan(y[2 * d + j]));
    }
  });
}

TEST(KernelsSoftmax, ReferenceKnownValues) {
  const float x[3] = {1.0f, 2.0f, 3.0f};
  float y[3], ly[3];
  ref::softmax_forward(x, y, 1, 3);
  ref::log_softmax_forward(x, ly, 1, 3);
  EXPECT_NEAR(y[0], 0.09003057317038046, 1e-8);
  EXPECT_NEAR(y[2], 0.6652409557748219, 1e-7);
  EXPECT_NEAR(ly[0], -2.4076059644443806, 1e-6);
  // Backward against the Jacobian: dx_i = sum_j y_j (delta_ij - y_i) dy_j.
  const float dy[3] = {0.5f, -1.0f, 2.0f};
  float dx[3];
  ref::softmax_backward(y, dy, dx, 1, 3);
  for (int i = 0; i < 3; ++i) {
    double want = 0.0;
    for (int j = 0; j < 3; ++j) want += (i == j ? y[i] * (1 - y[i]) : -y[i] * y[j]) * dy[j];
    EXPECT_NEAR(dx[i], want, 1e-6);
  }
}

}  // namespace
}  // namespace nd::kernels
