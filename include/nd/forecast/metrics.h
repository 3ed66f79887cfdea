// Point-forecast accuracy metrics (NeuralForecast / utilsforecast definitions) and the seasonal
// naive benchmark every model must beat.
#pragma once
#include <cstdint>

namespace nd::forecast {

double mae(const float* y, const float* yhat, int64_t n);
double mse(const float* y, const float* yhat, int64_t n);
double rmse(const float* y, const float* yhat, int64_t n);
// Percentages: mape = 100 mean |y - yhat| / |y|; smape = 100 mean 2 |y - yhat| / (|y| + |yhat|)
// (terms with a zero denominator count 0, as utilsforecast).
double mape(const float* y, const float* yhat, int64_t n);
double smape(const float* y, const float* yhat, int64_t n);
// MASE: mae / in-sample MAE of the seasonal naive forecast with period m.
double mase(const float* y, const float* yhat, int64_t n, const float* insample, int64_t n_insample, int64_t m);
// Seasonal naive: yhat[t] = insample[n - m + (t mod m)] for t < h.
void seasonal_naive(const float* insample, int64_t n, int64_t m, int64_t h, float* out);

}  // namespace nd::forecast
