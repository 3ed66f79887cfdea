// What the forecasting layer needs of distribution losses (DistributionLoss, GMM, PMM, NBMM) beyond
// training: forecasts from samples, analytic means and the support of the data. The network's raw
// outputs [R, h, P] become distribution parameters through NeuralForecast's domain map and
// scale_decouple with each row's window location and scale (losses/pytorch.py, v3.3).
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "nd/losses/losses.h"

namespace nd::losses {

// Columns of a distribution forecast with `n_quantiles` quantiles: the sample mean, the quantiles,
// then the decoupled parameters when the loss has return_params.
int64_t distribution_forecast_width(const Loss& l, int64_t n_quantiles);

// Forecasts of rows [R, h] from raw outputs [R, h, P]: out [R, h, width] holds the mean of
// num_samples draws, their quantiles `qs` (linear interpolation between order statistics, as
// torch.quantile), then the parameters (return_params). The draws of row r at step t come from a
// stream seeded by (seed, stream[r], t) alone, so forecasts do not depend on batching or threads.
void distribution_forecast(const Loss& l, const float* raw, int64_t R, int64_t h, const float* loc,
                           const float* scale, const std::vector<float>& qs, uint64_t seed, const uint64_t* stream,
                           float* out);

// The distributions' means [R, h] (the analytic mean, as torch's Distribution.mean).
void distribution_mean(const Loss& l, const float* raw, int64_t R, int64_t h, const float* loc, const float* scale,
                       float* out);

// Index of the first value of y[n] the distribution cannot model (negative under Poisson,
// NegativeBinomial, Tweedie, PMM and NBMM; not 0 or 1 under Bernoulli), or -1. `what` (if given)
// receives the requirement, e.g. "values >= 0".
int64_t distribution_support_violation(const Loss& l, const float* y, int64_t n, std::string* what = nullptr);

}  // namespace nd::losses
