// Row-wise softmax / log-softmax and their backward passes (Highway; scalar reference).
#pragma once
#include <cstdint>

namespace nd::kernels {

// x, y: [rows, d]; numerically stable (max subtracted).
void softmax_forward(const float* x, float* y, int64_t rows, int64_t d);
// dx = y * (dy - sum(dy * y)) per row (overwrites dx).
void softmax_backward(const float* y, const float* dy, float* dx, int64_t rows, int64_t d);
void log_softmax_forward(const float* x, float* y, int64_t rows, int64_t d);
// dx = dy - exp(y) * sum(dy) per row (overwrites dx).
void log_softmax_backward(const float* y, const float* dy, float* dx, int64_t rows, int64_t d);

}  // namespace nd::kernels
