// Scoring forecast or cross-validation frames, per series and overall (as utilsforecast's
// evaluate, with its metric names): point metrics for every model column; MASE and OWA (M4's, against
// Naive2) given the training history; for NeuralForecast interval columns (<model>-lo-<L> /
// <model>-hi-<L>) coverage and quantile (pinball) losses, scored under the model's point column.
// Rows of a series are pooled across cross-validation cutoffs.
#pragma once
#include <string>
#include <vector>

namespace nd::forecast {

struct Evaluation {
  std::vector<std::string> ids;      // series; scores[..][ids.size()] is the overall value
  std::vector<std::string> columns;  // scored model columns
  std::vector<std::string> metrics;  // e.g. "mae", "owa", "coverage_level80", "mqloss", "quantile_loss_q0.1"
  // scores[m][c][s]: metric m, column c, series s (s == ids.size(): all series pooled).
  std::vector<std::vector<std::vector<double>>> scores;
  std::string to_csv() const;  // unique_id, metric, <columns...>  ("all" rows for the overall)
};

struct EvaluateOptions {
  // Point: mae, mse, rmse, mape, smape, mase, owa. Intervals: coverage (coverage_level<L>), mqloss,
  // scaled_mqloss, quantile_loss (quantile_loss_q<q> per bound), scaled_quantile_loss, crps,
  // scaled_crps (utilsforecast's, Rangapuram et al.); without any
  // of these, interval columns get coverage and mqloss. The "all" row of mase and scaled_* is the
  // mean of the series' values; of owa, M4's ratio of the mean sMAPE and MASE to Naive2's; of the
  // others, the score of all rows pooled.
  std::vector<std::string> metrics = {"mae", "rmse", "smape"};
  std::string actuals_path;  // CSV with unique_id, ds, y when the forecast file has no y
  // History for mase, owa and scaled_*: each series' training values (for owa in a
  // cross-validation frame, those up to the row's cutoff are Naive2's input).
  std::string train_path;
  int season_length = 0;     // for mase, owa, scaled_*; 0 = from the training data's frequency
};

// Reads `path` (unique_id, ds, [cutoff], model columns..., [y]) and scores it. Errors name the
// file, line and column (missing y with no actuals, rows without an actual, unknown metric).
Evaluation evaluate_csv(const std::string& path, const EvaluateOptions& opt);

}  // namespace nd::forecast
