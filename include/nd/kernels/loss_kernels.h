// Fused loss kernels: weighted sums of elementwise losses and their gradients. The loss layer
// (src/losses) combines the availability mask and horizon weights into w and normalizes.
#pragma once
#include <cstdint>

namespace nd::kernels {

enum class PointLoss : uint8_t { mae, mse, mape, smape, huber };

// Returns sum_i w[i] * l(y[i], yhat[i]) in double. `delta` is Huber's threshold.
// mape: |y - yhat| / |y| (0 where y == 0); smape: |y - yhat| / (|y| + |yhat|) (0 where both are 0).
double point_loss_sum(PointLoss k, const float* y, const float* yhat, const float* w, int64_t n, float delta);
// dyhat[i] += scale * w[i] * dl/dyhat[i].
void point_loss_grad(PointLoss k, const float* y, const float* yhat, const float* w, int64_t n, float delta,
                     float scale, float* dyhat);

// Pinball loss over nq quantiles: yhat [n, nq], y [n], w [n] (shared by the quantiles of a point).
// Returns sum_i sum_j w[i] * max(q_j (y - yhat), (q_j - 1)(y - yhat)).
double quantile_loss_sum(const float* y, const float* yhat, const float* w, const float* q, int64_t n, int64_t nq);
void quantile_loss_grad(const float* y, const float* yhat, const float* w, const float* q, int64_t n, int64_t nq,
                        float scale, float* dyhat);

// Huberized pinball losses (scalar code: a step's losses are tiny next to its GEMMs). yhat [n, nq],
// y [n], w [n]. inside = false (HuberQLoss): q huber(max(y - yhat, 0)) + (1 - q) huber(max(yhat - y, 0));
// inside = true (HuberMQLoss): huber(q max(y - yhat, 0)) + huber((1 - q) max(yhat - y, 0)).
// huber(x) = x^2 / 2 for |x| < delta, else delta (|x| - delta / 2), as torch's huber_loss.
double huber_quantile_loss_sum(const float* y, const float* yhat, const float* w, const float* q, int64_t n,
                               int64_t nq, float delta, bool inside);
void huber_quantile_loss_grad(const float* y, const float* yhat, const float* w, const float* q, int64_t n,
                              int64_t nq, float delta, bool inside, float scale, float* dyhat);

// NeuralForecast's TukeyLoss terms: with d = |y - yhat| / s, mask * (1 - (d / c)^2)^3 where d <= c,
// else 1; s [n] per entry, mask may be nullptr (ones). Returns their sum.
double tukey_loss_sum(const float* y, const float* yhat, const float* mask, const float* s, int64_t n, float c);
void tukey_loss_grad(const float* y, const float* yhat, const float* mask, const float* s, int64_t n, float c,
                     float scale, float* dyhat);

}  // namespace nd::kernels
