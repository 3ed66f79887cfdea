// Attention kernels: every ISA against the double-precision reference (forward output, lse, and
// dq / dk / dv) at odd lengths that straddle tiles, causal or not, with a padding mask and with
// dropout; fully masked rows; results independent of the thread count.
#include "nd/kernels/attention.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <vector>

#include "kernel_test_util.h"
#include "kernels/attention_internal.h"
#include "kernels/ref/ref.h"
#include "nd/core/parallel.h"

namespace nd::kernels {
namespace {

using testing::all_close;
using testing::Buf;
using testing::for_each_isa;
using testing::random_buf;

struct Case {
  AttentionDims d;
  int64_t block_q = 0, block_k = 0;  // 0 = defaults
};

// Lengths not divisible by the tiles (the default 64 x 128 and small 16 x 8 tiles), cross
// attention both ways, single rows and columns.
const Case kCases[] = {
    {{1, 1, 1, 1, 1, 1}},
    {{2, 3, 37, 53, 24, 24}},
    {{1, 2, 53, 37, 24, 16}},
    {{2, 2, 37, 53, 24, 24}, 16, 8},
    {{1, 1, 130, 201, 16, 8}},
    {{1, 2, 70, 70, 8, 8}, 16, 16},
    {{3, 1, 5, 200, 4, 12}, 0, 32},
};

struct Outputs {
  Buf o, lse, dq, dk, dv;
  explicit Outputs(const AttentionDims& d)
      : o(d.B * d.H * d.Lq * d.Dv),
        lse(d.B * d.H * d.Lq),
        dq(d.B * d.H * d.Lq * d.D),
        dk(d.B * d.H * d.Lk * d.D),
        dv(d.B * d.H * d.Lk * d.Dv) {}
};

struct Inputs {
  Buf q, k, v, d_o;
  std::vector<uint8_t> mask;
  Inputs(const AttentionDims& d, uint64_t seed)
      : q(random_buf(d.B * d.H * d.Lq * d.D, 0, -2, 2, seed)),
        k(random_buf(d.B * d.H * d.Lk * d.D, 0, -2, 2, seed + 1)),
        v(random_buf(d.B * d.H * d.Lk * d.Dv, 0, -1, 1, seed + 2)),
        d_o(random_buf(d.B * d.H * d.Lq * d.Dv, 0, -1, 1, seed + 3)),
        mask(static_cast<size_t>(d.B * d.Lk), 1) {
    Rng rng(seed + 4);
    for (auto& m : mask) m = rng.uniform() < 0.7f;
  }
};

// Forward then backward (from this path's own o and lse) with the active ISA, or the reference.
void run(const AttentionDims& d, const AttentionConfig& c, const Inputs& in, Outputs& out, bool reference) {
  std::vector<float> scratch(static_cast<size_t>(std::max(
      reference ? attn::ref_forward_scratch(d) : attention_forward_scratch(d, c),
      reference ? attn::ref_backward_scratch(d) : attention_backward_scratch(d, c))) + 16);
  if (reference) {
    ref::attention_forward(d, c, in.q.data(), in.k.data(), in.v.data(), out.o.data(), out.lse.data(), scratch.data());
    ref::attention_backward(d, c, in.q.data(), in.k.data(), in.v.data(), out.o.data(), out.lse.data(),
                            in.d_o.data(), out.dq.data(), out.dk.data(), out.dv.data(), scratch.data());
  } else {
    attention_forward(d, c, in.q.data(), in.k.data(), in.v.data(), out.o.data(), out.lse.data(), scratch.data());
    attention_backward(d, c, in.q.data(), in.k.data(), in.v.data(), out.o.data(), out.lse.data(), in.d_o.data(),
                       out.dq.data(), out.dk.data(), out.dv.data(), scratch.data());
  }
}

void expect_close(const Outputs& want, const Outputs& got) {
  EXPECT_TRUE(all_close(want.o, got.o, 2e-6, 2e-5)) << "o";
  EXPECT_TRUE(all_close(want.lse, got.lse, 2e-6, 2e-6)) << "lse";
  EXPECT_TRUE(all_close(want.dq, got.dq, 2e-5, 2e-4)) << "dq";
  EXPECT_TRUE(all_close(want.dk, got.dk, 2e-5, 2e-4)) << "dk";
  EXPECT_TRUE(all_close(want.dv, got.dv, 2e-6, 2e-5)) << "dv";
}

TEST(AttentionKernel, MatchesReference) {
  uint64_t seed = 100;
  for (const Case& cs : kCases) {
    const AttentionDims& d = cs.d;
    const Inputs in(d, seed += 10);
    for (int causal = 0; causal < 2; ++causal) {
      for (int pad = 0; pad < 2; ++pad) {
        for (float p : {0.0f, 0.3f}) {
          SCOPED_TRACE(::testing::Message() << "B=" << d.B << " H=" << d.H << " Lq=" << d.Lq << " Lk=" << d.Lk
                                            << " D=" << d.D << " Dv=" << d.Dv << " tiles=" << cs.block_q << "x"
                                            << cs.block_k << " causal=" << causal << " pad=" << pad << " p=" << p);
          AttentionConfig c;
          c.scale = 1.0f / std::sqrt(static_cast<float>(d.D));
          c.causal = causal;
          c.key_padding_mask = pad ? in.mask.data() : nullptr;
          c.dropout_p = p;
          c.seed = 77;
          c.block_q = cs.block_q;
          c.block_k = cs.block_k;
          Outputs want(d);
          run(d, c, in, want, true);
          for_each_isa([&] {
            Outputs got(d);
            run(d, c, in, got, false);
            expect_close(want, got);
          });
        }
      }
    }
  }
}

TEST(AttentionKernel, RowWithNoVisibleKeyIsZero) {
  // Batch 1 masks every key; with causal + key 0 masked, row 0 of batch 0 sees nothing either.
  const AttentionDims d{2, 2, 9, 11, 8, 8};
  Inputs in(d, 5);
  for (int64_t j = 0; j < d.Lk; ++j) in.mask[d.Lk + j] = 0;
  in.mask[0] = 0;
  in.mask[1] = 1;
  AttentionConfig c;
  c.scale = 0.3f;
  c.causal = true;
  c.key_padding_mask = in.mask.data();
  c.block_q = 4;
  c.block_k = 4;
  for_each_isa([&] {
    Outputs out(d);
    run(d, c, in, out, false);
    for (int64_t h = 0; h < d.H; ++h) {
      EXPECT_EQ(out.lse[(0 * d.H + h) * d.Lq], -std::numeric_limits<float>::infinity());
      for (int64_t e = 0; e < d.Dv; ++e) EXPECT_EQ(out.o[(0 * d.H + h) * d.Lq * d.Dv + e], 0.0f);
      for (int64_t e = 0; e < d.D; ++e) EXPECT_EQ(out.dq[(0 * d.H + h) * d.Lq * d.D + e], 0.0f);
      EXPECT_GT(out.lse[(0 * d.H + h) * d.Lq + 1], -1e30f);  // row 1 sees key 1
    }
    const int64_t half_o = d.H * d.Lq * d.Dv, half_k = d.H * d.Lk * d.D;
    for (int64_t x = 0; x < half_o; ++x) EXPECT_EQ(out.o[half_o + x], 0.0f);
    for (int64_t x = 0; x < half_k; ++x) EXPECT_EQ(out.dk[half_k + x], 0.0f);
    for (int64_t x = 0; x < d.H * d.Lk * d.Dv; ++x) EXPECT_EQ(out.dv[d.H * d.Lk * d.Dv + x], 0.0f);
  });
}

TEST(AttentionKernel, SameBitsForAnyThreadCount) {
  const AttentionDims d{2, 3, 100, 77, 16, 16};
  const Inputs in(d, 9);
  AttentionConfig c;
  c.scale = 0.25f;
  c.causal = true;
  c.dropout_p = 0.2f;
  c.seed = 3;
  const int before = num_threads();
  set_num_threads(1);
  Outputs one(d);
  run(d, c, in, one, false);
  set_num_threads(3);
  Outputs three(d);
  run(d, c, in, three, false);
  set_num_threads(before);
  EXPECT_TRUE(all_close(one.o, three.o, 0, 0));
  EXPECT_TRUE(all_close(one.dq, three.dq, 0, 0));
  EXPECT_TRUE(all_close(one.dk, three.dk, 0, 0));
  EXPECT_TRUE(all_close(one.dv, three.dv, 0, 0));
}

TEST(AttentionKernel, DropoutKeepsOneMinusP) {
  for (float p : {0.1f, 0.5f, 0.9f}) {
    int64_t kept = 0, n = 0;
    for (int64_t i = 0; i < 200; ++i)
      for (int64_t j = 0; j < 200; ++j, ++n) kept += attention_dropout_keep(11, 1, 2, i, j, p);
    EXPECT_NEAR(static_cast<double>(kept) / n, 1.0 - p, 0.01) << "p=" << p;
  }
  // Different seeds, heads and batches draw different masks.
  int64_t same_seed = 0, same_head = 0;
  for (int64_t j = 0; j < 1000; ++j) {
    same_seed += attention_dropout_keep(1, 0, 0, 3, j, 0.5f) == attention_dropout_keep(2, 0, 0, 3, j, 0.5f);
    same_head += attention_dropout_keep(1, 0, 0, 3, j, 0.5f) == attention_dropout_keep(1, 0, 1, 3, j, 0.5f);
  }
  EXPECT_NEAR(same_seed, 500, 60);
  EXPECT_NEAR(same_head, 500, 60);
}

}  // namespace
}  // namespace nd::kernels
