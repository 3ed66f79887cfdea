// Activations: every ISA against the reference (random and special inputs), the reference against
// known values and finite differences, and the name table.
#include "nd/kernels/activation.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <vector>

#include "kernel_test_util.h"
#include "kernels/ref/ref.h"
#include "nd/core/error.h"
#include "nd/core/parallel.h"

namespace nd::kernels {
namespace {

using testing::all_close;
using testing::Buf;
using testing::for_each_isa;
using testing::kOffsets;
using testing::kSizes;
using testing::random_buf;

struct ActCase {
  Act act;
  float alpha;
};
const ActCase kActs[] = {{Act::identity, 0}, {Act::relu, 0},     {Act::leaky_relu, 0.01f}, {Act::prelu, 0.25f},
                         {Act::elu, 1.0f},   {Act::elu, 0.5f},   {Act::selu, 0},           {Act::gelu, 0},
                         {Act::silu, 0},     {Act::tanh, 0},     {Act::sigmoid, 0},        {Act::softplus, 0},
                         {Act::softsign, 0}};

// Transcendental activations: a few ulp relative, with an absolute floor for results near zero
// (e.g. GELU's left tail, or a derivative crossing zero).
constexpr double kAtol = 1e-6, kRtol = 2e-6;

TEST(KernelsActivation, RandomInputsMatchReference) {
  for (const ActCase& c : kActs) {
    for (int64_t n : kSizes) {
      for (int64_t off : kOffsets) {
        SCOPED_TRACE(::testing::Message() << act_name(c.act) << " alpha=" << c.alpha << " n=" << n << " off=" << off);
        const Buf x = random_buf(n, off, -12, 12, 100 + n), dy = random_buf(n, 1, -2, 2, 200 + n);
        Buf y(n), dx(n);
        ref::act_forward(c.act, x.data(), y.data(), n, c.alpha);
        ref::act_backward(c.act, x.data(), y.data(), dy.data(), dx.data(), n, c.alpha);
        for_each_isa([&] {
          Buf got_y(n, off), got_dx(n, (off + 2) % 4);
          act_forward(c.act, x.data(), got_y.data(), n, c.alpha);
          act_backward(c.act, x.data(), y.data(), dy.data(), got_dx.data(), n, c.alpha);
          EXPECT_TRUE(all_close(y, got_y, kAtol, kRtol));
          EXPECT_TRUE(all_close(dx, got_dx, kAtol, kRtol));
        });
      }
    }
  }
}

// Thresholds, tails, overflow of exp, signed zero, NaN and infinities.
TEST(KernelsActivation, SpecialInputsMatchReference) {
  const float inf = std::numeric_limits<float>::infinity(), nan = std::numeric_limits<float>::quiet_NaN();
  const std::vector<float> special = {0.0f,   -0.0f,  1e-8f,  -1e-8f, 1e-30f, 0.5f,   -0.5f, 1.0f,   -1.0f,
                                      0.7f,   -0.75f, 19.99f, 20.0f,  20.5f,  -20.0f, 30.0f, -30.0f, 88.0f,
                                      -88.0f, 90.0f,  -90.0f, 105.0f, -105.0f, 150.0f, -150.0f, 1e30f, -1e30f};
  const int64_t n = static_cast<int64_t>(special.size());
  Buf x(n + 3), dy(n + 3, 0, 1.5f);
  for (int64_t i = 0; i < n; ++i) x[i] = special[i];
  x[n] = inf, x[n + 1] = -inf, x[n + 2] = nan;
  for (const ActCase& c : kActs) {
    SCOPED_TRACE(act_name(c.act));
    Buf y(n + 3), dx(n);
    ref::act_forward(c.act, x.data(), y.data(), n + 3, c.alpha);
    ref::act_backward(c.act, x.data(), y.data(), dy.data(), dx.data(), n, c.alpha);  // finite inputs only
    EXPECT_TRUE(std::isnan(y[n + 2])) << "NaN must propagate";
    for_each_isa([&] {
      Buf got_y(n + 3), got_dx(n);
      act_forward(c.act, x.data(), got_y.data(), n + 3, c.alpha);
      act_backward(c.act, x.data(), y.data(), dy.data(), got_dx.data(), n, c.alpha);
      EXPECT_TRUE(all_close(y, got_y, kAtol, kRtol));
      EXPECT_TRUE(all_close(dx, got_dx, kAtol, kRtol));
    });
  }
}

TEST(KernelsActivation, InPlaceForward) {
  const int64_t n = 45;
  const Buf x = random_buf(n, 0, -5, 5, 7);
  Buf want(n);
  ref::act_forward(Act::gelu, x.data(), want.data(), n, 0);
  for_each_isa([&] {
    Buf y = x;
    act_forward(Act::gelu, y.data(), y.data(), n, 0);
    EXPECT_TRUE(all_close(want, y, kAtol, kRtol));
  });
}

double ref_f(Act a, double x, float alpha) {
  const float xf = static_cast<float>(x);
  float y;
  ref::act_forward(a, &xf, &y, 1, alpha);
  return y;
}

TEST(KernelsActivation, ReferenceKnownValues) {
  EXPECT_NEAR(ref_f(Act::gelu, 1.0, 0), 0.8413447460685429, 1e-7);
  EXPECT_NEAR(ref_f(Act::gelu, -1.0, 0), -0.15865525393145707, 1e-7);
  EXPECT_NEAR(ref_f(Act::gelu, -6.0, 0), -5.9194e-09, 1e-12);  // left tail keeps relative accuracy
  EXPECT_NEAR(ref_f(Act::softplus, 0.0, 0), std::log(2.0), 1e-7);
  EXPECT_EQ(ref_f(Act::softplus, 25.0, 0), 25.0);  // above the threshold softplus is the identity
  EXPECT_NEAR(ref_f(Act::selu, 1.0, 0), 1.0507009873554805, 1e-7);
  EXPECT_NEAR(ref_f(Act::selu, -1.0, 0), -1.1113307378125628, 1e-7);
  EXPECT_NEAR(ref_f(Act::elu, -1.0, 1.0f), -0.6321205588285577, 1e-7);
  EXPECT_NEAR(ref_f(Act::silu, 1.0, 0), 0.7310585786300049, 1e-7);
  EXPECT_EQ(ref_f(Act::sigmoid, 0.0, 0), 0.5);
  EXPECT_EQ(ref_f(Act::softsign, 1.0, 0), 0.5);
  EXPECT_EQ(ref_f(Act::leaky_relu, -2.0, 0.01f), -0.02f);
  EXPECT_EQ(ref_f(Act::relu, -2.0, 0), 0.0);
}

TEST(KernelsActivation, ReferenceDerivativeConventions) {
  // PyTorch: relu'(0) = 0; leaky / prelu use the slope at 0; elu's derivative at 0 is alpha.
  const float zero = 0.0f, one = 1.0f;
  float dx;
  ref::act_backward(Act::relu, &zero, &zero, &one, &dx, 1, 0);
  EXPECT_EQ(dx, 0.0f);
  ref::act_backward(Act::leaky_relu, &zero, &zero, &one, &dx, 1, 0.01f);
  EXPECT_EQ(dx, 0.01f);
  ref::act_backward(Act::prelu, &zero, &zero, &one, &dx, 1, 0.25f);
  EXPECT_EQ(dx, 0.25f);
  ref::act_backward(Act::elu, &zero, &zero, &one, &dx, 1, 0.5f);
  EXPECT_EQ(dx, 0.5f);
  ref::act_backward(Act::gelu, &zero, &zero, &one, &dx, 1, 0);
  EXPECT_EQ(dx, 0.5f);
}

// The reference backward against a central difference of the reference forward (in double).
TEST(KernelsActivation, ReferenceBackwardMatchesFiniteDifference) {
  const float xs[] = {-3.1f, -1.3f, -0.4f, 0.3f, 0.9f, 2.7f};
  for (const ActCase& c : kActs) {
    for (float x : xs) {
      SCOPED_TRACE(::testing::Message() << act_name(c.act) << " x=" << x);
      const double h = 1e-3;
      const double fd = (ref_f(c.act, x + h, c.alpha) - ref_f(c.act, x - h, c.alpha)) / (2 * h);
      float y, dx;
      const float one = 1.0f;
      ref::act_forward(c.act, &x, &y, 1, c.alpha);
      ref::act_backward(c.act, &x, &y, &one, &dx, 1, c.alpha);
      EXPECT_NEAR(dx, fd, 2e-3 * (1 + std::fabs(fd)));
    }
  }
}

// GLU over rows of [a | b]: every ISA against the double reference, at row widths around the
// vector widths, more rows than one thread's task (the row split), and saturated gates (b = +-60:
// sigmoid 1 or 0 exactly, its complement without cancellation).
TEST(KernelsActivation, GluMatchesReference) {
  for (int64_t n : {1, 3, 8, 17, 33, 100}) {
    for (int64_t rows : {1, 5, 2000}) {
      SCOPED_TRACE(::testing::Message() << "rows=" << rows << " n=" << n);
      Buf x = random_buf(rows * 2 * n, 1, -8, 8, static_cast<uint64_t>(300 + n + rows));
      x[n] = 60.0f;       // row 0, b[0]
      if (n > 1) x[2 * n - 1] = -60.0f;  // row 0, b[n - 1]
      const Buf dy = random_buf(rows * n, 2, -2, 2, static_cast<uint64_t>(400 + n + rows));
      Buf y(rows * n), dx(rows * 2 * n);
      ref::glu_forward(x.data(), y.data(), rows, n);
      ref::glu_backward(x.data(), dy.data(), dx.data(), rows, n);
      EXPECT_EQ(y[0], x[0]);  // sigmoid(60) rounds to 1
      for_each_isa([&] {
        for (int threads : {1, 2}) {
          set_num_threads(threads);
          Buf got_y(rows * n, 3), got_dx(rows * 2 * n, 1);
          glu_forward(x.data(), got_y.data(), rows, n);
          glu_backward(x.data(), dy.data(), got_dx.data(), rows, n);
          EXPECT_TRUE(all_close(y, got_y, kAtol, kRtol));
          EXPECT_TRUE(all_close(dx, got_dx, kAtol, kRtol));
        }
        set_num_threads(1);
      });
    }
  }
}

TEST(KernelsActivation, GluReferenceKnownValues) {
  const float x[4] = {2.0f, 0.0f, -3.0f, std::log(3.0f)};  // rows [a | b] of n = 1
  float y[2], dx[4];
  const float dy[2] = {1.0f, 2.0f};
  ref::glu_forward(x, y, 2, 1);
  ref::glu_backward(x, dy, dx, 2, 1);
  EXPECT_FLOAT_EQ(y[0], 2.0f * 0.5f);            // a * sigmoid(0)
  EXPECT_FLOAT_EQ(y[1], -3.0f * 0.75f);          // sigmoid(ln 3) = 3 / 4
  EXPECT_FLOAT_EQ(dx[0], 0.5f);                  // dy * sigmoid(b)
  EXPECT_FLOAT_EQ(dx[1], 1.0f * 2.0f * 0.5f * 0.5f);  // dy * a * s (1 - s)
  EXPECT_FLOAT_EQ(dx[2], 2.0f * 0.75f);
  EXPECT_FLOAT_EQ(dx[3], 2.0f * -3.0f * 0.75f * 0.25f);
}

TEST(KernelsActivation, Names) {
  EXPECT_EQ(act_from_name("ReLU"), Act::relu);
  EXPECT_EQ(act_from_name("relu"), Act::relu);
  EXPECT_EQ(act_from_name("LeakyReLU"), Act::leaky_relu);
  EXPECT_EQ(act_from_name("leaky_relu"), Act::leaky_relu);
  EXPECT_EQ(act_from_name("GELU"), Act::gelu);
  EXPECT_EQ(act_from_name("Softplus"), Act::softplus);
  for (const ActCase& c : kActs) EXPECT_EQ(act_from_name(act_name(c.act)), c.act);
  EXPECT_THROW(act_from_name("ReLU6"), Error);
}

}  // namespace
}  // namespace nd::kernels
