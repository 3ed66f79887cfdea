// Attention forward + backward, one configuration per process (so that peak RSS belongs to it):
//   flash: ops::scaled_dot_product_attention (tiled, never materializes [L, L])
//   naive: the materialized composition softmax(q k^T * scale + mask) v from existing ops
//   probsparse: Informer's ProbSparse attention (models::prob_attention, --factor as NF's, default
//               3): u = factor * ceil(ln L) queries, chosen on as many sampled keys, attend to all
//               keys; the others take mean(V) (causal: the running sum of V)
// q, k, v, dO: [B, H, L, D] random normal. Prints one JSON line: median / all step times (ms),
// the arena high-water mark of a step (activations, gradients, scratch: inputs excluded) and the
// peak-RSS growth over the process's footprint once the inputs exist.
// bench/run_attention_bench.py runs it next to bench/peers/torch_attention.py (torch SDPA).
// Usage: attention_bench --impl flash|naive|probsparse --L 2048 [--causal 0|1] [--threads 1] [--reps 3]
//        [--B 4] [--H 8] [--D 64] [--warmup 1] [--factor 3]
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <string>
#include <vector>

#include "models/encdec_transformer.h"
#include "nd/nd.h"

namespace {

using namespace nd;

// Process CPU time: on a shared machine a more stable figure than wall time (reported beside it).
double cpu_ms() {
  timespec t{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
  return t.tv_sec * 1e3 + t.tv_nsec * 1e-6;
}

int64_t rss_now_bytes() {
  long pages = 0, resident = 0;
  if (FILE* f = std::fopen("/proc/self/statm", "r")) {
    if (std::fscanf(f, "%ld %ld", &pages, &resident) != 2) resident = 0;
    std::fclose(f);
  }
  return static_cast<int64_t>(resident) * sysconf(_SC_PAGESIZE);
}

// VmHWM, the peak RSS of this address space. Not getrusage's ru_maxrss: Linux carries that across
// exec, so a child of a big process (the Python runner) would start with its parent's peak.
int64_t rss_peak_bytes() {
  int64_t kib = 0;
  if (FILE* f = std::fopen("/proc/self/status", "r")) {
    char line[256];
    while (std::fgets(line, sizeof line, f))
      if (std::sscanf(line, "VmHWM: %lld", reinterpret_cast<long long*>(&kib)) == 1) break;
    std::fclose(f);
  }
  return kib * 1024;
}

Var naive(Var q, Var k, Var v, float scale, const float* mask) {
  const int64_t B = q.size(0), H = q.size(1), L = q.size(2), D = q.size(3);
  Var s = ops::bmm(ops::reshape(q, {B * H, L, D}), ops::reshape(k, {B * H, L, D}), false, true);
  s = ops::mul(s, scale);
  if (mask) s = ops::add(s, q.graph().input(Tensor(const_cast<float*>(mask), Shape{L, L})));
  return ops::reshape(ops::bmm(ops::softmax(s), ops::reshape(v, {B * H, L, D})), {B, H, L, D});
}

}  // namespace

int main(int argc, char** argv) {
  std::string impl = "flash";
  int64_t L = 512, B = 4, H = 8, D = 64, causal = 0, threads = 1, reps = 3, warmup = 1, factor = 3;
  for (int a = 1; a + 1 < argc; a += 2) {
    const std::string k = argv[a];
    const char* v = argv[a + 1];
    if (k == "--impl") impl = v;
    else if (k == "--L") L = std::atoll(v);
    else if (k == "--B") B = std::atoll(v);
    else if (k == "--H") H = std::atoll(v);
    else if (k == "--D") D = std::atoll(v);
    else if (k == "--causal") causal = std::atoll(v);
    else if (k == "--threads") threads = std::atoll(v);
    else if (k == "--reps") reps = std::atoll(v);
    else if (k == "--warmup") warmup = std::atoll(v);
    else if (k == "--factor") factor = std::atoll(v);
    else {
      std::fprintf(stderr, "unknown argument %s\n", k.c_str());
      return 2;
    }
  }
  if (impl != "flash" && impl != "naive" && impl != "probsparse") {
    std::fprintf(stderr, "--impl must be flash, naive or probsparse\n");
    return 2;
  }
  set_num_threads(static_cast<int>(threads));
  const int64_t n = B * H * L * D;
  std::vector<float> q(n), k(n), v(n), d_o(n), mask;
  Rng rng(1);
  for (auto* buf : {&q, &k, &v, &d_o})
    for (float& x : *buf) x = rng.normal();
  if (impl == "naive" && causal) {
    mask.assign(static_cast<size_t>(L * L), 0.0f);
    for (int64_t i = 0; i < L; ++i)
      for (int64_t j = i + 1; j < L; ++j) mask[i * L + j] = -std::numeric_limits<float>::infinity();
  }
  const float scale = 1.0f / std::sqrt(static_cast<float>(D));
  {
    // One small step first so that one-time start-up memory (OpenBLAS buffers, OpenMP threads) is
    // part of the baseline, not of this configuration's growth.
    // 256 rows: large enough to reach BLAS's regular (buffered) GEMM path, not only its small one.
    std::vector<float> wx(static_cast<size_t>(256 * D), 0.5f);
    Graph warm;
    Var x = warm.input(Tensor(wx.data(), Shape{1, 1, 256, D}), true);
    Var y = impl == "flash" ? ops::scaled_dot_product_attention(x, x, x) : naive(x, x, x, scale, nullptr);
    warm.backward(ops::sum_all(y));
  }
  const int64_t rss0 = rss_now_bytes();
  Graph g;
  size_t arena_peak = 0;
  std::vector<double> ms, cpu;
  double checksum = 0.0;
  for (int64_t it = 0; it < warmup + reps; ++it) {
    g.reset();
    const double c0 = cpu_ms();
    const auto t0 = std::chrono::steady_clock::now();
    Var qv = g.input(Tensor(q.data(), Shape{B, H, L, D}), true);
    Var kv = g.input(Tensor(k.data(), Shape{B, H, L, D}), true);
    Var vv = g.input(Tensor(v.data(), Shape{B, H, L, D}), true);
    Rng sample(7);  // the same key sample every repetition
    Var out = impl == "flash"   ? ops::scaled_dot_product_attention(qv, kv, vv, {.causal = causal != 0})
              : impl == "naive" ? naive(qv, kv, vv, scale, mask.empty() ? nullptr : mask.data())
                                : models::prob_attention(qv, kv, vv, factor, causal != 0, sample);
    g.backward(out, d_o.data());
    const auto t1 = std::chrono::steady_clock::now();
    const double c1 = cpu_ms();
    arena_peak = std::max(arena_peak, g.arena().peak());
    checksum = qv.grad().data[0] + kv.grad().data[n - 1] + vv.grad().data[n / 2];
    if (it >= warmup) {
      ms.push_back(std::chrono::duration<double, std::milli>(t1 - t0).count());
      cpu.push_back(c1 - c0);
    }
  }
  auto median_of = [](std::vector<double> x) {
    std::sort(x.begin(), x.end());
    return x.empty() ? 0.0 : x[x.size() / 2];
  };
  const double median = median_of(ms);
  std::printf("{\"impl\": \"%s\", \"L\": %lld, \"B\": %lld, \"H\": %lld, \"D\": %lld, \"causal\": %lld, "
              "\"threads\": %lld, \"isa\": \"%s\", \"ms\": %.3f, \"cpu_ms\": %.3f, \"ms_all\": [",
              impl.c_str(), static_cast<long long>(L), static_cast<long long>(B), static_cast<long long>(H),
              static_cast<long long>(D), static_cast<long long>(causal), static_cast<long long>(threads),
              kernels::active_isa().c_str(), median, median_of(cpu));
  for (size_t i = 0; i < ms.size(); ++i) std::printf("%s%.3f", i ? ", " : "", ms[i]);
  std::printf("], \"arena_peak_bytes\": %zu, \"rss_delta_bytes\": %lld, \"checksum\": %.6g}\n", arena_peak,
              static_cast<long long>(rss_peak_bytes() - rss0), checksum);
  return 0;
}
