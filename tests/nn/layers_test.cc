// Parameter store layout and naming, PyTorch-default initializers, train/eval, determinism.
#include <gtest/gtest.h>

#include <algorithm>

#include <cmath>

#include "nd/nd.h"

namespace nd {
namespace {

TEST(ParameterStore, OneAlignedBufferWithTorchNames) {
  nn::ParameterStore s;
  nn::Linear a(s, "fc", 24, 512);
  nn::LSTM lstm(s, "rnn", 1, 8, 2);
  s.allocate(0);
  std::vector<std::string> names;
  for (auto& p : s.params()) {
    names.push_back(p.name);
    EXPECT_EQ(p.offset % 16, 0) << p.name;
  }
  EXPECT_EQ(names, (std::vector<std::string>{"fc.weight", "fc.bias", "rnn.weight_ih_l0", "rnn.weight_hh_l0",
                                             "rnn.bias_ih_l0", "rnn.bias_hh_l0", "rnn.weight_ih_l1",
                                             "rnn.weight_hh_l1", "rnn.bias_ih_l1", "rnn.bias_hh_l1"}));
  EXPECT_EQ(s.num_parameters(), 24 * 512 + 512 + (32 * 1 + 32 * 8 + 64) + (32 * 8 + 32 * 8 + 64));
  // Views point into the single buffer.
  EXPECT_EQ(s.value(a.weight).data, s.data());
  EXPECT_GE(s.value(s.find("rnn.bias_hh_l1")).data, s.data());
  EXPECT_LT(s.value(s.find("rnn.bias_hh_l1")).data, s.data() + s.size());
  EXPECT_THROW(s.add("late", Shape{1}, nn::ParamInit::Constant(0)), Error);
}

// zero_grad() is lazy: the next backward's first write overwrites, later writes add (a parameter
// used twice in one graph gets both contributions), a parameter no gradient reached reads zero,
// and without zero_grad() gradients keep accumulating across backward calls.
TEST(ParameterStore, LazyZeroGradOverwritesThenAccumulates) {
  nn::ParameterStore s;
  nn::ParamRef w = s.add("w", Shape{3}, nn::ParamInit::Constant(2.0f));
  nn::ParamRef unused = s.add("unused", Shape{2}, nn::ParamInit::Constant(1.0f));
  s.allocate(1);
  std::vector<float> x = {1.0f, -2.0f, 0.5f};
  auto step = [&] {  // loss = sum(w * x) + sum(w * w): dloss/dw = x + 2w
    Graph g;
    Var a = s.var(g, w), b = s.var(g, w), u = s.var(g, unused);
    (void)u;
    Var xi = g.input(Tensor(x.data(), Shape{3}));
    g.backward(ops::add(ops::sum_all(ops::mul(a, xi)), ops::sum_all(ops::mul(b, b))));
  };
  const std::vector<float> once = {5.0f, 2.0f, 4.5f};
  std::fill(s.grad_data(), s.grad_data() + s.size(), 123.0f);  // stale values from "last step"
  s.zero_grad();
  step();
  EXPECT_EQ(s.grad(w).to_vector(), once);
  EXPECT_EQ(s.grad(unused).to_vector(), std::vector<float>(2, 0.0f));
  step();  // no zero_grad: accumulates
  EXPECT_EQ(s.grad(w).to_vector(), (std::vector<float>{10.0f, 4.0f, 9.0f}));
  s.zero_grad();
  std::fill(s.grad_data(), s.grad_data() + s.size(), 7.0f);  // grad_data() materializes the zeros first
  s.zero_grad();
  step();
  const float* all = s.grad_data();
  EXPECT_EQ(std::vector<float>(all, all + 3), once);
  EXPECT_EQ(s.grad(unused).to_vector(), std::vector<float>(2, 0.0f));
}

// A reshaped parameter (conv weights used as a matrix) writes its gradient straight into the
// store, accumulating with direct uses of the same parameter, and records no backward node.
TEST(ParameterStore, ReshapedParameterSharesTheStoreGradient) {
  nn::ParameterStore s;
  nn::ParamRef w = s.add("w", Shape{2, 3, 1}, nn::ParamInit::Constant(0.5f));
  s.allocate(1);
  std::vector<float> x = {1, 2, 3, 4, 5, 6};
  s.zero_grad();
  Graph g;
  Var wv = s.var(g, w);
  Var m = ops::reshape(wv, Shape{2, 3});
  EXPECT_EQ(g.num_nodes(), 0u);
  Var xi = g.input(Tensor(x.data(), Shape{2, 3}));
  // loss = sum(m * x) + sum(w^2): dloss/dw = x + 2w = x + 1
  g.backward(ops::add(ops::sum_all(ops::mul(m, xi)), ops::sum_all(ops::mul(wv, wv))));
  EXPECT_EQ(s.grad(w).to_vector(), (std::vector<float>{2, 3, 4, 5, 6, 7}));
  EXPECT_EQ(m.grad().to_vector(), s.grad(w).to_vector());
}

TEST(ParameterStore, DuplicateNamesRejected) {
  nn::ParameterStore s;
  nn::Linear a(s, "fc", 2, 2);
  EXPECT_THROW(nn::Linear(s, "fc", 2, 2), Error);
}

TEST(Init, MatchesPyTorchDefaults) {
  nn::ParameterStore s;
  nn::Linear lin(s, "lin", 100, 50);
  nn::Conv1d conv(s, "conv", 4, 8, 5);
  nn::GRU gru(s, "gru", 3, 64);
  nn::LayerNorm ln(s, "ln", 16);
  nn::Embedding emb(s, "emb", 100, 50);
  s.allocate(5);
  auto range = [&](nn::ParamRef r) {
    Tensor t = s.value(r);
    float lo = 1e9f, hi = -1e9f;
    for (int64_t k = 0; k < t.numel(); ++k) lo = std::min(lo, t.data[k]), hi = std::max(hi, t.data[k]);
    return std::pair<float, float>(lo, hi);
  };
  auto [l0, l1] = range(lin.weight);  // U(-1/sqrt(100), 1/sqrt(100))
  EXPECT_GE(l0, -0.1f);
  EXPECT_LE(l1, 0.1f);
  EXPECT_LT(l0, -0.09f);
  EXPECT_GT(l1, 0.09f);
  auto [c0, c1] = range(conv.weight);  // fan_in = 4 * 5
  EXPECT_GE(c0, -1.0f / std::sqrt(20.0f));
  EXPECT_LE(c1, 1.0f / std::sqrt(20.0f));
  auto [g0, g1] = range(s.find("gru.weight_hh_l0"));  // U(-1/sqrt(64), 1/sqrt(64))
  EXPECT_GE(g0, -0.125f);
  EXPECT_LE(g1, 0.125f);
  EXPECT_LT(g0, -0.12f);
  EXPECT_EQ(range(ln.weight), std::make_pair(1.0f, 1.0f));
  EXPECT_EQ(range(ln.bias), std::make_pair(0.0f, 0.0f));
  Tensor e = s.value(emb.weight);  // N(0, 1)
  double m = 0, v = 0;
  for (int64_t k = 0; k < e.numel(); ++k) m += e.data[k], v += e.data[k] * e.data[k];
  EXPECT_NEAR(m / e.numel(), 0.0, 0.05);
  EXPECT_NEAR(v / e.numel(), 1.0, 0.08);
}

TEST(Dropout, OnlyInTrainMode) {
  nn::ParameterStore s;
  nn::MLP mlp(s, "mlp", 4, {64}, 3, kernels::Act::relu, 0.5f, 1);
  s.allocate(1);
  std::vector<float> x(8, 1.0f);
  auto run = [&] {
    Graph g;
    NoGradGuard ng(g);
    return mlp.forward(g.input(Tensor(x.data(), Shape{2, 4}))).value().to_vector();
  };
  mlp.eval();
  EXPECT_EQ(run(), run());
  mlp.train();
  EXPECT_NE(run(), run());  // a fresh mask each call
}

// forward_add (one fused pass) is residual + forward(x): same mask, same values, same gradients.
TEST(Dropout, ForwardAddEqualsAddOfForward) {
  nn::ParameterStore s;
  nn::Dropout fused(s, "a", 0.3f, 9), plain(s, "b", 0.3f, 9);
  std::vector<float> r(60), x(60);
  for (int k = 0; k < 60; ++k) r[k] = 0.1f * k - 2.0f, x[k] = 1.5f - 0.07f * k;
  for (bool training : {true, false}) {
    if (training) fused.train(), plain.train();
    else fused.eval(), plain.eval();
    std::vector<float> out[2], gr[2], gx[2];
    for (int v = 0; v < 2; ++v) {
      Graph g;
      Var rv = g.input(Tensor(r.data(), Shape{6, 10}), true), xv = g.input(Tensor(x.data(), Shape{6, 10}), true);
      Var y = v == 0 ? fused.forward_add(rv, xv) : ops::add(rv, plain.forward(xv));
      Var loss = ops::sum_all(ops::mul(y, y));
      g.backward(loss);
      out[v] = y.value().to_vector(), gr[v] = rv.grad().to_vector(), gx[v] = xv.grad().to_vector();
    }
    ASSERT_EQ(out[0].size(), out[1].size());
    for (size_t k = 0; k < out[0].size(); ++k) {
      EXPECT_NEAR(out[0][k], out[1][k], 1e-6f * (1.0f + std::fabs(out[1][k]))) << k;  // FMA rounding
      EXPECT_NEAR(gr[0][k], gr[1][k], 1e-5f * (1.0f + std::fabs(gr[1][k]))) << k;
      EXPECT_EQ(gx[0][k] == 0.0f, gx[1][k] == 0.0f) << k;  // the same mask
      EXPECT_NEAR(gx[0][k], gx[1][k], 1e-5f * (1.0f + std::fabs(gx[1][k]))) << k;
    }
    if (training) EXPECT_NE(out[0], std::vector<float>(out[0].size(), 0.0f));
  }
}

// forward_act is forward(activation(x)): same mask, bit-identical values and gradients.
TEST(Dropout, ForwardActEqualsForwardOfActivation) {
  nn::ParameterStore s;
  nn::Dropout fused(s, "a", 0.3f, 9), plain(s, "b", 0.3f, 9);
  std::vector<float> x(60);
  for (int k = 0; k < 60; ++k) x[k] = 1.5f - 0.07f * k;
  for (bool training : {true, false}) {
    if (training) fused.train(), plain.train();
    else fused.eval(), plain.eval();
    std::vector<float> out[2], gx[2];
    for (int v = 0; v < 2; ++v) {
      Graph g;
      Var xv = g.input(Tensor(x.data(), Shape{6, 10}), true);
      Var y = v == 0 ? fused.forward_act(xv, kernels::Act::gelu) : plain.forward(ops::gelu(xv));
      g.backward(ops::sum_all(ops::mul(y, y)));
      out[v] = y.value().to_vector(), gx[v] = xv.grad().to_vector();
    }
    EXPECT_EQ(out[0], out[1]);
    EXPECT_EQ(gx[0], gx[1]);
    EXPECT_EQ(std::count(out[0].begin(), out[0].end(), 0.0f) > 5, training);  // masked when training
  }
}

// forward_add_after(inner, r, x) = r + outer(inner(x)) in distribution: one mask keeping each
// element with probability (1 - p_outer)(1 - p_inner), kept values scaled by its inverse; plain
// addition in eval mode.
TEST(Dropout, ForwardAddAfterComposesTheKeepProbabilities) {
  nn::ParameterStore s;
  nn::Dropout inner(s, "inner", 0.2f, 3), outer(s, "outer", 0.25f, 4);
  const int64_t n = 200000;
  std::vector<float> r(n), x(n, 2.0f);
  for (int64_t k = 0; k < n; ++k) r[k] = static_cast<float>(k % 11);
  for (bool training : {true, false}) {
    if (training) inner.train(), outer.train();
    else inner.eval(), outer.eval();
    Graph g;
    Var y = outer.forward_add_after(inner, g.input(Tensor(r.data(), Shape{n})), g.input(Tensor(x.data(), Shape{n})));
    const float keep = training ? 0.8f * 0.75f : 1.0f;
    int64_t kept = 0;
    for (int64_t k = 0; k < n; ++k) {
      const float d = y.value().data[k] - r[k];
      if (d != 0.0f) {
        ++kept;
        EXPECT_NEAR(d, 2.0f / keep, 1e-5f) << k;
      }
    }
    EXPECT_NEAR(static_cast<double>(kept) / n, keep, training ? 0.005 : 0.0);
  }
}

// One training run: same seed + same thread count => bit-identical parameters.
std::vector<float> train_once(uint64_t seed, int threads) {
  set_num_threads(threads);
  nn::ParameterStore s;
  nn::MLP mlp(s, "mlp", 24, {64, 64}, 12, kernels::Act::relu, 0.1f, seed);
  nn::LSTM lstm(s, "lstm", 1, 16, 1);
  nn::Linear head(s, "head", 16, 12);
  s.allocate(seed);
  optim::Adam opt(s, optim::AdamOptions{1e-2f});
  Rng rng(seed);
  std::vector<float> x(16 * 24), y(16 * 12);
  Graph g;
  for (int step = 0; step < 20; ++step) {
    for (float& v : x) v = rng.normal();
    for (float& v : y) v = rng.normal();
    g.reset();
    opt.zero_grad();
    Var xin = g.input(Tensor(x.data(), Shape{16, 24}));
    Var h = lstm.forward(ops::reshape(xin, {16, 24, 1})).h_n;
    Var out = ops::add(mlp.forward(xin), head.forward(h));
    g.backward(losses::Loss::MSE()(out, Tensor(y.data(), Shape{16, 12})));
    optim::clip_grad_norm(s, 1.0f);
    opt.step();
  }
  return std::vector<float>(s.data(), s.data() + s.size());
}

TEST(Determinism, SameSeedSameThreadsBitIdentical) {
  const int prev = num_threads();
  EXPECT_EQ(train_once(3, 1), train_once(3, 1));
  EXPECT_EQ(train_once(3, 2), train_once(3, 2));
  EXPECT_NE(train_once(3, 1), train_once(4, 1));
  set_num_threads(prev);
}

TEST(Clip, ScalesToMaxNorm) {
  nn::ParameterStore s;
  auto p = s.add("p", Shape{4}, nn::ParamInit::Constant(0));
  s.allocate(0);
  float g[4] = {3, 4, 0, 0};
  std::copy(g, g + 4, s.grad(p).data);
  EXPECT_NEAR(optim::clip_grad_norm(s, 1.0f), 5.0f, 1e-6);
  EXPECT_NEAR(s.grad(p).data[0], 0.6f, 1e-5);
  EXPECT_NEAR(s.grad(p).data[1], 0.8f, 1e-5);
  s.grad(p).data[2] = std::nanf("");
  EXPECT_THROW(optim::clip_grad_norm(s, 1.0f), Error);
}

}  // namespace
}  // namespace nd
