// Elementwise kernels: every ISA against the scalar reference, at awkward sizes and offsets.
#include "nd/kernels/elementwise.h"

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "kernel_test_util.h"
#include "nd/core/parallel.h"
#include "nd/kernels/activation.h"
#include "kernels/ref/ref.h"

namespace nd::kernels {
namespace {

using testing::all_close;
using testing::Buf;
using testing::for_each_isa;
using testing::kOffsets;
using testing::kSizes;
using testing::random_buf;

// Plain IEEE operations: every path must agree to the bit.
TEST(KernelsElementwise, BinaryMatchesReference) {
  for (BinOp op : {BinOp::add, BinOp::sub, BinOp::mul, BinOp::div}) {
    for (int64_t n : kSizes) {
      for (int64_t off : kOffsets) {
        SCOPED_TRACE(::testing::Message() << "op=" << static_cast<int>(op) << " n=" << n << " off=" << off);
        const Buf a = random_buf(n, off, -3, 3, 1 + n), b = random_buf(n, (off + 1) % 4, 0.5f, 4, 2 + n);
        Buf want(n), want_rs(n), want_ls(n);
        ref::binary(op, a.data(), b.data(), want.data(), n);
        ref::binary_rs(op, a.data(), 1.75f, want_rs.data(), n);
        ref::binary_ls(op, -2.5f, b.data(), want_ls.data(), n);
        for_each_isa([&] {
          Buf y(n, off), y_rs(n, off), y_ls(n, off);
          binary(op, a.data(), b.data(), y.data(), n);
          binary_rs(op, a.data(), 1.75f, y_rs.data(), n);
          binary_ls(op, -2.5f, b.data(), y_ls.data(), n);
          EXPECT_TRUE(all_close(want, y, 0, 0));
          EXPECT_TRUE(all_close(want_rs, y_rs, 0, 0));
          EXPECT_TRUE(all_close(want_ls, y_ls, 0, 0));
        });
      }
    }
  }
}

TEST(KernelsElementwise, BinaryInPlace) {
  const int64_t n = 37;
  const Buf a = random_buf(n, 0, -3, 3, 5), b = random_buf(n, 0, 1, 2, 6);
  Buf want(n);
  ref::binary(BinOp::mul, a.data(), b.data(), want.data(), n);
  for_each_isa([&] {
    Buf y = a;
    binary(BinOp::mul, y.data(), b.data(), y.data(), n);
    EXPECT_TRUE(all_close(want, y, 0, 0));
  });
}

// Kernels with a multiply feeding an add may be fused (FMA) on some targets: allow rounding.
TEST(KernelsElementwise, AccumulatingKernelsMatchReference) {
  for (int64_t n : kSizes) {
    for (int64_t off : kOffsets) {
      SCOPED_TRACE(::testing::Message() << "n=" << n << " off=" << off);
      const Buf x = random_buf(n, off, -2, 2, 10 + n), m = random_buf(n, 0, -2, 2, 20 + n);
      const Buf b = random_buf(n, 2, 0.5f, 3, 30 + n), y0 = random_buf(n, off, -1, 1, 40 + n);
      Buf mask(n);
      for (int64_t i = 0; i < n; ++i) mask[i] = (i % 3 == 0) ? 0.0f : 1.0f;
      struct Case {
        const char* name;
        void (*run)(const Buf&, const Buf&, const Buf&, const Buf&, Buf&, bool);
        double atol, rtol;
      };
      const Case cases[] = {
          {"axpy", [](const Buf& x, const Buf&, const Buf&, const Buf&, Buf& y, bool r) {
             r ? ref::axpy(0.3f, x.data(), y.data(), y.size()) : axpy(0.3f, x.data(), y.data(), y.size());
           }, 1e-6, 1e-5},
          {"scale", [](const Buf& x, const Buf&, const Buf&, const Buf&, Buf& y, bool r) {
             r ? ref::scale(-1.5f, x.data(), y.data(), y.size()) : scale(-1.5f, x.data(), y.data(), y.size());
           }, 0, 0},
          {"mul_add", [](const Buf& x, const Buf& m, const Buf&, const Buf&, Buf& y, bool r) {
             r ? ref::mul_add(x.data(), m.data(), y.data(), y.size()) : mul_add(x.data(), m.data(), y.data(), y.size());
           }, 1e-6, 1e-5},
          {"add_scalar", [](const Buf&, const Buf&, const Buf&, const Buf&, Buf& y, bool r) {
             r ? ref::add_scalar(0.125f, y.data(), y.size()) : add_scalar(0.125f, y.data(), y.size());
           }, 0, 0},
          {"fill", [](const Buf&, const Buf&, const Buf&, const Buf&, Buf& y, bool r) {
             r ? ref::fill(3.5f, y.data(), y.size()) : fill(3.5f, y.data(), y.size());
           }, 0, 0},
          {"div_rhs_grad", [](const Buf& x, const Buf& m, const Buf& b, const Buf&, Buf& y, bool r) {
             r ? ref::div_rhs_grad(x.data(), m.data(), b.data(), y.data(), y.size())
               : div_rhs_grad(x.data(), m.data(), b.data(), y.data(), y.size());
           }, 1e-6, 1e-5},
          {"div_lhs_grad", [](const Buf& x, const Buf&, const Buf& b, const Buf&, Buf& y, bool r) {
             r ? ref::div_lhs_grad(x.data(), b.data(), y.data(), y.size())
               : div_lhs_grad(x.data(), b.data(), y.data(), y.size());
           }, 1e-6, 1e-5},
          {"masked_scale", [](const Buf& x, const Buf&, const Buf&, const Buf& mask, Buf& y, bool r) {
             r ? ref::masked_scale(x.data(), mask.data(), 1.25f, y.data(), y.size())
               : masked_scale(x.data(), mask.data(), 1.25f, y.data(), y.size());
           }, 0, 0},
      };
      for (const Case& c : cases) {
        SCOPED_TRACE(c.name);
        Buf want = y0;
        c.run(x, m, b, mask, want, true);
        for_each_isa([&] {
          Buf y = testing::copy_buf(y0, off);
          c.run(x, m, b, mask, y, false);
          EXPECT_TRUE(all_close(want, y, c.atol, c.rtol));
        });
      }
    }
  }
}

// Dropout: every ISA draws the reference's mask bit for bit (the hash is integer arithmetic);
// the kept fraction is 1 - p; different seeds give different masks; factors are 0 or 1 / (1 - p).
TEST(KernelsElementwise, DropoutMatchesReferenceAndKeepsOneMinusP) {
  for (int64_t n : kSizes) {
    for (int64_t off : kOffsets) {
      SCOPED_TRACE(::testing::Message() << "n=" << n << " off=" << off);
      const Buf x = random_buf(n, off, -3, 3, 5 + n);
      Buf want(n), want_f(n);
      ref::dropout(x.data(), 42, 0.3f, want.data(), want_f.data(), n);
      for_each_isa([&] {
        Buf y(n, off), f(n, (off + 2) % 4), y_nof(n, off);
        dropout(x.data(), 42, 0.3f, y.data(), f.data(), n);
        dropout(x.data(), 42, 0.3f, y_nof.data(), nullptr, n);
        EXPECT_TRUE(all_close(want, y, 0, 0));
        EXPECT_TRUE(all_close(want_f, f, 0, 0));
        EXPECT_TRUE(all_close(want, y_nof, 0, 0));
      });
    }
  }
  const int64_t n = 200000;
  std::vector<float> x(n, 1.0f), a(n), b(n), fa(n);
  for (float p : {0.1f, 0.5f, 0.9f}) {
    dropout(x.data(), 7, p, a.data(), fa.data(), n);
    int64_t kept = 0;
    for (int64_t i = 0; i < n; ++i) {
      ASSERT_TRUE(fa[i] == 0.0f || fa[i] == 1.0f / (1.0f - p)) << fa[i];
      kept += fa[i] != 0.0f;
    }
    // Binomial(n, 1 - p): 5 standard deviations.
    const double sd = std::sqrt(n * p * (1.0 - p));
    EXPECT_NEAR(static_cast<double>(kept), n * (1.0 - p), 5 * sd) << "p=" << p;
  }
  dropout(x.data(), 7, 0.5f, a.data(), nullptr, n);
  dropout(x.data(), 8, 0.5f, b.data(), nullptr, n);
  int64_t same = 0, pairs = 0, both = 0;
  for (int64_t i = 0; i < n; ++i) same += (a[i] != 0.0f) == (b[i] != 0.0f);
  for (int64_t i = 0; i + 1 < n; ++i, ++pairs) both += (a[i] != 0.0f) && (a[i + 1] != 0.0f);
  EXPECT_NEAR(static_cast<double>(same), n / 2.0, 5 * std::sqrt(n / 4.0));   // seeds independent
  EXPECT_NEAR(static_cast<double>(both), pairs / 4.0, 5 * std::sqrt(pairs * 0.1875));  // neighbours too
}

// dropout_add: r + dropout(x) equals the two steps apart (within the rounding of a fused
// multiply-add) on every ISA and in the reference, also accumulating in place (r aliasing y).
TEST(KernelsElementwise, DropoutAddEqualsDropoutThenAdd) {
  for (int64_t n : kSizes) {
    for (int64_t off : kOffsets) {
      SCOPED_TRACE(::testing::Message() << "n=" << n << " off=" << off);
      const Buf x = random_buf(n, off, -3, 3, 11 + n), r = random_buf(n, (off + 1) % 4, -2, 2, 17 + n);
      Buf want(n);
      ref::dropout(x.data(), 99, 0.25f, want.data(), nullptr, n);
      for (int64_t i = 0; i < n; ++i) want[i] = r[i] + want[i];
      Buf got_ref(n);
      ref::dropout_add(x.data(), 99, 0.25f, r.data(), got_ref.data(), n);
      EXPECT_TRUE(all_close(want, got_ref, 0, 0));
      for_each_isa([&] {
        Buf y(n, off), acc = testing::copy_buf(r, (off + 3) % 4);
        dropout_add(x.data(), 99, 0.25f, r.data(), y.data(), n);
        dropout_add(x.data(), 99, 0.25f, acc.data(), acc.data(), n);
        EXPECT_TRUE(all_close(want, y, 1e-6f, 1e-6f));
        EXPECT_TRUE(all_close(want, acc, 1e-6f, 1e-6f));
      });
    }
  }
}

// act_dropout_forward / _backward are the activation and dropout kernels run per L1 block: the
// same values as the two kernels over the whole array, on every ISA and in the scalar mode, for
// sizes around the 2048-element block and a thread-split size.
TEST(KernelsElementwise, ActDropoutEqualsActivationThenDropout) {
  std::vector<int64_t> sizes = kSizes;
  for (int64_t n : {2047, 2048, 2049, 5000, 300007}) sizes.push_back(n);
  const int before = num_threads();
  for (int threads : {1, 2}) {
    set_num_threads(threads);
    for (Act a : {Act::gelu, Act::relu, Act::tanh, Act::sigmoid, Act::elu}) {
      for (int64_t n : sizes) {
        if (threads == 2 && n < 300007) continue;
        const int64_t off = n % 3;
        SCOPED_TRACE(::testing::Message() << act_name(a) << " n=" << n << " threads=" << threads);
        const Buf x = random_buf(n, off, -4, 4, 3 + n), dy = random_buf(n, 0, -2, 2, 5 + n),
                  dx0 = random_buf(n, 1, -1, 1, 7 + n);
        for_each_isa([&] {
          Buf want(n), fx(n), t(n), want_dx(n), want_acc = testing::copy_buf(dx0, 1);
          act_forward(a, x.data(), fx.data(), n, 0.7f);
          dropout(fx.data(), 41, 0.3f, want.data(), nullptr, n);
          dropout(dy.data(), 41, 0.3f, t.data(), nullptr, n);
          act_backward(a, x.data(), fx.data(), t.data(), want_dx.data(), n, 0.7f);
          for (int64_t i = 0; i < n; ++i) want_acc[i] += want_dx[i];
          Buf y(n, 2), dx(n, 1), acc = testing::copy_buf(dx0, 2);
          act_dropout_forward(a, x.data(), 0.7f, 41, 0.3f, y.data(), n);
          act_dropout_backward(a, x.data(), 0.7f, 41, 0.3f, dy.data(), dx.data(), false, n);
          act_dropout_backward(a, x.data(), 0.7f, 41, 0.3f, dy.data(), acc.data(), true, n);
          EXPECT_TRUE(all_close(want, y, 0, 0));
          EXPECT_TRUE(all_close(want_dx, dx, 0, 0));
          EXPECT_TRUE(all_close(want_acc, acc, 0, 0));
        });
      }
    }
  }
  set_num_threads(before);
}

// Large arrays are split over threads: 1 and 2 threads give identical results (dropout masks
// included: each chunk hashes its global element index), for a length that is not a multiple
// of the 64-element blocks.
TEST(KernelsElementwise, ThreadSplitGivesIdenticalResults) {
  const int before = num_threads();
  const int64_t n = 300007;
  const Buf x = random_buf(n, 0, -3, 3, 1), z = random_buf(n, 0, -2, 2, 2);
  std::vector<float> out[2][7];
  for (int t : {1, 2}) {
    set_num_threads(t);
    auto& o = out[t - 1];
    for (auto& v : o) v.assign(static_cast<size_t>(n), 0.5f);
    dropout(x.data(), 5, 0.3f, o[0].data(), o[1].data(), n);
    dropout_add(x.data(), 6, 0.2f, z.data(), o[2].data(), n);
    binary(BinOp::mul, x.data(), z.data(), o[3].data(), n);
    axpy(0.7f, x.data(), o[4].data(), n);
    scale(-1.5f, x.data(), o[5].data(), n);
    act_forward(Act::gelu, x.data(), o[6].data(), n, 0.0f);
  }
  for (int k = 0; k < 7; ++k) EXPECT_EQ(out[0][k], out[1][k]) << "output " << k;
  set_num_threads(before);
}

TEST(KernelsElementwise, ReferenceSanity) {
  float g[2] = {2, -1}, q[2] = {3, 0.5f}, b[2] = {4, 2}, y[2] = {1, 1};
  ref::div_rhs_grad(g, q, b, y, 2);  // y += -g * q / b
  EXPECT_FLOAT_EQ(y[0], 1.0f - 1.5f);
  EXPECT_FLOAT_EQ(y[1], 1.0f + 0.25f);
  ref::div_lhs_grad(g, b, y, 2);  // y += g / b
  EXPECT_FLOAT_EQ(y[0], -0.5f + 0.5f);
  EXPECT_FLOAT_EQ(y[1], 1.25f - 0.5f);
}

}  // namespace
}  // namespace nd::kernels
