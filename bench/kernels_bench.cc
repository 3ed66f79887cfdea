// Kernel benchmarks: every Highway kernel at a realistic size, once on the SIMD path ("simd": the
// best target of this CPU) and once on the scalar reference ("scalar"), plus GEMM through
// nd::kernels::gemm against a direct cblas_sgemm call (one BLAS thread each). Ends with a summary
// table of the ratios (medians of 3 repetitions). Default run time is about 35 s on a 2-core
// machine; --benchmark_filter=... narrows it.
#include <benchmark/benchmark.h>
#include <cblas.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "nd/core/parallel.h"
#include "nd/core/rng.h"
#include "nd/kernels/activation.h"
#include "nd/kernels/batchnorm.h"
#include "nd/kernels/convert.h"
#include "nd/kernels/dispatch.h"
#include "nd/kernels/elementwise.h"
#include "nd/kernels/gemm.h"
#include "nd/kernels/layernorm.h"
#include "nd/kernels/loss_kernels.h"
#include "nd/kernels/optim_kernels.h"
#include "nd/kernels/reduce.h"
#include "nd/kernels/rnn_cells.h"
#include "nd/kernels/softmax.h"
#include "nd/kernels/stats.h"
#include "nd/kernels/transpose.h"

namespace {

namespace k = nd::kernels;

constexpr double kMinTime = 0.05;  // seconds per repetition
constexpr int kReps = 3;           // the summary uses the median of the repetitions
constexpr int64_t kN = 32768;      // elementwise / activation / reduction length
constexpr int64_t kRows = 64, kD = 512;  // softmax and layer norm: [64, 512]
constexpr int64_t kB = 32, kH = 256;     // recurrent cells: batch 32, hidden 256
constexpr int64_t kBnRows = 12288, kBnC = 128;  // batch norm: PatchTST's [B * patches, hidden]

std::vector<float> random_vec(int64_t n, float lo, float hi, uint64_t seed) {
  nd::Rng rng(seed);
  std::vector<float> v(static_cast<size_t>(n));
  for (float& x : v) x = rng.uniform(lo, hi);
  return v;
}

// Buffers shared by the closures of one benchmark (kept alive by the closures themselves).
struct Arrays {
  std::vector<std::vector<float>> f;
  std::vector<uint16_t> h;
  float* operator[](size_t i) { return f[i].data(); }
};
std::shared_ptr<Arrays> arrays(int count, int64_t n, float lo = -4.0f, float hi = 4.0f) {
  auto a = std::make_shared<Arrays>();
  for (int i = 0; i < count; ++i) a->f.push_back(random_vec(n, lo, hi, 100 + i));
  return a;
}

std::vector<std::string> g_kernels;                  // registration order, for the summary
std::vector<std::string> g_gemms;
std::map<std::string, double> g_ns;                  // benchmark name -> ns per iteration

// Registers BM_<name>/simd and BM_<name>/scalar running fn under the two paths.
void add(const std::string& name, std::function<void()> fn) {
  g_kernels.push_back(name);
  for (const std::string isa : {"simd", "scalar"}) {
    benchmark::RegisterBenchmark(("BM_" + name + "/" + isa).c_str(),
                                 [fn, isa](benchmark::State& st) {
                                   k::force_isa(isa == "simd" ? "best" : "scalar");
                                   for (auto _ : st) {
                                     fn();
                                     benchmark::ClobberMemory();
                                   }
                                   k::force_isa("best");
                                 })
        ->MinTime(kMinTime)
        ->Repetitions(kReps)
        ->ReportAggregatesOnly(true)
        ->Unit(benchmark::kNanosecond);
  }
}

void register_kernels() {
  {
    auto a = arrays(3, kN);
    add("binary_add", [a] { k::binary(k::BinOp::add, (*a)[0], (*a)[1], (*a)[2], kN); });
    add("binary_mul", [a] { k::binary(k::BinOp::mul, (*a)[0], (*a)[1], (*a)[2], kN); });
    add("axpy", [a] { k::axpy(1e-6f, (*a)[0], (*a)[2], kN); });
  }
  const k::Act acts[] = {k::Act::relu, k::Act::leaky_relu, k::Act::elu,  k::Act::selu,     k::Act::gelu,
                         k::Act::silu, k::Act::tanh,       k::Act::sigmoid, k::Act::softplus, k::Act::softsign};
  for (k::Act act : acts) {
    auto a = arrays(4, kN, -8.0f, 8.0f);
    const std::string name = k::act_name(act);
    add(name + "_fwd", [a, act] { k::act_forward(act, (*a)[0], (*a)[1], kN, 0.1f); });
    add(name + "_bwd", [a, act] { k::act_backward(act, (*a)[0], (*a)[1], (*a)[2], (*a)[3], kN, 0.1f); });
  }
  {
    auto a = arrays(4, kRows * kD, -6.0f, 6.0f);
    add("softmax_fwd", [a] { k::softmax_forward((*a)[0], (*a)[1], kRows, kD); });
    add("softmax_bwd", [a] { k::softmax_backward((*a)[1], (*a)[2], (*a)[3], kRows, kD); });
    add("log_softmax_fwd", [a] { k::log_softmax_forward((*a)[0], (*a)[1], kRows, kD); });
    add("log_softmax_bwd", [a] { k::log_softmax_backward((*a)[1], (*a)[2], (*a)[3], kRows, kD); });
  }
  {
    auto a = arrays(5, kRows * kD, -2.0f, 2.0f);
    auto p = arrays(4, kD, 0.5f, 1.5f);
    auto s = arrays(2, kRows, 0.5f, 1.0f);
    add("layer_norm_fwd", [a, p, s] {
      k::layer_norm_forward((*a)[0], (*p)[0], (*p)[1], (*a)[1], (*s)[0], (*s)[1], kRows, kD, 1e-5f);
    });
    add("layer_norm_bwd", [a, p, s] {
      k::layer_norm_backward((*a)[0], (*a)[2], (*p)[0], (*s)[0], (*s)[1], (*a)[3], (*p)[2], (*p)[3], kRows, kD);
    });
  }
  {
    auto a = arrays(4, kBnRows * kBnC, -2.0f, 2.0f);
    auto p = arrays(6, kBnC, 0.5f, 1.5f);  // gamma, beta, mean, rstd, sum_dy, sum_dy_xhat
    add("batch_norm_stats", [a, p] { k::batch_norm_stats((*a)[0], kBnRows, kBnC, kBnC, (*p)[2], (*p)[3]); });
    add("batch_norm_apply", [a, p] {
      k::batch_norm_apply((*a)[0], (*p)[2], (*p)[3], (*p)[0], (*p)[1], (*a)[1], kBnRows, kBnC, kBnC);
    });
    add("batch_norm_bwd_sums", [a, p] {
      k::batch_norm_backward_sums((*a)[0], (*a)[2], (*p)[2], (*p)[3], (*p)[4], (*p)[5], kBnRows, kBnC, kBnC);
    });
    add("batch_norm_bwd_dx", [a, p] {
      k::batch_norm_backward_dx((*a)[0], (*a)[2], (*p)[2], (*p)[3], (*p)[0], (*p)[4], (*p)[5], (*a)[3], kBnRows, kBnC,
                                kBnC, true);
    });
  }
  {
    auto a = arrays(3, kN);
    add("sum", [a] { benchmark::DoNotOptimize(k::sum((*a)[0], kN)); });
    add("max", [a] { benchmark::DoNotOptimize(k::max((*a)[0], kN)); });
    add("dot", [a] { benchmark::DoNotOptimize(k::dot((*a)[0], (*a)[1], kN)); });
    add("reduce_sum_mid", [a] { k::reduce_sum((*a)[0], (*a)[2], 8, 64, 64); });  // [8, 64, 64] over axis 1
    add("reduce_max_mid", [a] { k::reduce_max((*a)[0], (*a)[2], 8, 64, 64); });
  }
  {
    auto a = arrays(3, kN, -10.0f, 10.0f);
    for (int64_t i = 0; i < kN; ++i) (*a)[1][i] = (i % 7 == 3) ? 0.0f : 1.0f;  // mask: 6 of 7 valid
    add("masked_mean_std", [a] {
      benchmark::DoNotOptimize(k::masked_mean((*a)[0], (*a)[1], kN));
      benchmark::DoNotOptimize(k::masked_std((*a)[0], (*a)[1], kN, 1));
    });
    add("median", [a] { benchmark::DoNotOptimize(k::masked_median((*a)[0], (*a)[1], kN, (*a)[2])); });
    add("quantile", [a] { benchmark::DoNotOptimize(k::masked_quantile((*a)[0], (*a)[1], kN, 0.9f, (*a)[2])); });
    add("mad", [a] { benchmark::DoNotOptimize(k::masked_mad((*a)[0], nullptr, kN, (*a)[2])); });
  }
  {
    auto a = arrays(4, kN, -2.0f, 2.0f);
    add("mae_sum", [a] { benchmark::DoNotOptimize(k::point_loss_sum(k::PointLoss::mae, (*a)[0], (*a)[1], (*a)[2], kN, 1)); });
    add("mse_grad", [a] { k::point_loss_grad(k::PointLoss::mse, (*a)[0], (*a)[1], (*a)[2], kN, 1, 1e-3f, (*a)[3]); });
    add("huber_sum", [a] { benchmark::DoNotOptimize(k::point_loss_sum(k::PointLoss::huber, (*a)[0], (*a)[1], (*a)[2], kN, 1)); });
    add("smape_grad", [a] { k::point_loss_grad(k::PointLoss::smape, (*a)[0], (*a)[1], (*a)[2], kN, 1, 1e-3f, (*a)[3]); });
    constexpr int64_t nq = 9, n = kN / nq;
    auto q = arrays(1, nq, 0.05f, 0.95f);
    add("quantile_loss_sum", [a, q] { benchmark::DoNotOptimize(k::quantile_loss_sum((*a)[0], (*a)[1], (*a)[2], (*q)[0], n, nq)); });
    add("quantile_loss_grad", [a, q] { k::quantile_loss_grad((*a)[0], (*a)[1], (*a)[2], (*q)[0], n, nq, 1e-3f, (*a)[3]); });
  }
  {
    auto a = arrays(4, kN, -0.1f, 0.1f);
    for (int64_t i = 0; i < kN; ++i) (*a)[3][i] = std::abs((*a)[3][i]);  // v >= 0
    add("adam_step", [a] {
      static const k::AdamScalars s = k::adam_scalars(1e-3, 0.9, 0.999, 1e-8, 1e-2, 1);
      k::adam_step((*a)[0], (*a)[1], (*a)[2], (*a)[3], kN, s, true);
    });
    add("sgd_step", [a] { k::sgd_step((*a)[0], (*a)[1], (*a)[2], kN, 1e-3f, 0.9f, 0.0f, 1e-4f, true, false); });
  }
  {
    auto a = arrays(2, kN, -100.0f, 100.0f);
    a->h.resize(kN);
    k::f32_to_f16((*a)[0], a->h.data(), kN);
    add("f32_to_bf16", [a] { k::f32_to_bf16((*a)[0], a->h.data(), kN); });
    add("bf16_to_f32", [a] { k::bf16_to_f32(a->h.data(), (*a)[1], kN); });
    add("f32_to_f16", [a] { k::f32_to_f16((*a)[0], a->h.data(), kN); });
    add("f16_to_f32", [a] { k::f16_to_f32(a->h.data(), (*a)[1], kN); });
  }
  {
    auto a = arrays(6, kB * 4 * kH, -2.0f, 2.0f);
    add("lstm_cell_fwd", [a] { k::lstm_cell_forward((*a)[0], (*a)[1], (*a)[2], (*a)[3], kB, kH); });
    add("lstm_cell_bwd", [a] {
      k::lstm_cell_backward((*a)[0], (*a)[1], (*a)[2], (*a)[3], (*a)[4], (*a)[5], (*a)[1] + kB * kH, kB, kH);
    });
    add("gru_cell_fwd", [a] { k::gru_cell_forward((*a)[0], (*a)[1], (*a)[2], (*a)[3], (*a)[4], kB, kH); });
    add("gru_cell_bwd", [a] {
      k::gru_cell_backward((*a)[4], (*a)[2], (*a)[3], (*a)[0], (*a)[1], (*a)[5], kB, kH);
    });
    add("rnn_tanh_fwd", [a] { k::rnn_cell_forward((*a)[5], kB * kH, false); });
  }
  {
    // The RNN ops' layout change: one step's [batch 256, features 128] rows, 12 steps apart in a
    // batch-first array, into a feature-major [128, 256] block.
    constexpr int64_t nb = 256, F = 128, T = 12;
    auto a = arrays(2, nb * T * F, -2.0f, 2.0f);
    add("transpose_rnn_step", [a] { k::transpose((*a)[0], T * F, (*a)[1], nb, nb, F); });
  }
  {
    auto a = arrays(3, 2 * kN, -4.0f, 4.0f);
    add("glu_fwd", [a] { k::glu_forward((*a)[0], (*a)[1], kN / kD, kD); });
    add("glu_bwd", [a] { k::glu_backward((*a)[0], (*a)[1], (*a)[2], kN / kD, kD); });
  }
}

// GEMM through our wrapper vs cblas_sgemm directly, same shape, same (single) BLAS thread.
void register_gemm(int64_t m, int64_t n, int64_t kk) {
  const std::string name = std::to_string(m) + "x" + std::to_string(n) + "x" + std::to_string(kk);
  g_gemms.push_back(name);
  auto a = arrays(3, std::max({m * kk, kk * n, m * n}), -1.0f, 1.0f);
  benchmark::RegisterBenchmark(("BM_gemm/" + name + "/ours").c_str(), [a, m, n, kk](benchmark::State& st) {
    for (auto _ : st) {
      k::gemm(false, false, m, n, kk, (*a)[0], (*a)[1], (*a)[2], 0.0f);
      benchmark::ClobberMemory();
    }
  })->MinTime(kMinTime)->Repetitions(kReps)->ReportAggregatesOnly(true)->Unit(benchmark::kNanosecond);
  benchmark::RegisterBenchmark(("BM_gemm/" + name + "/direct").c_str(), [a, m, n, kk](benchmark::State& st) {
    for (auto _ : st) {
      cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, static_cast<int>(m), static_cast<int>(n),
                  static_cast<int>(kk), 1.0f, (*a)[0], static_cast<int>(kk), (*a)[1], static_cast<int>(n), 0.0f,
                  (*a)[2], static_cast<int>(n));
      benchmark::ClobberMemory();
    }
  })->MinTime(kMinTime)->Repetitions(kReps)->ReportAggregatesOnly(true)->Unit(benchmark::kNanosecond);
}

// The large-product backends side by side (nd::kernels::set_gemm_backend) on the layer shapes of
// iTransformer and PatchTST at NeuralForecast's defaults (forward NT, backward NN and TN), operands
// rotating over 16 sets so that they come from memory or L3 as in a training step, not from L1/L2
// as in a loop over one set. The measurements behind the default backend (kernels/gemm.cc).
struct LayerGemm {
  int64_t m, n, k;
  bool ta, tb;
};
const LayerGemm kLayerGemms[] = {{224, 512, 512, false, true},  {224, 2048, 512, false, true},
                                 {224, 512, 2048, false, true}, {224, 512, 2048, false, false},
                                 {224, 2048, 512, false, false}, {2048, 512, 224, true, false},
                                 {512, 2048, 224, true, false},  {512, 512, 224, true, false},
                                 // PatchTST's (12288 patch tokens, hidden 128, feed-forward 256)
                                 {12288, 128, 128, false, true}, {12288, 256, 128, false, true},
                                 {12288, 128, 256, false, true}, {12288, 128, 128, false, false},
                                 {12288, 128, 256, false, false}, {12288, 256, 128, false, false},
                                 {128, 128, 12288, true, false}, {256, 128, 12288, true, false},
                                 {128, 256, 12288, true, false}};
std::vector<std::string> g_layer_gemms;

std::string layer_gemm_name(const LayerGemm& g) {
  return std::to_string(g.m) + "x" + std::to_string(g.n) + "x" + std::to_string(g.k) + (g.ta ? "T" : "N") +
         (g.tb ? "T" : "N");
}

void register_layer_gemms() {
  if (!k::onednn_gemm_available()) return;
  constexpr int kSets = 16;
  for (const LayerGemm& g : kLayerGemms) {
    const std::string name = layer_gemm_name(g);
    g_layer_gemms.push_back(name);
    auto a = arrays(3 * kSets, std::max({g.m * g.k, g.k * g.n, g.m * g.n}), -1.0f, 1.0f);
    for (bool onednn : {false, true}) {
      benchmark::RegisterBenchmark(
          ("BM_gemm_layer/" + name + (onednn ? "/onednn" : "/blas")).c_str(), [a, g, onednn](benchmark::State& st) {
            const k::GemmBackend saved = k::set_gemm_backend(onednn ? k::GemmBackend::kOnednn : k::GemmBackend::kBlas);
            int q = 0;
            for (auto _ : st) {
              k::gemm(g.ta, g.tb, g.m, g.n, g.k, (*a)[3 * q], (*a)[3 * q + 1], (*a)[3 * q + 2], 0.0f);
              benchmark::ClobberMemory();
              q = (q + 1) % kSets;
            }
            k::set_gemm_backend(saved);
          })->MinTime(kMinTime)->Repetitions(kReps)->ReportAggregatesOnly(true)->Unit(benchmark::kMicrosecond);
    }
  }
}

// Console output as usual, plus the real time per iteration of every benchmark for the summary:
// the median over repetitions (robust to a noisy neighbour), or the single run without them.
class CollectingReporter : public benchmark::ConsoleReporter {
 public:
  void ReportRuns(const std::vector<Run>& runs) override {
    for (const Run& r : runs) {
      if (r.error_occurred) continue;
      const bool median = r.run_type == Run::RT_Aggregate && r.aggregate_name == "median";
      if (median || (r.run_type == Run::RT_Iteration && !g_ns.count(r.run_name.function_name)))
        g_ns[r.run_name.function_name] = r.GetAdjustedRealTime();
    }
    ConsoleReporter::ReportRuns(runs);
  }
};

void print_summary() {
  std::printf("\nISA: %s (scalar = reference kernels)\n", k::available_isas().front().c_str());
  std::printf("%-22s %14s %14s %9s\n", "kernel", "simd ns", "scalar ns", "speedup");
  for (const std::string& name : g_kernels) {
    const auto s = g_ns.find("BM_" + name + "/simd"), r = g_ns.find("BM_" + name + "/scalar");
    if (s == g_ns.end() || r == g_ns.end()) continue;
    std::printf("%-22s %14.0f %14.0f %8.2fx\n", name.c_str(), s->second, r->second, r->second / s->second);
  }
  std::printf("\nGEMM (MxNxK, %s, 1 thread)  ours = nd::kernels::gemm, direct = cblas_sgemm\n", k::blas_name());
  std::printf("%-22s %14s %14s %16s\n", "shape", "ours ns", "direct ns", "ours speed");
  for (const std::string& name : g_gemms) {
    const auto o = g_ns.find("BM_gemm/" + name + "/ours"), d = g_ns.find("BM_gemm/" + name + "/direct");
    if (o == g_ns.end() || d == g_ns.end()) continue;
    std::printf("%-22s %14.0f %14.0f %14.1f %%\n", name.c_str(), o->second, d->second, 100.0 * d->second / o->second);
  }
  if (g_layer_gemms.empty()) return;
  std::printf("\nLarge-product backends, iTransformer's and PatchTST's layer shapes, operands from memory "
              "(1 thread; default here: %s)\n", k::blas_name());
  std::printf("%-22s %14s %14s %14s\n", "shape", "BLAS GFLOP/s", "oneDNN GFLOP/s", "oneDNN / BLAS");
  double sum_b = 0, sum_o = 0;
  for (size_t i = 0; i < g_layer_gemms.size(); ++i) {
    const std::string& name = g_layer_gemms[i];
    const auto b = g_ns.find("BM_gemm_layer/" + name + "/blas"), o = g_ns.find("BM_gemm_layer/" + name + "/onednn");
    if (b == g_ns.end() || o == g_ns.end()) continue;
    const LayerGemm& g = kLayerGemms[i];
    const double flop = 2.0 * static_cast<double>(g.m * g.n * g.k);
    sum_b += b->second, sum_o += o->second;
    // Times are in microseconds: flop / us / 1e3 = GFLOP/s.
    std::printf("%-22s %14.1f %14.1f %13.2fx\n", name.c_str(), flop / b->second / 1e3, flop / o->second / 1e3,
                b->second / o->second);
  }
  std::printf("%-22s %14.1f %14.1f %13.2fx  (ms: one call of each shape)\n", "all", sum_b / 1e3, sum_o / 1e3,
              sum_b / sum_o);
}

}  // namespace

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  nd::set_num_threads(1);  // every row on one thread (oneDNN's products would otherwise split in panels)
  register_kernels();
  register_gemm(32, 512, 512);
  register_gemm(256, 256, 256);
  register_gemm(1, 512, 512);
  register_layer_gemms();
  CollectingReporter reporter;
  benchmark::RunSpecifiedBenchmarks(&reporter);
  print_summary();
  benchmark::Shutdown();
  return 0;
}
