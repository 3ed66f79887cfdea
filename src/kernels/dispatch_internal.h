// Internal: the one flag every public kernel checks before dispatching. Kept inline and lock-free
// because it sits in front of every kernel call; the slow path (reading ND_ISA) runs once.
#pragma once
#include <atomic>
#include <cstddef>
#include <cstdint>

#include "nd/core/parallel.h"

namespace nd::kernels {
namespace detail {
// 0: not yet initialized, 1: Highway (SIMD) kernels, 2: scalar reference kernels.
extern std::atomic<int> g_isa_mode;
// Reads ND_ISA, applies it and returns the resulting mode (1 or 2). Throws nd::Error on a bad value.
int init_isa_mode();
}  // namespace detail

// True when the scalar reference kernels must be used instead of the Highway ones.
inline bool use_ref() {
  int mode = detail::g_isa_mode.load(std::memory_order_relaxed);
  if (mode == 0) [[unlikely]]
    mode = detail::init_isa_mode();
  return mode == 2;
}

// Elementwise work over a large array in per-thread contiguous chunks of whole 64-element blocks
// (at least 64k elements per thread); small arrays, one thread, or a caller already inside a
// parallel region run inline. f(begin, end) must be position-independent.
template <class F>
inline void split_elementwise(int64_t n, F&& f) {
  constexpr int64_t kBlock = 64, kGrain = int64_t{1} << 16;
  if (n < 2 * kGrain || num_threads() == 1) {
    if (n > 0) f(int64_t{0}, n);
    return;
  }
  parallel_for((n + kBlock - 1) / kBlock, kGrain / kBlock, [&](int64_t b, int64_t e) {
    const int64_t lo = b * kBlock, hi = e * kBlock < n ? e * kBlock : n;
    if (lo < hi) f(lo, hi);
  });
}

// Element counts arrive as int64_t; the Highway kernels take size_t. Negative means empty.
inline size_t to_size(int64_t n) { return n > 0 ? static_cast<size_t>(n) : 0; }

}  // namespace nd::kernels
