// Batch normalization over the channel-last axis (torch.nn.BatchNorm1d on [rows, C]): per-channel
// statistics over the rows, normalization, and the two backward passes. Every kernel works on the
// first c channels of rows that are ld floats apart (c <= ld), so the op can hand each thread a
// slice of channels; a channel's result never depends on how the channels were sliced.
#pragma once
#include <cstdint>

namespace nd::kernels {

// x: [rows, ld] -> mean, var: [c], the per-channel mean and biased variance (sum of squared
// deviations / rows) of the first c channels.
void batch_norm_stats(const float* x, int64_t rows, int64_t c, int64_t ld, float* mean, float* var);

// y[r, j] = (x[r, j] - mean[j]) * rstd[j] * gamma[j] + beta[j] for j < c; gamma / beta may be null
// (1 / 0). x, y: [rows, ld]; mean, rstd, gamma, beta: [c]. y may equal x.
void batch_norm_apply(const float* x, const float* mean, const float* rstd, const float* gamma, const float* beta,
                      float* y, int64_t rows, int64_t c, int64_t ld);

// With xhat = (x - mean) * rstd: sum_dy[j] = sum_r dy[r, j], sum_dy_xhat[j] = sum_r dy[r, j] * xhat[r, j]
// (the gradients of beta and gamma). x, dy: [rows, ld]; the rest [c], overwritten.
void batch_norm_backward_sums(const float* x, const float* dy, const float* mean, const float* rstd, float* sum_dy,
                              float* sum_dy_xhat, int64_t rows, int64_t c, int64_t ld);

// dx (overwritten, [rows, ld]) with k = gamma * rstd (gamma may be null):
//   training (batch statistics): dx = k * (dy - sum_dy / rows - xhat * sum_dy_xhat / rows)
//   eval (fixed statistics):     dx = k * dy   (x, mean, sum_dy and sum_dy_xhat are not read)
void batch_norm_backward_dx(const float* x, const float* dy, const float* mean, const float* rstd,
                            const float* gamma, const float* sum_dy, const float* sum_dy_xhat, float* dx,
                            int64_t rows, int64_t c, int64_t ld, bool training);

}  // namespace nd::kernels
