// Shared by the NeuralForecast implementation files: locally scaled copies of series targets.
#pragma once
#include <map>
#include <string>
#include <vector>

#include "nd/data/frame.h"
#include "nd/data/scalers.h"
#include "nd/forecast/neuralforecast.h"
#include "nd/forecast/windows.h"
#include "nd/models/model.h"

namespace nd::forecast::detail {

// Fitted local-scaler state per value column ("y" and exogenous), one entry per series of the
// frame it was fitted on (NeuralForecast keeps its fitted scalers_ the same way).
using LocalStatsMap = std::map<std::string, std::vector<data::LocalStats>>;

struct Scaled {
  bool enabled = false;
  data::LocalScalerType type = data::LocalScalerType::standard;
  std::vector<float> y;                  // scaled targets (CSR like the frame)
  std::vector<data::LocalStats> stats;   // per series, of y
  std::vector<SeriesView> views;
  // Scaled copies of the other value columns (exogenous) and their per-series statistics;
  // empty when local scaling is off (the frame's own columns are used then).
  std::map<std::string, std::vector<float>> exog;
  LocalStatsMap exog_stats;
  // A model output of series s (scaled space) back to the data's scale.
  float inverse_y(int64_t s, float z) const;
  // A future value of column c of series s into the scaled space (identity when not scaled).
  float forward_exog(const std::string& c, int64_t s, float x) const;
  LocalStatsMap all_stats() const;  // {"y": stats} plus exog_stats
};

// NeuralForecast's local scaling: every value column (target and exogenous) of every series is
// scaled with the statistics of that series in `stats_from` (matched by id): taken from `fitted`
// when it holds the column, else computed from stats_from's values. A series absent from
// stats_from (or no stats_from) uses its own first fit_len[s] values (all when empty).
// Identity when !enabled. Box-Cox names the series and timestamp of a negative value.
Scaled local_scale(const data::Frame& df, bool enabled, data::LocalScalerType t,
                   const std::vector<int64_t>& fit_len = {}, const data::Frame* stats_from = nullptr,
                   const LocalStatsMap* fitted = nullptr);

// Each series' view for one model: the scaled target plus the model's exogenous channels from
// df (historic / future), futr_df (future values after each series, predict) and static_df.
// `lengths` (optional) truncates series (cross-validation cutoffs; future channels then extend
// to the end of df). Future values are copied into `storage`, which must outlive the views.
std::vector<SeriesView> model_views(const models::Model& m, const data::Frame& df, const Scaled& sc,
                                    const data::StaticFrame* static_df, const data::Frame* futr_df,
                                    const std::vector<int64_t>& lengths, std::vector<std::vector<float>>* storage);

// The forecast columns of model m (NeuralForecast's _generate_forecasts): their names and, for
// distribution losses, the quantiles to compute. Checks the levels / quantiles asked for.
// Point models with conformity scores (`conformal`) get the point forecast and NeuralForecast's
// conformal columns (alias-lo-X in reversed level order, alias-hi-X in level order; or
// alias-ql{q}), computed by conformal_columns from the point forecast.
struct ModelColumns {
  std::vector<std::string> names;
  std::vector<float> quantiles;  // distribution losses: the quantiles the forecast holds;
                                 // conformal: the cuts of the interval columns, in column order
  bool conformal = false;
};
ModelColumns model_columns(const models::Model& m, const Intervals& iv, bool conformal = false);

// The conformal columns: point [S, h] in the data's scale, scores[s] -> that series' [W, h]
// conformity scores; returns [S, h, 1 + cuts] (the point forecast first).
std::vector<float> conformal_columns(const std::vector<float>& point, const std::vector<const float*>& scores,
                                     int64_t W, int64_t h, const std::string& method,
                                     const std::vector<float>& cuts);

// Each series of df's [W, h] conformity scores within `scores` ([ids, W, h], ids ascending);
// refuses a series that has none, naming it.
std::vector<const float*> scores_for(const std::vector<float>& scores, const std::vector<std::string>& ids,
                                     const data::Frame& df, int64_t W, int64_t h, const std::string& alias);

// df with series s cut to its first lengths[s] rows.
data::Frame truncate(const data::Frame& df, const std::vector<int64_t>& lengths);

// Refuses data a distribution loss cannot model (Poisson with a negative value, ...), naming the
// model, the series and the timestamp; `values` are the targets the loss sees (locally scaled).
void check_support(const models::Model& m, const data::Frame& df, const std::vector<float>& values,
                   const std::vector<int64_t>& lengths = {});

}  // namespace nd::forecast::detail
