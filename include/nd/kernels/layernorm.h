// Layer normalization over the last axis (Ba et al. 2016), fused forward and backward.
#pragma once
#include <cstdint>

namespace nd::kernels {

// x, y: [rows, d]; gamma, beta: [d] (either may be null => 1 / 0); mean, rstd: [rows] saved for
// backward. y = (x - mean) * rstd * gamma + beta, rstd = 1 / sqrt(var + eps), biased variance.
void layer_norm_forward(const float* x, const float* gamma, const float* beta, float* y, float* mean,
                        float* rstd, int64_t rows, int64_t d, float eps);
// dx (overwritten, may be null), dgamma / dbeta (accumulated, may be null).
void layer_norm_backward(const float* x, const float* dy, const float* gamma, const float* mean,
                         const float* rstd, float* dx, float* dgamma, float* dbeta, int64_t rows, int64_t d);

}  // namespace nd::kernels
