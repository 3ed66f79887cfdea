// Scalers, as NeuralForecast applies them:
// - per-window `scaler_type` (neuralforecast.common._scalers.TemporalNorm): statistics of each
//   window's input part (available values only), applied to the window and inverted on the
//   forecast: identity, standard, robust, minmax, minmax1, invariant, revin (revin = standard
//   statistics; its learnable affine part lives in the model);
// - per-series `local_scaler_type` (coreforecast's Local*Scaler): statistics of each series'
//   training values, applied before windowing and inverted on every output.
#pragma once
#include <cstdint>
#include <string>

namespace nd::data {

enum class ScalerType : uint8_t { identity, standard, robust, minmax, minmax1, invariant, revin };
// NeuralForecast names ("robust", "standard", ...; "identity" also for None). Throws nd::Error
// listing the valid names.
ScalerType scaler_from_name(const std::string& name);
const char* scaler_name(ScalerType t);

// Statistics of `rows` windows: row r holds `len` values at x + r * stride; mask (same layout, may
// be null) marks available values with 1. Writes shift[r], scale[r]. Formulas, eps and the
// degenerate cases follow TemporalNorm exactly, including torch's lower median for even counts.
// A window with no available value gets shift 0 (and scale 1 + eps, as NeuralForecast).
// scratch: 2 * len floats.
void window_statistics(ScalerType t, const float* x, const float* mask, int64_t rows, int64_t len, int64_t stride,
                       float* shift, float* scale, float* scratch, float eps = 1e-6f);
// In place: z = f(x) / x = f^-1(z) with one window's statistics.
void scale_forward(ScalerType t, float* x, int64_t n, float shift, float scale);
void scale_inverse(ScalerType t, float* z, int64_t n, float shift, float scale);

enum class LocalScalerType : uint8_t { standard, robust, robust_iqr, minmax, boxcox };
// "standard", "robust", "robust-iqr", "minmax", "boxcox". Throws nd::Error listing the valid names.
LocalScalerType local_scaler_from_name(const std::string& name);
const char* local_scaler_name(LocalScalerType t);

// Fitted state of one series' local scaler: z = (x - loc) / scale for the affine scalers,
// z = BoxCox(x; lambda) for boxcox (loc / scale unused there).
struct LocalStats {
  float loc = 0.0f, scale = 1.0f, lambda = 1.0f;
};
// Per-series statistics (coreforecast semantics: population std, numpy median, linear-interpolated
// quartiles; a zero scale becomes 1 so constant series map to 0; boxcox: see boxcox_lambda_loglik).
// scratch: n floats. Throws nd::Error for boxcox on a negative value.
LocalStats local_statistics(LocalScalerType t, const float* x, int64_t n, float* scratch);
// In place: z = f(x) / x = f^-1(z) with one series' statistics.
void local_forward(LocalScalerType t, float* x, int64_t n, const LocalStats& s);
void local_inverse(LocalScalerType t, float* z, int64_t n, const LocalStats& s);

// Box-Cox as NeuralForecast 3.3 applies it: core.py maps "boxcox" to coreforecast's
// LocalBoxCoxScaler(method="loglik", lower=0.0) (upper 2.0): lambda maximizes the Box-Cox profile
// log-likelihood over [lower, upper] by Brent's method with tolerance float_eps^(1/4).
// Values must be >= 0 (coreforecast rejects negatives). Constant series get the lambda the
// optimizer reaches on an everywhere -inf objective, as coreforecast's.
float boxcox_lambda_loglik(const float* x, int64_t n, float lower = 0.0f, float upper = 2.0f);
// coreforecast's BoxCoxTransform / BoxCoxInverseTransform, including their extension to negative
// arguments (sign-symmetric power) and NaN where the transform is undefined for lambda < 0.
float boxcox_forward(float x, float lambda);
float boxcox_inverse(float z, float lambda);

}  // namespace nd::data
