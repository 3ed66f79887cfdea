// Strided 2-D transposes in cache-sized tiles (the layout changes around the RNN ops: batch-first
// [B, T, F] <-> per-step feature-major [T][F, B]).
#pragma once
#include <cstdint>

namespace nd::kernels {

// dst[c * ld_dst + r] (+)= src[r * ld_src + c] for r < rows, c < cols; adds when `add`.
// src and dst must not overlap.
void transpose(const float* src, int64_t ld_src, float* dst, int64_t ld_dst, int64_t rows, int64_t cols,
               bool add = false);

}  // namespace nd::kernels
