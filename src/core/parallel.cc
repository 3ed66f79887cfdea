// OpenMP-backed parallel_for with BLAS threads kept in step (see nd/core/parallel.h).
#include "nd/core/parallel.h"

#include <omp.h>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <string>

#include "nd/core/error.h"
#include "nd/kernels/gemm.h"

namespace nd {

namespace {
std::atomic<int> g_threads{0};

int init_threads() {
  int n = default_num_threads();
  if (const char* env = std::getenv("ND_NUM_THREADS"); env && *env) {
    char* end = nullptr;
    long v = std::strtol(env, &end, 10);
    ND_CHECK(end && *end == '\0' && v >= 1 && v <= 1024, "ND_NUM_THREADS must be an integer in [1, 1024], got '",
             env, "'");
    n = static_cast<int>(v);
  }
  omp_set_num_threads(n);
  kernels::blas_set_num_threads(n);
  return n;
}
}  // namespace

int default_num_threads() {
  // The measured fastest setting on small machines is one thread per physical core; OpenMP's
  // default (all logical CPUs) is the best portable proxy we have.
  return std::max(1, omp_get_num_procs());
}

int num_threads() {
  int n = g_threads.load(std::memory_order_relaxed);
  if (n == 0) {
    n = init_threads();
    g_threads.store(n, std::memory_order_relaxed);
  }
  return n;
}

void set_num_threads(int n) {
  ND_CHECK(n >= 1 && n <= 1024, "number of threads must be in [1, 1024], got ", n);
  omp_set_num_threads(n);
  kernels::blas_set_num_threads(n);
  g_threads.store(n, std::memory_order_relaxed);
}

bool in_parallel_region() { return omp_in_parallel() != 0; }

namespace detail {
void parallel_for_impl(int64_t n, int64_t grain, void (*call)(void*, int64_t, int64_t), void* ctx) {
  if (omp_in_parallel()) {
    call(ctx, 0, n);
    return;
  }
  const int nt = static_cast<int>(std::min<int64_t>(num_threads(), (n + grain - 1) / std::max<int64_t>(grain, 1)));
  if (nt <= 1) {
    call(ctx, 0, n);
    return;
  }
#pragma omp parallel num_threads(nt)
  {
    const int t = omp_get_thread_num();
    const int64_t chunk = (n + nt - 1) / nt;
    const int64_t b = std::min<int64_t>(n, t * chunk), e = std::min<int64_t>(n, b + chunk);
    if (b < e) call(ctx, b, e);
  }
}
}  // namespace detail

}  // namespace nd
