// Optimizer kernels: every ISA against the reference, and the reference against numbers computed
// by hand from torch.optim's update formulas.
#include "nd/kernels/optim_kernels.h"

#include <gtest/gtest.h>

#include <cmath>

#include "kernel_test_util.h"
#include "kernels/ref/ref.h"

namespace nd::kernels {
namespace {

using testing::all_close;
using testing::Buf;
using testing::for_each_isa;
using testing::kOffsets;
using testing::kSizes;
using testing::random_buf;

TEST(KernelsOptim, AdamMatchesReference) {
  for (bool decoupled : {false, true}) {
    for (float wd : {0.0f, 0.01f}) {
      for (float beta1 : {0.9f, 0.3f}) {  // both branches of torch's lerp
        for (int64_t n : kSizes) {
          for (int64_t off : kOffsets) {
            SCOPED_TRACE(::testing::Message() << "decoupled=" << decoupled << " wd=" << wd << " beta1=" << beta1
                                              << " n=" << n << " off=" << off);
            const Buf p0 = random_buf(n, off, -1, 1, 1900 + n), g = random_buf(n, 1, -1, 1, 2000 + n);
            const Buf m0 = random_buf(n, 2, -0.1f, 0.1f, 2100 + n), v0 = random_buf(n, 3, 0, 0.01f, 2200 + n);
            Buf p = p0, m = m0, v = v0;
            const AdamScalars sc = adam_scalars(1e-3, beta1, 0.999, 1e-8, wd, 3);
            ref::adam_step(p.data(), g.data(), m.data(), v.data(), n, sc, decoupled);
            for_each_isa([&] {
              Buf gp = testing::copy_buf(p0, off), gm = testing::copy_buf(m0, 1), gv = testing::copy_buf(v0, 2);
              adam_step(gp.data(), g.data(), gm.data(), gv.data(), n, sc, decoupled);
              EXPECT_TRUE(all_close(p, gp, 1e-6, 1e-5));
              EXPECT_TRUE(all_close(m, gm, 1e-6, 1e-5));
              EXPECT_TRUE(all_close(v, gv, 1e-6, 1e-5));
            });
          }
        }
      }
    }
  }
}

TEST(KernelsOptim, SgdMatchesReference) {
  struct Cfg {
    float momentum, dampening, wd;
    bool nesterov, first;
  };
  const Cfg cfgs[] = {{0, 0, 0, false, false},     {0.9f, 0, 0, false, true},  {0.9f, 0, 0, false, false},
                      {0.9f, 0.1f, 1e-4f, false, false}, {0.9f, 0, 1e-4f, true, false}, {0, 0, 1e-2f, false, false}};
  for (const Cfg& c : cfgs) {
    for (int64_t n : kSizes) {
      SCOPED_TRACE(::testing::Message() << "momentum=" << c.momentum << " nesterov=" << c.nesterov
                                        << " first=" << c.first << " n=" << n);
      const Buf p0 = random_buf(n, 1, -1, 1, 2300 + n), g = random_buf(n, 2, -1, 1, 2400 + n);
      const Buf b0 = random_buf(n, 0, -0.5f, 0.5f, 2500 + n);
      Buf p = p0, b = b0;
      ref::sgd_step(p.data(), g.data(), c.momentum != 0 ? b.data() : nullptr, n, 0.1f, c.momentum, c.dampening, c.wd,
                    c.nesterov, c.first);
      for_each_isa([&] {
        Buf gp = testing::copy_buf(p0, 3), gb = b0;
        sgd_step(gp.data(), g.data(), c.momentum != 0 ? gb.data() : nullptr, n, 0.1f, c.momentum, c.dampening, c.wd,
                 c.nesterov, c.first);
        EXPECT_TRUE(all_close(p, gp, 1e-6, 1e-5));
        EXPECT_TRUE(all_close(b, gb, 1e-6, 1e-5));
      });
    }
  }
}

// One step from zero state: m = (1 - b1) g, v = (1 - b2) g^2, bc1 = 1 - b1, bc2 = 1 - b2, so
// p -= lr * g / (|g| + eps) (sign-like first step), plus the weight decay variants. The scalars
// come from double-precision betas as torch's Python floats do: 1 - 0.999 is 0.001.
TEST(KernelsOptim, AdamFirstStepByHand) {
  const double lr = 0.1, b1 = 0.9, b2 = 0.999, eps = 1e-8, wd = 0.5;
  const AdamScalars s1 = adam_scalars(lr, b1, b2, eps, 0.0, 1), s1w = adam_scalars(lr, b1, b2, eps, wd, 1);
  const AdamScalars s2w = adam_scalars(lr, b1, b2, eps, wd, 2);
  EXPECT_EQ(s1.one_minus_beta2, 0.001f);
  for_each_isa([&] {
    float p = 2.0f, g = 0.25f, m = 0, v = 0;
    adam_step(&p, &g, &m, &v, 1, s1, false);
    EXPECT_NEAR(m, 0.025, 1e-8);
    EXPECT_FLOAT_EQ(v, 0.001f * 0.0625f);
    EXPECT_NEAR(p, 2.0 - 0.1 * 0.25 / (0.25 + 1e-8), 1e-6);
    // Adam (L2): g' = 0.25 + 0.5 * 2 = 1.25; the first step is still lr * sign.
    p = 2.0f, m = 0, v = 0;
    adam_step(&p, &g, &m, &v, 1, s1w, false);
    EXPECT_NEAR(m, 0.125, 1e-7);
    EXPECT_NEAR(p, 1.9, 1e-6);
    // AdamW: p *= 1 - lr * wd = 0.95 -> 1.9, then the plain step: 1.9 - 0.1.
    p = 2.0f, m = 0, v = 0;
    adam_step(&p, &g, &m, &v, 1, s1w, true);
    EXPECT_NEAR(m, 0.025, 1e-8);
    EXPECT_NEAR(p, 1.8, 1e-6);
    // Second AdamW step with g = -0.5 at t = 2:
    //   m = 0.9 * 0.025 + 0.1 * (-0.5) = -0.0275; v = b2 * 0.001 * 0.0625 + 0.001 * 0.25
    float g2 = -0.5f;
    adam_step(&p, &g2, &m, &v, 1, s2w, true);
    const double v2 = b2 * 0.001 * 0.0625 + 0.001 * 0.25;
    const double mh = -0.0275 / 0.19, vh = v2 / (1 - b2 * b2);
    EXPECT_NEAR(m, -0.0275, 1e-7);
    EXPECT_NEAR(v, v2, 1e-10);
    EXPECT_NEAR(p, 1.8 * 0.95 - 0.1 * mh / (std::sqrt(vh) + 1e-8), 1e-6);
  });
}

TEST(KernelsOptim, SgdByHand) {
  for_each_isa([&] {
    float p = 1.0f, g = 0.5f, buf = 0.0f;
    sgd_step(&p, &g, &buf, 1, 0.1f, 0.9f, 0.0f, 0.0f, false, true);  // first: buf = g
    EXPECT_FLOAT_EQ(buf, 0.5f);
    EXPECT_FLOAT_EQ(p, 0.95f);
    sgd_step(&p, &g, &buf, 1, 0.1f, 0.9f, 0.0f, 0.0f, false, false);  // buf = 0.9 * 0.5 + 0.5
    EXPECT_FLOAT_EQ(buf, 0.95f);
    EXPECT_FLOAT_EQ(p, 0.95f - 0.095f);
    sgd_step(&p, &g, &buf, 1, 0.1f, 0.9f, 0.0f, 0.0f, true, false);  // nesterov: g + 0.9 * buf
    EXPECT_NEAR(buf, 0.9 * 0.95 + 0.5, 1e-6);
    EXPECT_NEAR(p, 0.855 - 0.1 * (0.5 + 0.9 * (0.9 * 0.95 + 0.5)), 1e-6);
  });
}

}  // namespace
}  // namespace nd::kernels
