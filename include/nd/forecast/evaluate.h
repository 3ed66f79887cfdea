// Scoring forecast or cross-validation frames, per series and overall (as utilsforecast's
// evaluate): point metrics for every model column, MASE given the training history, and for
// NeuralForecast interval columns (<model>-lo-<L> / <model>-hi-<L>) coverage and quantile loss.
#pragma once
#include <string>
#include <vector>

namespace nd::forecast {

struct Evaluation {
  std::vector<std::string> ids;      // series; scores[..][ids.size()] is the overall value
  std::vector<std::string> columns;  // scored model columns
  std::vector<std::string> metrics;  // e.g. "mae", "coverage-80", "mqloss"
  // scores[m][c][s]: metric m, column c, series s (s == ids.size(): all series pooled).
  std::vector<std::vector<std::vector<double>>> scores;
  std::string to_csv() const;  // unique_id, metric, <columns...>  ("all" rows for the overall)
};

struct EvaluateOptions {
  std::vector<std::string> metrics = {"mae", "rmse", "smape"};  // mae, mse, rmse, mape, smape, mase
  std::string actuals_path;  // CSV with unique_id, ds, y when the forecast file has no y
  std::string train_path;    // history for mase
  int season_length = 0;     // for mase; 0 = from the training data's frequency
};

// Reads `path` (unique_id, ds, [cutoff], model columns..., [y]) and scores it. Errors name the
// file, line and column (missing y with no actuals, rows without an actual, unknown metric).
Evaluation evaluate_csv(const std::string& path, const EvaluateOptions& opt);

}  // namespace nd::forecast
