// Statistics the scalers need (NeuralForecast's TemporalNorm and local scalers): masked
// mean / std / min / max, median, quantiles (linear interpolation, numpy's default), MAD.
#pragma once
#include <cstdint>

namespace nd::kernels {

// All take an optional mask (null => all valid; mask[i] != 0 => valid). Empty => NaN.
float masked_mean(const float* x, const float* mask, int64_t n);
// Standard deviation with `ddof` (0 = population, 1 = sample), around the masked mean.
float masked_std(const float* x, const float* mask, int64_t n, int ddof);
float masked_min(const float* x, const float* mask, int64_t n);
float masked_max(const float* x, const float* mask, int64_t n);
// q in [0, 1]. scratch: n floats. Sorting uses Highway's vqsort on the SIMD path.
float masked_quantile(const float* x, const float* mask, int64_t n, float q, float* scratch);
float masked_median(const float* x, const float* mask, int64_t n, float* scratch);
// Median absolute deviation around the median (unscaled). scratch: n floats.
float masked_mad(const float* x, const float* mask, int64_t n, float* scratch);

}  // namespace nd::kernels
