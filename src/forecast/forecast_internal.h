// Shared by the NeuralForecast implementation files: locally scaled copies of series targets.
#pragma once
#include <vector>

#include "nd/data/frame.h"
#include "nd/data/scalers.h"
#include "nd/forecast/windows.h"

namespace nd::forecast::detail {

struct Scaled {
  std::vector<float> y, loc, scale;  // scaled targets (CSR like the frame); per-series stats
  std::vector<SeriesView> views;
};

// Scales each series' target with statistics computed on its first fit_len[s] values (all values
// when fit_len is empty); identity when !enabled.
Scaled local_scale(const data::Frame& df, bool enabled, data::LocalScalerType t,
                   const std::vector<int64_t>& fit_len = {});

}  // namespace nd::forecast::detail
