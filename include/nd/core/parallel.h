// One parallelism layer (OpenMP, static schedule => deterministic partitioning) coordinated with
// BLAS threading: set_num_threads() sets both, so they never oversubscribe the machine.
#pragma once
#include <cstdint>
#include <functional>

namespace nd {

// Threads used by parallel_for and BLAS. Initialized from ND_NUM_THREADS, else the default
// chosen by default_num_threads().
int num_threads();
void set_num_threads(int n);
int default_num_threads();
// True inside a parallel_for body that runs on the thread pool (nested work then runs inline).
bool in_parallel_region();

// Runs fn(begin, end) over [0, n) split into contiguous chunks of at least `grain` items.
// Runs inline when n is small or only one thread is configured, or when already inside a
// parallel region. The split depends only on n, grain and num_threads() (deterministic).
template <typename F>
void parallel_for(int64_t n, int64_t grain, F&& fn);

namespace detail {
void parallel_for_impl(int64_t n, int64_t grain, void (*call)(void*, int64_t, int64_t), void* ctx);
}

template <typename F>
void parallel_for(int64_t n, int64_t grain, F&& fn) {
  if (n <= 0) return;
  if (n <= grain || num_threads() == 1) {
    fn(int64_t{0}, n);
    return;
  }
  auto call = [](void* ctx, int64_t b, int64_t e) { (*static_cast<F*>(ctx))(b, e); };
  detail::parallel_for_impl(n, grain, call, &fn);
}

}  // namespace nd
