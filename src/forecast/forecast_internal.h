// Shared by the NeuralForecast implementation files: locally scaled copies of series targets.
#pragma once
#include <map>
#include <string>
#include <vector>

#include "nd/data/frame.h"
#include "nd/data/scalers.h"
#include "nd/forecast/windows.h"
#include "nd/models/model.h"

namespace nd::forecast::detail {

struct Scaled {
  std::vector<float> y, loc, scale;  // scaled targets (CSR like the frame); per-series stats
  std::vector<SeriesView> views;
  // Scaled copies of the other value columns (exogenous) and their per-series statistics;
  // empty when local scaling is off (the frame's own columns are used then).
  std::map<std::string, std::vector<float>> exog, exog_loc, exog_scale;
};

// NeuralForecast's local scaling: every value column (target and exogenous) of every series is
// scaled with statistics of that series in `stats_from` (the fit data, matched by id), or, for a
// series absent from it (or no stats_from), of its own first fit_len[s] values (all when empty).
// Identity when !enabled.
Scaled local_scale(const data::Frame& df, bool enabled, data::LocalScalerType t,
                   const std::vector<int64_t>& fit_len = {}, const data::Frame* stats_from = nullptr);

// Each series' view for one model: the scaled target plus the model's exogenous channels from
// df (historic / future), futr_df (future values after each series, predict) and static_df.
// `lengths` (optional) truncates series (cross-validation cutoffs; future channels then extend
// to the end of df). Future values are copied into `storage`, which must outlive the views.
std::vector<SeriesView> model_views(const models::Model& m, const data::Frame& df, const Scaled& sc,
                                    const data::StaticFrame* static_df, const data::Frame* futr_df,
                                    const std::vector<int64_t>& lengths, std::vector<std::vector<float>>* storage);

}  // namespace nd::forecast::detail
