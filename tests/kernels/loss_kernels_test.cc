// Loss kernels: every ISA against the double reference, hand values, and the reference gradient
// against finite differences.
#include "nd/kernels/loss_kernels.h"

#include <gtest/gtest.h>

#include <cmath>

#include "kernel_test_util.h"
#include "kernels/ref/ref.h"

namespace nd::kernels {
namespace {

using testing::all_close;
using testing::Buf;
using testing::close;
using testing::for_each_isa;
using testing::kOffsets;
using testing::kSizes;
using testing::random_buf;

const PointLoss kKinds[] = {PointLoss::mae, PointLoss::mse, PointLoss::mape, PointLoss::smape, PointLoss::huber};

// Inputs with exact ties (y == yhat), zeros in y and both-zero pairs, to hit every branch.
void make_inputs(int64_t n, int64_t off, Buf& y, Buf& yh, Buf& w) {
  y = random_buf(n, off, -3, 3, 1100 + n);
  yh = random_buf(n, (off + 1) % 4, -3, 3, 1200 + n);
  w = random_buf(n, 0, 0, 2, 1300 + n);
  for (int64_t i = 0; i < n; i += 6) yh[i] = y[i];
  for (int64_t i = 3; i < n; i += 10) y[i] = 0.0f;
  for (int64_t i = 5; i < n; i += 14) y[i] = yh[i] = 0.0f;
}

TEST(KernelsLoss, PointLossesMatchReference) {
  for (PointLoss k : kKinds) {
    for (int64_t n : kSizes) {
      for (int64_t off : kOffsets) {
        for (bool weighted : {true, false}) {
          SCOPED_TRACE(::testing::Message() << "kind=" << static_cast<int>(k) << " n=" << n << " off=" << off
                                            << " weighted=" << weighted);
          Buf y(0), yh(0), w(0);
          make_inputs(n, off, y, yh, w);
          const float* wp = weighted ? w.data() : nullptr;
          const Buf g0 = random_buf(n, 0, -1, 1, 1400 + n);
          Buf g = g0;
          const double want = ref::point_loss_sum(k, y.data(), yh.data(), wp, n, 1.5f);
          ref::point_loss_grad(k, y.data(), yh.data(), wp, n, 1.5f, 0.125f, g.data());
          double mag = 0.0;  // sum of |terms|: the scale of the rounding in a float-term sum
          for (int64_t i = 0; i < n; ++i) {
            const float one = 1.0f;
            mag += std::fabs(ref::point_loss_sum(k, &y[i], &yh[i], wp ? &w[i] : &one, 1, 1.5f));
          }
          for_each_isa([&] {
            EXPECT_TRUE(close(want, point_loss_sum(k, y.data(), yh.data(), wp, n, 1.5f), 1e-6 * mag + 1e-12, 0));
            Buf got = testing::copy_buf(g0, off);
            point_loss_grad(k, y.data(), yh.data(), wp, n, 1.5f, 0.125f, got.data());
            EXPECT_TRUE(all_close(g, got, 1e-6, 1e-5));
          });
        }
      }
    }
  }
}

TEST(KernelsLoss, QuantileLossMatchesReference) {
  for (int64_t nq : {1, 3, 7, 9, 16, 21}) {
    for (int64_t n : {0, 1, 5, 33, 200}) {
      SCOPED_TRACE(::testing::Message() << "nq=" << nq << " n=" << n);
      Buf q(nq);
      for (int64_t j = 0; j < nq; ++j) q[j] = (j + 0.5f) / static_cast<float>(nq);
      const Buf y = random_buf(n, 1, -3, 3, 1500 + n), w = random_buf(n, 0, 0, 2, 1600 + n);
      Buf yh = random_buf(n * nq, 2, -3, 3, 1700 + n);
      for (int64_t i = 0; i < n; i += 4) yh[i * nq] = y[i];  // ties
      const Buf g0 = random_buf(n * nq, 0, -1, 1, 1800 + n);
      Buf g = g0;
      const double want = ref::quantile_loss_sum(y.data(), yh.data(), w.data(), q.data(), n, nq);
      ref::quantile_loss_grad(y.data(), yh.data(), w.data(), q.data(), n, nq, 0.5f, g.data());
      const double want_nw = ref::quantile_loss_sum(y.data(), yh.data(), nullptr, q.data(), n, nq);
      for_each_isa([&] {
        EXPECT_TRUE(close(want, quantile_loss_sum(y.data(), yh.data(), w.data(), q.data(), n, nq), 1e-9, 1e-6));
        EXPECT_TRUE(close(want_nw, quantile_loss_sum(y.data(), yh.data(), nullptr, q.data(), n, nq), 1e-9, 1e-6));
        Buf got = testing::copy_buf(g0, 3);
        quantile_loss_grad(y.data(), yh.data(), w.data(), q.data(), n, nq, 0.5f, got.data());
        EXPECT_TRUE(all_close(g, got, 1e-6, 1e-5));
      });
    }
  }
}

TEST(KernelsLoss, HandValues) {
  const float y[] = {1.0f, -2.0f, 0.0f, 4.0f}, yh[] = {1.5f, -1.0f, 1.0f, 0.0f}, w[] = {1, 2, 1, 0.5f};
  for_each_isa([&] {
    EXPECT_DOUBLE_EQ(point_loss_sum(PointLoss::mae, y, yh, w, 4, 1), 0.5 + 2 * 1 + 1 + 0.5 * 4);
    EXPECT_DOUBLE_EQ(point_loss_sum(PointLoss::mse, y, yh, w, 4, 1), 0.25 + 2 * 1 + 1 + 0.5 * 16);
    EXPECT_NEAR(point_loss_sum(PointLoss::mape, y, yh, nullptr, 4, 1), 0.5 + 0.5 + 0 + 1, 1e-7);  // y = 0 skipped
    EXPECT_NEAR(point_loss_sum(PointLoss::smape, y, yh, nullptr, 4, 1), 0.5 / 2.5 + 1.0 / 3 + 1 + 1, 1e-7);
    // Huber, delta 1: 0.5 * 0.25; |e| = 1 is not < delta: 1 * (1 - 0.5); 0.5; 0.5 * (4 - 0.5)
    EXPECT_NEAR(point_loss_sum(PointLoss::huber, y, yh, w, 4, 1), 0.125 + 2 * 0.5 + 0.5 + 0.5 * 3.5, 1e-7);
    // Pinball, q = 0.1 and 0.9 at one point: e = 1 - 0.5 = 0.5 -> 0.05 + 0.45
    const float q[] = {0.1f, 0.9f}, yq[] = {1.0f}, yhq[] = {0.5f, 0.5f};
    EXPECT_NEAR(quantile_loss_sum(yq, yhq, nullptr, q, 1, 2), 0.5, 1e-7);
    float g[2] = {0, 0};
    quantile_loss_grad(yq, yhq, nullptr, q, 1, 2, 1.0f, g);
    EXPECT_FLOAT_EQ(g[0], -0.1f);
    EXPECT_FLOAT_EQ(g[1], -0.9f);
  });
}

TEST(KernelsLoss, ReferenceGradientMatchesFiniteDifference) {
  const float y[] = {1.0f, -2.0f, 0.5f, 3.0f}, w[] = {1.0f, 0.5f, 2.0f, 1.5f};
  const float yh0[] = {1.7f, -1.2f, -0.4f, 0.2f};  // away from the kinks
  for (PointLoss k : kKinds) {
    float g[4] = {0, 0, 0, 0};
    ref::point_loss_grad(k, y, yh0, w, 4, 1.0f, 1.0f, g);
    for (int i = 0; i < 4; ++i) {
      float p[4], m[4];
      for (int j = 0; j < 4; ++j) p[j] = m[j] = yh0[j];
      const float h = 1e-3f;
      p[i] += h, m[i] -= h;
      const double fd = (ref::point_loss_sum(k, y, p, w, 4, 1.0f) - ref::point_loss_sum(k, y, m, w, 4, 1.0f)) /
                        (static_cast<double>(p[i]) - m[i]);
      EXPECT_NEAR(g[i], fd, 1e-3) << "kind=" << static_cast<int>(k) << " i=" << i;
    }
  }
}

}  // namespace
}  // namespace nd::kernels
