// Fused token attention kernels: every ISA against the double-precision reference (out, scores,
// probabilities; dq, dk, dv, ds) at odd and cross lengths, with and without prev scores, dropout,
// and either output gradient missing; the dropout mask bit for bit that of kernels::dropout; the
// same bits for any thread count.
#include "nd/kernels/token_attention.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <vector>

#include "kernel_test_util.h"
#include "kernels/ref/ref.h"
#include "nd/core/parallel.h"
#include "nd/kernels/elementwise.h"

namespace nd::kernels {
namespace {

using testing::all_close;
using testing::Buf;
using testing::for_each_isa;
using testing::random_buf;

// {B, H, Lq, Lk, D, Dv}: PatchTST's and iTransformer's heads, lengths and widths around the
// vector widths (odd, one past, the 64 limit), cross attention both ways.
const TokenAttentionDims kCases[] = {
    {1, 1, 1, 1, 1, 1},    {2, 3, 12, 12, 8, 8},  {3, 2, 5, 7, 13, 7},   {2, 4, 13, 5, 7, 12},
    {1, 2, 7, 7, 64, 64},  {2, 1, 33, 17, 17, 3}, {1, 1, 64, 64, 64, 64}, {1, 3, 16, 16, 16, 16},
    // Heads in lanes (H a multiple of 8 or 16, D and Dv <= 16): PatchTST's 16 heads of 8, odd
    // lengths and widths, 24 heads (groups of 8 only), the 16-wide limit, odd token counts.
    {2, 16, 12, 12, 8, 8}, {3, 8, 5, 7, 13, 7},   {1, 16, 1, 1, 1, 1},   {2, 24, 9, 11, 16, 5},
    {1, 32, 17, 3, 4, 16}, {2, 16, 7, 5, 8, 8},
};

struct Inputs {
  Buf q, k, v, prev, d_out, d_scores;
  Inputs(const TokenAttentionDims& d, uint64_t seed)
      : q(random_buf(d.B * d.Lq * d.H * d.D, 1, -1.5f, 1.5f, seed)),
        k(random_buf(d.B * d.Lk * d.H * d.D, 0, -1.5f, 1.5f, seed + 1)),
        v(random_buf(d.B * d.Lk * d.H * d.Dv, 3, -1, 1, seed + 2)),
        prev(random_buf(d.B * d.H * d.Lq * d.Lk, 0, -2, 2, seed + 3)),
        d_out(random_buf(d.B * d.Lq * d.H * d.Dv, 1, -1, 1, seed + 4)),
        d_scores(random_buf(d.B * d.H * d.Lq * d.Lk, 0, -1, 1, seed + 5)) {}
};

struct Outputs {
  Buf out, scores, probs, dq, dk, dv, ds;
  explicit Outputs(const TokenAttentionDims& d)
      : out(d.B * d.Lq * d.H * d.Dv, 1),
        scores(d.B * d.H * d.Lq * d.Lk, 2),
        probs(d.B * d.H * d.Lq * d.Lk),
        dq(d.B * d.Lq * d.H * d.D, 3),
        dk(d.B * d.Lk * d.H * d.D),
        dv(d.B * d.Lk * d.H * d.Dv, 1),
        ds(d.B * d.H * d.Lq * d.Lk, 1) {}
};

// Which optional inputs a run sees.
struct Use {
  bool prev, d_out, d_scores;
};

// Forward, then backward from this path's own probabilities.
void run(const TokenAttentionDims& d, const TokenAttentionConfig& c, const Inputs& in, Use u, Outputs& o,
         bool reference) {
  const float* prev = u.prev ? in.prev.data() : nullptr;
  const float* d_out = u.d_out ? in.d_out.data() : nullptr;
  const float* d_scores = u.d_scores ? in.d_scores.data() : nullptr;
  if (reference) {
    ref::token_attention_forward(d, c, in.q.data(), in.k.data(), in.v.data(), prev, o.scores.data(), o.probs.data(),
                                 o.out.data());
    ref::token_attention_backward(d, c, in.q.data(), in.k.data(), in.v.data(), o.probs.data(), d_out, d_scores,
                                  o.dq.data(), o.dk.data(), o.dv.data(), o.ds.data());
  } else {
    token_attention_forward(d, c, in.q.data(), in.k.data(), in.v.data(), prev, o.scores.data(), o.probs.data(),
                            o.out.data());
    token_attention_backward(d, c, in.q.data(), in.k.data(), in.v.data(), o.probs.data(), d_out, d_scores,
                             o.dq.data(), o.dk.data(), o.dv.data(), o.ds.data());
  }
}

TEST(TokenAttentionKernel, MatchesReference) {
  uint64_t seed = 200;
  for (const TokenAttentionDims& d : kCases) {
    const Inputs in(d, seed += 10);
    for (const Use u : {Use{false, true, false}, Use{true, true, true}, Use{true, false, true}}) {
      for (float p : {0.0f, 0.3f}) {
        SCOPED_TRACE(::testing::Message() << "B=" << d.B << " H=" << d.H << " Lq=" << d.Lq << " Lk=" << d.Lk
                                          << " D=" << d.D << " Dv=" << d.Dv << " prev=" << u.prev
                                          << " d_out=" << u.d_out << " d_scores=" << u.d_scores << " p=" << p);
        const TokenAttentionConfig c{1.0f / std::sqrt(static_cast<float>(d.D)), p, 31};
        Outputs want(d);
        run(d, c, in, u, want, true);
        for_each_isa([&] {
          Outputs got(d);
          run(d, c, in, u, got, false);
          EXPECT_TRUE(all_close(want.scores, got.scores, 1e-6, 1e-5)) << "scores";
          EXPECT_TRUE(all_close(want.probs, got.probs, 1e-7, 1e-5)) << "probs";
          EXPECT_TRUE(all_close(want.out, got.out, 2e-6, 2e-5)) << "out";
          EXPECT_TRUE(all_close(want.ds, got.ds, 2e-6, 2e-5)) << "ds";
          EXPECT_TRUE(all_close(want.dq, got.dq, 2e-6, 2e-5)) << "dq";
          EXPECT_TRUE(all_close(want.dk, got.dk, 2e-6, 2e-5)) << "dk";
          EXPECT_TRUE(all_close(want.dv, got.dv, 2e-6, 2e-5)) << "dv";
        });
      }
    }
  }
}

// Scores far apart (probabilities that underflow to zero), masked keys (-inf in prev: exactly zero
// probability) and a NaN score (its row turns NaN) behave as the reference, on every ISA.
TEST(TokenAttentionKernel, ExtremeScoresMatchReference) {
  for (const TokenAttentionDims d : {TokenAttentionDims{2, 2, 6, 13, 4, 5}, TokenAttentionDims{2, 16, 6, 13, 4, 5}}) {
  SCOPED_TRACE(::testing::Message() << "H=" << d.H);
  Inputs in(d, 17);
  const float inf = std::numeric_limits<float>::infinity();
  for (int64_t x = 0; x < in.prev.size(); ++x) {
    const int64_t j = x % d.Lk;
    in.prev[x] = j == 0 ? 80.0f : j == 1 ? -inf : j == 2 ? -95.0f : j == 3 ? -200.0f : 0.0f;
  }
  in.prev[3 * d.Lk + 5] = std::numeric_limits<float>::quiet_NaN();  // row 3 of head (0, 0)
  const TokenAttentionConfig c{0.5f, 0.0f, 1};
  const Use u{true, true, true};
  Outputs want(d);
  run(d, c, in, u, want, true);
  for (int64_t i = 0; i < d.Lq; ++i)
    if (i != 3) EXPECT_EQ(want.probs[i * d.Lk + 1], 0.0f);
  EXPECT_TRUE(std::isnan(want.probs[3 * d.Lk]));
  for_each_isa([&] {
    Outputs got(d);
    run(d, c, in, u, got, false);
    EXPECT_TRUE(all_close(want.probs, got.probs, 1e-7, 1e-5)) << "probs";
    EXPECT_TRUE(all_close(want.out, got.out, 2e-6, 2e-5)) << "out";
    EXPECT_TRUE(all_close(want.ds, got.ds, 2e-6, 2e-5)) << "ds";
    EXPECT_TRUE(all_close(want.dq, got.dq, 2e-6, 2e-5)) << "dq";
  });
  }
}

// Null outputs are skipped: only out (inference) forward, only dq backward.
TEST(TokenAttentionKernel, OptionalOutputsMayBeNull) {
  for (const TokenAttentionDims d : {TokenAttentionDims{2, 3, 9, 11, 5, 6}, TokenAttentionDims{2, 16, 9, 11, 5, 6}}) {
  SCOPED_TRACE(::testing::Message() << "H=" << d.H);
  const Inputs in(d, 7);
  const TokenAttentionConfig c{0.4f, 0.2f, 5};
  Outputs want(d);
  ref::token_attention_forward(d, c, in.q.data(), in.k.data(), in.v.data(), in.prev.data(), want.scores.data(),
                               want.probs.data(), want.out.data());
  ref::token_attention_backward(d, c, in.q.data(), in.k.data(), in.v.data(), want.probs.data(), in.d_out.data(),
                                nullptr, want.dq.data(), nullptr, nullptr, nullptr);
  for_each_isa([&] {
    Outputs got(d);
    token_attention_forward(d, c, in.q.data(), in.k.data(), in.v.data(), in.prev.data(), nullptr, nullptr,
                            got.out.data());
    EXPECT_TRUE(all_close(want.out, got.out, 2e-6, 2e-5));
    token_attention_backward(d, c, in.q.data(), in.k.data(), in.v.data(), want.probs.data(), in.d_out.data(),
                             nullptr, got.dq.data(), nullptr, nullptr, nullptr);
    EXPECT_TRUE(all_close(want.dq, got.dq, 2e-6, 2e-5));
  });
  }
}

// With v = the identity (Dv = Lk), out is the dropped probabilities themselves: they must equal
// kernels::dropout applied to the [B * H, Lq, Lk] probabilities with the same seed, bit for bit
// (the general path's mask), zeros in the same places under the reference.
TEST(TokenAttentionKernel, DropoutMaskIsKernelsDropout) {
  for (const TokenAttentionDims d : {TokenAttentionDims{3, 4, 12, 12, 8, 12}, TokenAttentionDims{3, 16, 12, 12, 8, 12}}) {
  SCOPED_TRACE(::testing::Message() << "H=" << d.H);
  Inputs in(d, 41);
  for (int64_t b = 0; b < d.B; ++b)
    for (int64_t j = 0; j < d.Lk; ++j)
      for (int64_t h = 0; h < d.H; ++h)
        for (int64_t e = 0; e < d.Dv; ++e) in.v[(b * d.Lk + j) * d.H * d.Dv + h * d.Dv + e] = j == e ? 1.0f : 0.0f;
  const TokenAttentionConfig c{0.35f, 0.4f, 123456789};
  const int64_t n = d.B * d.H * d.Lq * d.Lk;
  for_each_isa([&] {
    Outputs o(d);
    token_attention_forward(d, c, in.q.data(), in.k.data(), in.v.data(), nullptr, nullptr, o.probs.data(),
                            o.out.data());
    std::vector<float> dropped(static_cast<size_t>(n));
    dropout(o.probs.data(), c.seed, c.dropout_p, dropped.data(), nullptr, n);
    const bool exact = active_isa() != "scalar";  // the reference rounds p / (1 - p) once, in double
    int64_t zeros = 0, mismatches = 0;
    for (int64_t b = 0; b < d.B; ++b)
      for (int64_t h = 0; h < d.H; ++h)
        for (int64_t i = 0; i < d.Lq; ++i)
          for (int64_t j = 0; j < d.Lk; ++j) {
            const float want = dropped[((b * d.H + h) * d.Lq + i) * d.Lk + j];
            const float got = o.out[(b * d.Lq + i) * d.H * d.Dv + h * d.Dv + j];
            zeros += want == 0.0f;
            mismatches += exact ? got != want : (got == 0.0f) != (want == 0.0f);
          }
    EXPECT_EQ(mismatches, 0);
    EXPECT_NEAR(static_cast<double>(zeros) / n, c.dropout_p, 0.05);
  });
  }
}

TEST(TokenAttentionKernel, SameBitsForAnyThreadCount) {
  for (const TokenAttentionDims d : {TokenAttentionDims{37, 4, 12, 12, 8, 8}, TokenAttentionDims{37, 16, 12, 12, 8, 8}}) {
  const Inputs in(d, 9);
  const TokenAttentionConfig c{0.3f, 0.25f, 3};
  const Use u{true, true, true};
  const int before = num_threads();
  set_num_threads(1);
  Outputs one(d);
  run(d, c, in, u, one, false);
  set_num_threads(3);
  Outputs three(d);
  run(d, c, in, u, three, false);
  set_num_threads(before);
  for (auto m : {&Outputs::out, &Outputs::scores, &Outputs::probs, &Outputs::dq, &Outputs::dk, &Outputs::dv,
                 &Outputs::ds})
    EXPECT_TRUE(all_close(one.*m, three.*m, 0, 0));
  }
}

}  // namespace
}  // namespace nd::kernels
