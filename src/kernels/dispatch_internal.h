// Internal: the one flag every public kernel checks before dispatching. Kept inline and lock-free
// because it sits in front of every kernel call; the slow path (reading ND_ISA) runs once.
#pragma once
#include <atomic>
#include <cstddef>
#include <cstdint>

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

// Element counts arrive as int64_t; the Highway kernels take size_t. Negative means empty.
inline size_t to_size(int64_t n) { return n > 0 ? static_cast<size_t>(n) : 0; }

}  // namespace nd::kernels
