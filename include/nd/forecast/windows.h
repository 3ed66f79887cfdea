// Training and inference windows, sampled as NeuralForecast does: each step takes the next
// `batch_size` series of a shuffled epoch, considers every window of input_size + h values
// (step_size apart) of those series, right-padded by h (and left-padded by input_size - 1 with
// start_padding_enabled) with an availability mask, keeps the windows with at least one
// available input and one available output value, and samples `windows_batch_size` of them
// (without replacement, or with replacement when fewer exist). Window validity follows from the
// padding alone (targets are checked finite on input), so candidate windows are counted
// arithmetically instead of materialized.
#pragma once
#include <cstdint>
#include <vector>

#include "nd/core/rng.h"
#include "nd/data/scalers.h"

namespace nd::forecast {

// One series: its target and, optionally, exogenous channels. Historic channels have n values;
// future channels have n + n_future values (the future part comes from futr_df at predict time).
struct SeriesView {
  const float* y = nullptr;
  int64_t n = 0;
  std::vector<const float*> hist, futr;
  int64_t n_future = 0;
  std::vector<float> stat;  // static features
};

struct WindowSpec {
  int64_t input_size = 0, h = 0, step_size = 1;
  bool start_padding = false;
};

// A batch of W windows: y and mask [W, L + h] (row-major), each window's series index, and the
// exogenous channels: hist [W, L, X], futr [W, L + h, F], stat [W, S].
struct WindowBatchData {
  int64_t W = 0, L = 0, h = 0, X = 0, F = 0, S = 0;
  std::vector<float> y, mask;
  std::vector<float> hist, futr, stat;
  std::vector<int64_t> series;
  // Sizes the buffers for W windows with the channel counts of `s`.
  void resize(int64_t W, int64_t L, int64_t h, const SeriesView& s);
  // Per-window scaler statistics (filled by scale_windows).
  std::vector<float> shift, scale;
};

class WindowSampler {
 public:
  WindowSampler(const WindowSpec& spec, int64_t batch_size, int64_t windows_batch_size, bool drop_last,
                uint64_t seed);
  // Samples the next training batch from `series` (the training part of each series).
  void next(const std::vector<SeriesView>& series, WindowBatchData* out);
  // Multivariate models (NeuralForecast's MULTIVARIATE): every window spans the same time steps
  // of all series (which must be equally long), so windows_batch_size time positions are sampled
  // and each contributes one row per series: row = window * n_series + series.
  void next_multivariate(const std::vector<SeriesView>& series, WindowBatchData* out);

 private:
  // windows_batch_size indices out of `total` candidates (sorted): distinct when there are
  // enough candidates, else drawn with replacement (NeuralForecast's randperm / randint).
  std::vector<int64_t> sample(int64_t total);
  WindowSpec spec_;
  int64_t batch_size_, windows_batch_size_;
  bool drop_last_;
  Rng rng_;
  std::vector<int64_t> perm_;
  size_t pos_ = 0;
  std::vector<int64_t> first_, count_;  // per selected series: first valid start, number of windows
};

// Number of training windows of a series of length n (0 when it is too short).
int64_t count_windows(const WindowSpec& spec, int64_t n, int64_t* first_start);
// Copies window `start` (in padded coordinates) of series s into row `row` of out.
void fill_window(const WindowSpec& spec, const SeriesView& s, int64_t start, int64_t row, WindowBatchData* out);

// The inference window of each series: its last input_size values (left-padded and masked when
// the series is shorter), outputs zero / masked.
void last_windows(const WindowSpec& spec, const std::vector<SeriesView>& series, WindowBatchData* out);

// Per-window statistics over the input part (available values only) and scaling of the whole
// window in place, as NeuralForecast's _normalization: the target's statistics are kept for
// inversion; every historic and future exogenous channel is scaled with its own statistics
// (same scaler type, same availability mask); static features are left as they are.
void scale_windows(data::ScalerType t, WindowBatchData* b);

}  // namespace nd::forecast
