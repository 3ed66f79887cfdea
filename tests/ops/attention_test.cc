// scaled_dot_product_attention as an op: agrees with the materialized composition
// softmax(q k^T * scale + mask) v built from existing ops (forward and all gradients); gradients
// accumulate into inputs used twice; no tape under NoGradGuard; bad shapes name themselves.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <vector>

#include "nd/kernels/elementwise.h"
#include "nd/nd.h"

namespace nd {
namespace {

std::vector<float> randn(int64_t n, uint64_t seed) {
  Rng r(seed);
  std::vector<float> v(static_cast<size_t>(n));
  for (float& x : v) x = r.normal();
  return v;
}

double max_rel(const float* a, const float* b, int64_t n) {
  double num = 0.0, den = 0.0;
  for (int64_t i = 0; i < n; ++i) {
    num = std::max(num, std::fabs(static_cast<double>(a[i]) - b[i]));
    den = std::max(den, std::fabs(static_cast<double>(b[i])));
  }
  return num / std::max(den, 1e-30);
}

// The naive materialized reference from existing ops; mask [Lq, Lk] additive (0 / -inf) or empty.
Var naive_attention(Var q, Var k, Var v, float scale, const std::vector<float>& mask) {
  const int64_t B = q.size(0), H = q.size(1), Lq = q.size(2), D = q.size(3), Lk = k.size(2), Dv = v.size(3);
  Var s = ops::bmm(ops::reshape(q, {B * H, Lq, D}), ops::reshape(k, {B * H, Lk, D}), false, true);
  s = ops::mul(s, scale);
  if (!mask.empty()) s = ops::add(s, q.graph().input(Tensor(const_cast<float*>(mask.data()), Shape{Lq, Lk})));
  Var p = ops::softmax(s);
  return ops::reshape(ops::bmm(p, ops::reshape(v, {B * H, Lk, Dv})), {B, H, Lq, Dv});
}

void compare_with_naive(bool causal, int64_t Lq, int64_t Lk) {
  const int64_t B = 2, H = 3, D = 16, Dv = 12;
  auto qd = randn(B * H * Lq * D, 1), kd = randn(B * H * Lk * D, 2), vd = randn(B * H * Lk * Dv, 3);
  auto rd = randn(B * H * Lq * Dv, 4);
  std::vector<float> mask;
  if (causal) {
    mask.assign(static_cast<size_t>(Lq * Lk), 0.0f);
    for (int64_t i = 0; i < Lq; ++i)
      for (int64_t j = i + 1; j < Lk; ++j) mask[i * Lk + j] = -std::numeric_limits<float>::infinity();
  }
  std::vector<float> out[2], gq[2], gk[2], gv[2];
  for (int naive = 0; naive < 2; ++naive) {
    Graph g;
    Var q = g.input(Tensor(qd.data(), Shape{B, H, Lq, D}), true);
    Var k = g.input(Tensor(kd.data(), Shape{B, H, Lk, D}), true);
    Var v = g.input(Tensor(vd.data(), Shape{B, H, Lk, Dv}), true);
    Var y = naive ? naive_attention(q, k, v, 0.25f, mask)
                  : ops::scaled_dot_product_attention(q, k, v, {.causal = causal, .scale = 0.25f});
    g.backward(ops::sum_all(ops::mul(y, g.input(Tensor(rd.data(), y.shape())))));
    out[naive] = y.value().to_vector();
    gq[naive] = q.grad().to_vector();
    gk[naive] = k.grad().to_vector();
    gv[naive] = v.grad().to_vector();
  }
  EXPECT_LE(max_rel(out[0].data(), out[1].data(), static_cast<int64_t>(out[1].size())), 2e-6);
  EXPECT_LE(max_rel(gq[0].data(), gq[1].data(), static_cast<int64_t>(gq[1].size())), 1e-5);
  EXPECT_LE(max_rel(gk[0].data(), gk[1].data(), static_cast<int64_t>(gk[1].size())), 1e-5);
  EXPECT_LE(max_rel(gv[0].data(), gv[1].data(), static_cast<int64_t>(gv[1].size())), 1e-5);
}

TEST(AttentionOp, MatchesMaterializedSelf) { compare_with_naive(false, 150, 150); }
TEST(AttentionOp, MatchesMaterializedCausal) { compare_with_naive(true, 150, 150); }
TEST(AttentionOp, MatchesMaterializedCrossCausal) { compare_with_naive(true, 70, 201); }

TEST(AttentionOp, GradientsAccumulateWhenInputIsReused) {
  // Self attention with q = k = v = x: dx is the sum of the three gradients.
  const int64_t B = 1, H = 2, L = 33, D = 8;
  auto xd = randn(B * H * L * D, 7);
  Graph g;
  Var x = g.input(Tensor(xd.data(), Shape{B, H, L, D}), true);
  g.backward(ops::sum_all(ops::scaled_dot_product_attention(x, x, x)));
  std::vector<float> fused = x.grad().to_vector();
  Graph g2;
  Var x2 = g2.input(Tensor(xd.data(), Shape{B, H, L, D}), true);
  g2.backward(ops::sum_all(naive_attention(x2, x2, x2, 1.0f / std::sqrt(8.0f), {})));
  EXPECT_LE(max_rel(fused.data(), x2.grad().data, B * H * L * D), 1e-5);
}

TEST(AttentionOp, NoTapeUnderNoGrad) {
  Graph g;
  auto d = randn(2 * 5 * 4, 1);
  Var x = g.input(Tensor(d.data(), Shape{1, 2, 5, 4}), true);
  NoGradGuard ng(g);
  Var y = ops::scaled_dot_product_attention(x, x, x, {.dropout_p = 0.5f, .training = false});
  EXPECT_EQ(g.num_nodes(), 0u);
  EXPECT_FALSE(y.requires_grad());
}

TEST(AttentionOp, DropoutOnlyWhenTrainingAndDeterministic) {
  auto d = randn(1 * 2 * 20 * 4, 3);
  auto run = [&](bool training, uint64_t seed) {
    Graph g;
    Var x = g.input(Tensor(d.data(), Shape{1, 2, 20, 4}));
    return ops::scaled_dot_product_attention(x, x, x, {.dropout_p = 0.5f, .seed = seed, .training = training})
        .value()
        .to_vector();
  };
  const auto eval = run(false, 1), plain = [&] {
    Graph g;
    Var x = g.input(Tensor(d.data(), Shape{1, 2, 20, 4}));
    return ops::scaled_dot_product_attention(x, x, x).value().to_vector();
  }();
  EXPECT_EQ(eval, plain);
  EXPECT_EQ(run(true, 1), run(true, 1));
  EXPECT_NE(run(true, 1), run(true, 2));
  EXPECT_NE(run(true, 1), eval);
}

TEST(AttentionOp, BadInputsNameShapes) {
  Graph g;
  std::vector<float> buf(4096, 0.1f);
  auto in = [&](const Shape& s) { return g.input(Tensor(buf.data(), s)); };
  auto msg = [](auto&& f) {
    try {
      f();
    } catch (const Error& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  EXPECT_NE(msg([&] { ops::scaled_dot_product_attention(in({2, 4, 8}), in({2, 4, 8}), in({2, 4, 8})); })
                .find("[2, 4, 8]"),
            std::string::npos);
  EXPECT_NE(msg([&] { ops::scaled_dot_product_attention(in({1, 2, 4, 8}), in({1, 2, 5, 6}), in({1, 2, 5, 8})); })
                .find("head dimensions"),
            std::string::npos);
  EXPECT_NE(msg([&] { ops::scaled_dot_product_attention(in({1, 2, 4, 8}), in({1, 2, 5, 8}), in({1, 2, 6, 8})); })
                .find("[1, 2, 6, 8]"),
            std::string::npos);
  EXPECT_NE(msg([&] { ops::scaled_dot_product_attention(in({1, 2, 4, 8}), in({1, 3, 5, 8}), in({1, 3, 5, 8})); })
                .find("batch and head"),
            std::string::npos);
  EXPECT_NE(msg([&] {
              ops::scaled_dot_product_attention(in({1, 2, 4, 8}), in({1, 2, 4, 8}), in({1, 2, 4, 8}),
                                                {.dropout_p = 1.0f});
            }).find("dropout_p"),
            std::string::npos);
}

}  // namespace
}  // namespace nd

namespace nd {
namespace {

// token_attention against the composition it replaces (head split permutes, bmm, scale, + prev,
// softmax, dropout, bmm, merge permute): outputs, scores and every gradient, for the fused kernel
// (odd and cross lengths) and the general path (a length past 64). The dropout of the composition
// is a constant factor tensor from kernels::dropout with the op's seed over [B * H, Lq, Lk]: the
// op must draw exactly that mask.
struct TokenCase {
  int64_t B, Lq, Lk, H, D, Dv;
};

void check_token_attention(const TokenCase& c, bool with_prev, float p_drop) {
  SCOPED_TRACE(::testing::Message() << "B=" << c.B << " Lq=" << c.Lq << " Lk=" << c.Lk << " H=" << c.H << " D="
                                    << c.D << " Dv=" << c.Dv << " prev=" << with_prev << " p=" << p_drop);
  const int64_t B = c.B, Lq = c.Lq, Lk = c.Lk, H = c.H, D = c.D, Dv = c.Dv, nP = B * H * Lq * Lk;
  const uint64_t seed = 9;
  const std::vector<float> qv = randn(B * Lq * H * D, 1), kv = randn(B * Lk * H * D, 2),
                           vv = randn(B * Lk * H * Dv, 3), pv = randn(nP, 4), ro = randn(B * Lq * H * Dv, 5),
                           rs = randn(nP, 6);
  std::vector<float> ones(static_cast<size_t>(nP), 1.0f), factor(static_cast<size_t>(nP), 1.0f),
      tmp(static_cast<size_t>(nP));
  if (p_drop > 0.0f) kernels::dropout(ones.data(), seed, p_drop, tmp.data(), factor.data(), nP);
  struct Run {
    Var out, scores;
    std::vector<std::vector<float>> grads;
  };
  auto run = [&](Graph& g, bool fused) {
    auto in = [&](const std::vector<float>& x, Shape s, bool grad) {
      return g.input(Tensor(const_cast<float*>(x.data()), s), grad);
    };
    Var q = in(qv, {B, Lq, H * D}, true), k = in(kv, {B, Lk, H * D}, true), v = in(vv, {B, Lk, H * Dv}, true);
    Var prev = with_prev ? in(pv, {B * H, Lq, Lk}, true) : Var();
    Run r;
    if (fused) {
      auto t = ops::token_attention(q, k, v, H,
                                    {.scale = 0.3f, .prev = prev, .return_scores = true, .dropout_p = p_drop,
                                     .seed = seed, .training = true});
      r.out = t.out, r.scores = t.scores;
    } else {
      auto heads = [&](Var t, int64_t L, int64_t W) {
        return ops::reshape(ops::permute(ops::reshape(t, {B, L, H, W}), {0, 2, 1, 3}), {B * H, L, W});
      };
      r.scores = ops::mul(ops::bmm(heads(q, Lq, D), heads(k, Lk, D), false, true), 0.3f);
      if (with_prev) r.scores = ops::add(r.scores, prev);
      Var pd = ops::mul(ops::softmax(r.scores), in(factor, {B * H, Lq, Lk}, false));
      Var o = ops::bmm(pd, heads(v, Lk, Dv));
      r.out = ops::reshape(ops::permute(ops::reshape(o, {B, H, Lq, Dv}), {0, 2, 1, 3}), {B, Lq, H * Dv});
    }
    Var loss = ops::add(ops::sum_all(ops::mul(r.out, in(ro, r.out.shape(), false))),
                        ops::sum_all(ops::mul(r.scores, in(rs, r.scores.shape(), false))));
    g.backward(loss);
    for (Var x : {q, k, v, prev}) {
      if (!x.defined()) continue;
      Tensor gx = x.grad();
      r.grads.emplace_back(gx.data, gx.data + gx.numel());
    }
    return r;
  };
  Graph gf, gc;
  const Run f = run(gf, true), want = run(gc, false);
  EXPECT_LT(max_rel(f.out.data(), want.out.data(), want.out.numel()), 1e-5);
  EXPECT_LT(max_rel(f.scores.data(), want.scores.data(), want.scores.numel()), 1e-5);
  for (size_t x = 0; x < want.grads.size(); ++x)
    EXPECT_LT(max_rel(f.grads[x].data(), want.grads[x].data(), static_cast<int64_t>(want.grads[x].size())), 2e-5)
        << "gradient of input " << x;
}

TEST(TokenAttention, MatchesComposedHeadsScoresAndGradients) {
  const TokenCase cases[] = {
      {3, 12, 12, 4, 8, 8},  // PatchTST's heads
      {2, 7, 7, 2, 64, 64},  // iTransformer's
      {2, 5, 7, 3, 13, 7},   // odd, cross
      {2, 13, 5, 2, 7, 12},  // cross the other way
      {1, 70, 66, 2, 8, 8},  // the general path
  };
  for (const TokenCase& c : cases)
    for (bool with_prev : {false, true})
      for (float p : {0.0f, 0.3f}) check_token_attention(c, with_prev, p);
}

// Dropout only in training, the same output for the same seed, another for another seed.
TEST(TokenAttention, DropoutFollowsSeedAndTraining) {
  const int64_t B = 3, L = 12, H = 4, D = 8;
  const std::vector<float> qv = randn(B * L * H * D, 1), kv = randn(B * L * H * D, 2), vv = randn(B * L * H * D, 3);
  Graph g;
  auto in = [&](const std::vector<float>& x, Shape s) { return g.input(Tensor(const_cast<float*>(x.data()), s)); };
  Var q = in(qv, {B, L, H * D}), k = in(kv, {B, L, H * D}), v = in(vv, {B, L, H * D});
  auto t1 = ops::token_attention(q, k, v, H, {.dropout_p = 0.5f, .seed = 9, .training = true});
  auto t2 = ops::token_attention(q, k, v, H, {.dropout_p = 0.5f, .seed = 9, .training = true});
  auto t3 = ops::token_attention(q, k, v, H, {.dropout_p = 0.5f, .seed = 10, .training = true});
  auto ev = ops::token_attention(q, k, v, H, {.dropout_p = 0.5f, .seed = 9, .training = false});
  auto plain = ops::token_attention(q, k, v, H);
  const int64_t n = plain.out.numel();
  EXPECT_EQ(std::vector<float>(t1.out.data(), t1.out.data() + n), std::vector<float>(t2.out.data(), t2.out.data() + n));
  EXPECT_GT(max_rel(t1.out.data(), t3.out.data(), n), 1e-3);
  EXPECT_EQ(std::vector<float>(ev.out.data(), ev.out.data() + n),
            std::vector<float>(plain.out.data(), plain.out.data() + n));
}

TEST(TokenAttention, BadShapesNameThemselves) {
  Graph g;
  Var q = g.full({2, 5, 12}, 1.0f), k = g.full({2, 6, 12}, 1.0f), v = g.full({2, 5, 12}, 1.0f);
  auto msg = [&](auto f) {
    try {
      f();
    } catch (const Error& e) {
      return std::string(e.what());
    }
    return std::string();
  };
  EXPECT_NE(msg([&] { ops::token_attention(q, k, v, 3); }).find("do not match"), std::string::npos);
  EXPECT_NE(msg([&] { ops::token_attention(q, q, q, 5); }).find("heads do not divide"), std::string::npos);
  EXPECT_NE(msg([&] { ops::token_attention(q, q, q, 3, {.prev = g.full({6, 5, 4}, 0.0f)}); }).find("prev scores"),
            std::string::npos);
}

}  // namespace
}  // namespace nd
