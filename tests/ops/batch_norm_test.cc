// batch_norm op: forward, running statistics and gradients against the formulas in double (training
// and eval mode), and bit-identical results at any thread count.
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "nd/nd.h"
#include "nd/ops/batch_norm.h"

namespace nd {
namespace {

struct BnRun {
  std::vector<float> y, dx, dgamma, dbeta, running_mean, running_var;
};

// y = batch_norm(x [2, R / 2, C]) and the gradients of sum(y * w).
BnRun run(int64_t R, int64_t C, bool training, int threads) {
  set_num_threads(threads);
  Rng rng(3);
  std::vector<float> x(R * C), w(R * C), gamma(C), beta(C);
  for (int64_t k = 0; k < R * C; ++k) x[k] = rng.normal() * (1.0f + static_cast<float>(k % C)) + static_cast<float>(k % 7);
  for (float& v : w) v = rng.uniform(-1.0f, 1.0f);
  for (float& v : gamma) v = rng.uniform(0.5f, 1.5f);
  for (float& v : beta) v = rng.uniform(-0.5f, 0.5f);
  BnRun out;
  out.running_mean.assign(C, 0.0f);
  out.running_var.assign(C, 1.0f);
  for (int64_t c = 0; c < C; ++c) out.running_mean[c] = 0.1f * static_cast<float>(c % 5), out.running_var[c] = 1.0f + 0.2f * static_cast<float>(c % 3);
  Graph g;
  Var xv = g.input(Tensor(x.data(), Shape{2, R / 2, C}), true);
  Var gv = g.input(Tensor(gamma.data(), Shape{C}), true), bv = g.input(Tensor(beta.data(), Shape{C}), true);
  Var y = ops::batch_norm(xv, gv, bv, {out.running_mean.data(), out.running_var.data(), 0.1f, 1e-5f, training});
  g.backward(ops::sum_all(ops::mul(y, g.input(Tensor(w.data(), Shape{2, R / 2, C})))));
  out.y = y.value().to_vector();
  out.dx = xv.grad().to_vector();
  out.dgamma = gv.grad().to_vector();
  out.dbeta = bv.grad().to_vector();
  // The formulas in double, checked here so that each run is compared with them.
  for (int64_t c = 0; c < C; ++c) {
    const double rm0 = 0.1 * static_cast<double>(c % 5), rv0 = 1.0 + 0.2 * static_cast<double>(c % 3);
    double mu = 0.0, var = 0.0;
    for (int64_t r = 0; r < R; ++r) mu += x[r * C + c];
    mu /= static_cast<double>(R);
    for (int64_t r = 0; r < R; ++r) var += (x[r * C + c] - mu) * (x[r * C + c] - mu);
    const double unbiased = var / static_cast<double>(R - 1);
    var /= static_cast<double>(R);
    const double m = training ? mu : rm0, rs = 1.0 / std::sqrt((training ? var : rv0) + 1e-5);
    double sw = 0.0, swx = 0.0, abs_sw = 0.0, abs_swx = 0.0;  // sums and the sums of their terms' sizes
    for (int64_t r = 0; r < R; ++r) {
      const double xhat = (x[r * C + c] - m) * rs;
      EXPECT_NEAR(out.y[r * C + c], xhat * gamma[c] + beta[c], 1e-5 * (1.0 + std::fabs(xhat))) << r << ", " << c;
      sw += w[r * C + c];
      swx += w[r * C + c] * xhat;
      abs_sw += std::fabs(w[r * C + c]);
      abs_swx += std::fabs(w[r * C + c] * xhat);
    }
    // Float sums (in 64-row blocks) keep the error a small multiple of eps * sum of |terms|.
    EXPECT_NEAR(out.dbeta[c], sw, 1e-6 * (1.0 + abs_sw)) << c;
    EXPECT_NEAR(out.dgamma[c], swx, 1e-6 * (1.0 + abs_swx)) << c;
    for (int64_t r = 0; r < R; ++r) {
      const double xhat = (x[r * C + c] - m) * rs;
      const double dx = gamma[c] * rs * (training ? w[r * C + c] - sw / R - xhat * swx / R : w[r * C + c]);
      EXPECT_NEAR(out.dx[r * C + c], dx, 1e-5 * (1.0 + std::fabs(dx))) << r << ", " << c;
    }
    const double want_rm = training ? 0.9 * rm0 + 0.1 * mu : rm0, want_rv = training ? 0.9 * rv0 + 0.1 * unbiased : rv0;
    EXPECT_NEAR(out.running_mean[c], want_rm, 1e-6 * (1.0 + std::fabs(want_rm))) << c;
    EXPECT_NEAR(out.running_var[c], want_rv, 1e-6 * (1.0 + std::fabs(want_rv))) << c;
  }
  return out;
}

TEST(OpsBatchNorm, MatchesFormulasTrainingAndEval) {
  const int prev = num_threads();
  for (bool training : {true, false})
    for (int64_t C : {1, 5, 37}) {
      SCOPED_TRACE(::testing::Message() << "training=" << training << " C=" << C);
      run(150, C, training, 1);
    }
  set_num_threads(prev);
}

TEST(OpsBatchNorm, SameBitsAtAnyThreadCount) {
  // 2048 rows x 70 channels: five channel groups, enough work to split over threads.
  const int prev = num_threads();
  for (bool training : {true, false}) {
    const BnRun one = run(2048, 70, training, 1);
    for (int threads : {2, 3}) {
      const BnRun r = run(2048, 70, training, threads);
      EXPECT_EQ(r.y, one.y) << threads << " threads";
      EXPECT_EQ(r.dx, one.dx) << threads << " threads";
      EXPECT_EQ(r.dgamma, one.dgamma) << threads << " threads";
      EXPECT_EQ(r.dbeta, one.dbeta) << threads << " threads";
      EXPECT_EQ(r.running_mean, one.running_mean) << threads << " threads";
      EXPECT_EQ(r.running_var, one.running_var) << threads << " threads";
    }
  }
  set_num_threads(prev);
}

}  // namespace
}  // namespace nd
