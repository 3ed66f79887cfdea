// ops::token_attention forward and backward at a model's shape (default: PatchTST at NeuralForecast's
// defaults, 1024 windows x 12 patches, 16 heads of 8, two layers passing residual scores; the
// outputs are added and seeded, so every layer gets an output gradient and all but the last a
// score gradient). Prints one JSON line: median and minimum CPU milliseconds (process CPU time,
// steadier than wall time on a shared machine; the minimum is the least disturbed by neighbours)
// of the attention forward calls and of the backward pass (which includes the add's), a checksum.
// Usage: token_attention_bench [--B 1024] [--L 12] [--H 16] [--D 8] [--residual 1] [--layers 2]
//        [--dropout 0] [--threads 1] [--reps 15]
#include <time.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "nd/nd.h"

namespace {

using namespace nd;

double cpu_ms() {
  timespec t{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
  return t.tv_sec * 1e3 + t.tv_nsec * 1e-6;
}

double median_of(std::vector<double> x) {
  std::sort(x.begin(), x.end());
  return x.empty() ? 0.0 : x[x.size() / 2];
}
double min_of(const std::vector<double>& x) { return x.empty() ? 0.0 : *std::min_element(x.begin(), x.end()); }

}  // namespace

int main(int argc, char** argv) {
  int64_t B = 1024, L = 12, H = 16, D = 8, residual = 1, layers = 2, threads = 1, reps = 15;
  float dropout = 0.0f;
  for (int a = 1; a + 1 < argc; a += 2) {
    const std::string k = argv[a];
    const char* v = argv[a + 1];
    if (k == "--B") B = std::atoll(v);
    else if (k == "--L") L = std::atoll(v);
    else if (k == "--H") H = std::atoll(v);
    else if (k == "--D") D = std::atoll(v);
    else if (k == "--residual") residual = std::atoll(v);
    else if (k == "--layers") layers = std::max<int64_t>(1, std::atoll(v));
    else if (k == "--dropout") dropout = static_cast<float>(std::atof(v));
    else if (k == "--threads") threads = std::atoll(v);
    else if (k == "--reps") reps = std::atoll(v);
    else {
      std::fprintf(stderr, "unknown argument %s\n", k.c_str());
      return 2;
    }
  }
  set_num_threads(static_cast<int>(threads));
  const int64_t n = B * L * H * D, ns = B * H * L * L;
  std::vector<float> q(n), k(n), v(n), d_o(n), prev(ns);
  Rng rng(1);
  for (auto* buf : {&q, &k, &v, &d_o, &prev})
    for (float& x : *buf) x = rng.normal();
  Graph g;
  std::vector<double> fwd, bwd;
  double checksum = 0.0;
  for (int64_t it = 0; it < reps + 1; ++it) {  // the first repetition warms the arena
    g.reset();
    Var qv, kv, vv;
    Var scores = residual ? g.input(Tensor(prev.data(), Shape{B * H, L, L}), true) : Var();
    Var total;
    double attn = 0.0;
    for (int64_t l = 0; l < layers; ++l) {
      // Every layer has its own projections (as in the models): fresh gradient buffers.
      qv = g.input(Tensor(q.data(), Shape{B, L, H * D}), true);
      kv = g.input(Tensor(k.data(), Shape{B, L, H * D}), true);
      vv = g.input(Tensor(v.data(), Shape{B, L, H * D}), true);
      const double c0 = cpu_ms();
      auto r = ops::token_attention(qv, kv, vv, H,
                                    {.prev = scores, .return_scores = residual != 0, .dropout_p = dropout,
                                     .seed = static_cast<uint64_t>(3 + l), .training = true});
      attn += cpu_ms() - c0;
      scores = r.scores;
      total = total.defined() ? ops::add(total, r.out) : r.out;
    }
    const double c2 = cpu_ms();
    g.backward(total, d_o.data());
    const double c3 = cpu_ms();
    checksum = qv.grad().data[0] + kv.grad().data[n - 1] + vv.grad().data[n / 2];
    if (it > 0) {
      fwd.push_back(attn);
      bwd.push_back(c3 - c2);
    }
  }
  std::printf("{\"B\": %lld, \"L\": %lld, \"H\": %lld, \"D\": %lld, \"residual\": %lld, \"layers\": %lld, "
              "\"dropout\": %.2f, "
              "\"threads\": %lld, \"isa\": \"%s\", \"fwd_cpu_ms\": %.3f, \"bwd_cpu_ms\": %.3f, \"fwd_cpu_ms_min\": %.3f, "
              "\"bwd_cpu_ms_min\": %.3f, \"checksum\": %.6g}\n",
              static_cast<long long>(B), static_cast<long long>(L), static_cast<long long>(H),
              static_cast<long long>(D), static_cast<long long>(residual), static_cast<long long>(layers), dropout,
              static_cast<long long>(threads),
              kernels::active_isa().c_str(), median_of(fwd), median_of(bwd), min_of(fwd), min_of(bwd), checksum);
  return 0;
}
