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

// M4 (Makridakis et al. 2020, and the organizers' R code in M4Competition/M4-methods):
// the series is seasonal when n >= 3m and |acf(m)| > 1.645 sqrt((1 + 2 sum_{k<m} acf(k)^2) / n)
// (R's acf, lags up to floor(10 log10 n)); never for m <= 1.
bool m4_seasonality_test(const float* x, int64_t n, int64_t m);
// Naive2: the last value of the series divided by its multiplicative seasonal factor (R's
// decompose), times the last m factors repeated; the plain naive forecast when not seasonal.
void naive2(const float* insample, int64_t n, int64_t m, int64_t h, float* out);
// Overall weighted average: (sMAPE / sMAPE_Naive2 + MASE / MASE_Naive2) / 2. M4 reports it for a
// set of series from the set's average sMAPE and MASE (of the model and of Naive2).
double owa(double smape_model, double mase_model, double smape_naive2, double mase_naive2);

}  // namespace nd::forecast
