// Training-step and inference benchmarks of the engine; bench/peers/torch_engine.py runs the same
// jobs in PyTorch and bench/run_engine_bench.py prints both with ratios.
//   MLP 24->512->512->12, batch 32, MSE + Adam, one step
//   LSTM 2 x 128, seq 24, batch 32 + linear head 128->12, MSE + Adam, one step
//   LSTM same model, one series, no-grad forward
//   LSTM layer 128 -> 128 over 96 steps, batch 1024 (TFT's encoder at NeuralForecast's defaults),
//   forward + backward of the layer alone
// Argument: thread count.
#include <benchmark/benchmark.h>

#include "nd/kernels/gemm.h"
#include "nd/nd.h"

namespace {

using namespace nd;

void BM_MLPStep(benchmark::State& state) {
  set_num_threads(static_cast<int>(state.range(0)));
  nn::ParameterStore s;
  nn::MLP mlp(s, "mlp", 24, {512, 512}, 12, kernels::Act::relu);
  s.allocate(1);
  optim::Adam opt(s, optim::AdamOptions{1e-3f});
  const losses::Loss mse = losses::Loss::MSE();
  std::vector<float> x(32 * 24), y(32 * 12);
  Rng rng(0);
  for (float& v : x) v = rng.normal();
  for (float& v : y) v = rng.normal();
  Graph g;
  for (auto _ : state) {
    g.reset();
    opt.zero_grad();
    Var out = mlp.forward(g.input(Tensor(x.data(), Shape{32, 24})));
    Var l = mse(out, Tensor(y.data(), Shape{32, 12}));
    g.backward(l);
    opt.step();
    benchmark::DoNotOptimize(l.item());
  }
}

struct LSTMModel {
  nn::ParameterStore s;
  nn::LSTM lstm{s, "lstm", 1, 128, 2};
  nn::Linear head{s, "head", 128, 12};
  LSTMModel() { s.allocate(1); }
  Var forward(Var x) { return head.forward(lstm.forward(x).h_n); }
};

void BM_LSTMStep(benchmark::State& state) {
  set_num_threads(static_cast<int>(state.range(0)));
  LSTMModel m;
  optim::Adam opt(m.s, optim::AdamOptions{1e-3f});
  const losses::Loss mse = losses::Loss::MSE();
  std::vector<float> x(32 * 24), y(32 * 12);
  Rng rng(0);
  for (float& v : x) v = rng.normal();
  for (float& v : y) v = rng.normal();
  Graph g;
  for (auto _ : state) {
    g.reset();
    opt.zero_grad();
    Var out = m.forward(g.input(Tensor(x.data(), Shape{32, 24, 1})));
    Var l = mse(out, Tensor(y.data(), Shape{32, 12}));
    g.backward(l);
    opt.step();
    benchmark::DoNotOptimize(l.item());
  }
}

void BM_LSTMInferOneSeries(benchmark::State& state) {
  set_num_threads(static_cast<int>(state.range(0)));
  LSTMModel m;
  std::vector<float> x(24);
  Rng rng(0);
  for (float& v : x) v = rng.normal();
  Graph g;
  for (auto _ : state) {
    g.reset();
    NoGradGuard ng(g);
    Var out = m.forward(g.input(Tensor(x.data(), Shape{1, 24, 1})));
    benchmark::DoNotOptimize(out.data()[0]);
  }
}

void BM_LSTMLayerBatch1024(benchmark::State& state) {
  set_num_threads(static_cast<int>(state.range(0)));
  constexpr int64_t B = 1024, T = 96, H = 128;
  nn::ParameterStore s;
  nn::LSTM lstm(s, "lstm", H, H, 1);
  s.allocate(1);
  std::vector<float> x(B * T * H);
  Rng rng(0);
  for (float& v : x) v = rng.normal();
  Graph g;
  for (auto _ : state) {
    g.reset();
    s.zero_grad();
    Var in = g.input(Tensor(x.data(), Shape{B, T, H}), true);
    Var l = ops::mean_all(lstm.forward(in).y);
    g.backward(l);
    benchmark::DoNotOptimize(l.item());
  }
}

// The floor of single-series LSTM inference on this hardware: the 2 layers x 24 steps recurrent
// matrix-vector products W_hh [512, 128] @ h that no implementation can batch (each needs the
// previous step's output). Each streams 256 KB of weights from L2.
void BM_LSTMInferFloorGemv(benchmark::State& state) {
  set_num_threads(static_cast<int>(state.range(0)));
  std::vector<float> w(512 * 128, 0.01f), h(128, 0.5f), y(512);
  std::vector<float> w2(512 * 128, 0.02f);
  for (auto _ : state) {
    for (int t = 0; t < 24; ++t) {
      kernels::gemv(false, 512, 128, 1.0f, w.data(), h.data(), 0.0f, y.data());
      kernels::gemv(false, 512, 128, 1.0f, w2.data(), h.data(), 0.0f, y.data());
    }
    benchmark::DoNotOptimize(y.data());
  }
}

BENCHMARK(BM_MLPStep)->Arg(1)->Arg(2)->UseRealTime()->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_LSTMStep)->Arg(1)->Arg(2)->UseRealTime()->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_LSTMInferOneSeries)->Arg(1)->Arg(2)->UseRealTime()->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_LSTMLayerBatch1024)->Arg(1)->Arg(2)->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK(BM_LSTMInferFloorGemv)->Arg(1)->UseRealTime()->Unit(benchmark::kMicrosecond);

}  // namespace

BENCHMARK_MAIN();
