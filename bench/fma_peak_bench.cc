// The fp32 multiply-add peak of this CPU, measured: each thread runs 12 independent chains of
// vector fused multiply-adds (enough to cover the FMA latency on every x86 / Arm core we know of)
// on the widest target Highway dispatches to here, for about 0.2 s, five times; the best rate
// counts. No memory traffic, no dependency stall: no GEMM (or any other fp32 code) on this
// machine can do more multiply-adds per second. run_transformer_bench.py uses it to bound the
// training-step ratio any implementation of a model's GEMMs could reach.
//
// Usage: fma_peak_bench [THREADS]   (default: ND_NUM_THREADS, else 1)
// Prints one JSON line: {"isa": ..., "lanes": ..., "threads": T, "gflops": all threads together,
// "gflops_per_thread": ...}.
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "fma_peak_bench.cc"
#include "hwy/foreach_target.h"  // IWYU pragma: keep
#include "hwy/highway.h"

#include <omp.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

HWY_BEFORE_NAMESPACE();
namespace nd_bench::HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

// Multiply-adds (lane operations) per second over `iters` rounds of 12 chains; *sink keeps the
// chains from being optimised away.
double FmaRate(int64_t iters, float* sink) {
  const hn::ScalableTag<float> d;
  using V = hn::Vec<decltype(d)>;
  // b slightly below 1 and c small: the chains converge to c / (1 - b) and never overflow.
  const V b = hn::Set(d, 0.99999f), c = hn::Set(d, 1e-6f);
  V a0 = hn::Set(d, 0.1f), a1 = hn::Set(d, 0.2f), a2 = hn::Set(d, 0.3f), a3 = hn::Set(d, 0.4f);
  V a4 = hn::Set(d, 0.5f), a5 = hn::Set(d, 0.6f), a6 = hn::Set(d, 0.7f), a7 = hn::Set(d, 0.8f);
  V a8 = hn::Set(d, 0.9f), a9 = hn::Set(d, 1.0f), a10 = hn::Set(d, 1.1f), a11 = hn::Set(d, 1.2f);
  const auto t0 = std::chrono::steady_clock::now();
  for (int64_t i = 0; i < iters; ++i) {
    a0 = hn::MulAdd(a0, b, c), a1 = hn::MulAdd(a1, b, c), a2 = hn::MulAdd(a2, b, c), a3 = hn::MulAdd(a3, b, c);
    a4 = hn::MulAdd(a4, b, c), a5 = hn::MulAdd(a5, b, c), a6 = hn::MulAdd(a6, b, c), a7 = hn::MulAdd(a7, b, c);
    a8 = hn::MulAdd(a8, b, c), a9 = hn::MulAdd(a9, b, c), a10 = hn::MulAdd(a10, b, c), a11 = hn::MulAdd(a11, b, c);
  }
  const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  const V sum = hn::Add(hn::Add(hn::Add(a0, a1), hn::Add(a2, a3)),
                        hn::Add(hn::Add(hn::Add(a4, a5), hn::Add(a6, a7)), hn::Add(hn::Add(a8, a9), hn::Add(a10, a11))));
  *sink += hn::GetLane(sum);
  return 12.0 * static_cast<double>(iters) * static_cast<double>(hn::Lanes(d)) / s;
}

size_t Lanes() { return hn::Lanes(hn::ScalableTag<float>()); }
const char* Isa() { return hwy::TargetName(HWY_TARGET); }

}  // namespace nd_bench::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace nd_bench {
HWY_EXPORT(FmaRate);
HWY_EXPORT(Lanes);
HWY_EXPORT(Isa);
}  // namespace nd_bench

int main(int argc, char** argv) {
  int threads = 1;
  if (argc > 1) {
    threads = std::atoi(argv[1]);
  } else if (const char* env = std::getenv("ND_NUM_THREADS")) {
    threads = std::atoi(env);
  }
  if (threads < 1) {
    std::fprintf(stderr, "usage: fma_peak_bench [THREADS >= 1]\n");
    return 2;
  }
  // Calibrate the round count to about 0.2 s on one thread.
  float sink = 0.0f;
  int64_t iters = 1 << 20;
  const double rate0 = HWY_DYNAMIC_DISPATCH(nd_bench::FmaRate)(iters, &sink);
  iters = std::max<int64_t>(iters, static_cast<int64_t>(0.2 * rate0 / (12.0 * static_cast<double>(HWY_DYNAMIC_DISPATCH(nd_bench::Lanes)()))));
  double best = 0.0;
  for (int rep = 0; rep < 5; ++rep) {
    double total = 0.0;
    // All threads at once: their rates add up (each runs the same count of rounds).
#pragma omp parallel num_threads(threads) reduction(+ : total)
    {
      float local = 0.0f;
      total += HWY_DYNAMIC_DISPATCH(nd_bench::FmaRate)(iters, &local);
#pragma omp critical
      sink += local;
    }
    best = std::max(best, total);
  }
  const double gflops = 2.0 * best * 1e-9;  // a multiply-add is two floating-point operations
  std::printf("{\"isa\": \"%s\", \"lanes\": %zu, \"threads\": %d, \"gflops\": %.1f, \"gflops_per_thread\": %.1f, \"sink\": %g}\n",
              HWY_DYNAMIC_DISPATCH(nd_bench::Isa)(), HWY_DYNAMIC_DISPATCH(nd_bench::Lanes)(), threads, gflops,
              gflops / threads, static_cast<double>(sink));
  return 0;
}
#endif  // HWY_ONCE
