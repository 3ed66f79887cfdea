// Recurrent ops: the batch-blocked multi-thread path matches the single-block path, and repeated
// runs at a given thread count are bit-identical.
#include <gtest/gtest.h>

#include <cmath>

#include "nd/nd.h"

namespace nd {
namespace {

struct LayerRun {
  std::vector<float> y, gx, gw;
};

// LSTM / GRU / RNN layer on B = 24 series, forward + backward of sum(y * r) + sum(h_n).
LayerRun run_layer(int kind, int threads) {
  set_num_threads(threads);
  const int64_t B = 24, T = 7, I = 3, H = 10, G = kind == 0 ? 4 : kind == 1 ? 3 : 1;
  Rng rng(11);
  std::vector<float> x(B * T * I), h0(B * H), wih(G * H * I), whh(G * H * H), bih(G * H), bhh(G * H), r(B * T * H);
  for (auto* v : {&x, &h0, &wih, &whh, &bih, &bhh, &r})
    for (float& e : *v) e = rng.uniform(-0.5f, 0.5f);
  Graph g;
  Var xv = g.input(Tensor(x.data(), Shape{B, T, I}), true);
  Var hv = g.input(Tensor(h0.data(), Shape{B, H}), true);
  Var a = g.input(Tensor(wih.data(), Shape{G * H, I}), true), b = g.input(Tensor(whh.data(), Shape{G * H, H}), true);
  Var c = g.input(Tensor(bih.data(), Shape{G * H}), true), e = g.input(Tensor(bhh.data(), Shape{G * H}), true);
  ops::RnnOut o = kind == 0   ? ops::lstm_layer(xv, hv, Var(), a, b, c, e)
                  : kind == 1 ? ops::gru_layer(xv, hv, a, b, c, e)
                              : ops::rnn_layer(xv, hv, a, b, c, e);
  Var loss = ops::add(ops::sum_all(ops::mul(o.y, g.input(Tensor(r.data(), Shape{B, T, H})))), ops::sum_all(o.h_n));
  g.backward(loss);
  LayerRun run{o.y.value().to_vector(), xv.grad().to_vector(), b.grad().to_vector()};
  for (float v : c.grad().to_vector()) run.gw.push_back(v);
  for (float v : hv.grad().to_vector()) run.gx.push_back(v);
  return run;
}

double max_rel(const std::vector<float>& a, const std::vector<float>& b) {
  double num = 0, den = 1e-12;
  for (size_t k = 0; k < a.size(); ++k) {
    num = std::max(num, std::fabs(static_cast<double>(a[k]) - b[k]));
    den = std::max(den, std::fabs(static_cast<double>(b[k])));
  }
  return num / den;
}

TEST(RecurrentBlocks, MultiThreadMatchesSingleBlock) {
  const int prev = num_threads();
  for (int kind : {0, 1, 2}) {
    const LayerRun one = run_layer(kind, 1), three = run_layer(kind, 3), three_again = run_layer(kind, 3);
    EXPECT_LE(max_rel(three.y, one.y), 1e-6) << "kind " << kind;
    EXPECT_LE(max_rel(three.gx, one.gx), 1e-5) << "kind " << kind;
    EXPECT_LE(max_rel(three.gw, one.gw), 1e-5) << "kind " << kind;
    EXPECT_EQ(three.gw, three_again.gw) << "kind " << kind << ": not deterministic at 3 threads";
  }
  set_num_threads(prev);
}

}  // namespace
}  // namespace nd
