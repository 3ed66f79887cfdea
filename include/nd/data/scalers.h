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

enum class LocalScalerType : uint8_t { standard, robust, robust_iqr, minmax };
// "standard", "robust", "robust-iqr", "minmax"; "boxcox" is rejected with a clear error (not
// implemented yet). Throws nd::Error listing the valid names.
LocalScalerType local_scaler_from_name(const std::string& name);
const char* local_scaler_name(LocalScalerType t);
// Per-series statistics (coreforecast semantics: population std, numpy median, linear-interpolated
// quartiles); a zero scale becomes 1 so constant series map to 0. scratch: n floats.
void local_statistics(LocalScalerType t, const float* x, int64_t n, float* loc, float* scale, float* scratch);
inline void local_forward(float* x, int64_t n, float loc, float scale) {
  for (int64_t k = 0; k < n; ++k) x[k] = (x[k] - loc) / scale;
}
inline void local_inverse(float* z, int64_t n, float loc, float scale) {
  for (int64_t k = 0; k < n; ++k) z[k] = z[k] * scale + loc;
}

}  // namespace nd::data
