// Shared by the evaluate_* files: the forecast / cross-validation table as read from CSV, and
// the interval (quantile) scores.
#pragma once
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "nd/data/frame.h"
#include "nd/forecast/evaluate.h"

namespace nd::forecast::detail {

struct Table {
  std::vector<std::string> id;
  std::vector<int64_t> ds, cutoff;         // cutoff empty when the file has no cutoff column
  std::vector<std::string> names;          // value columns
  std::vector<std::vector<float>> values;  // values[c][row]
  int col(const std::string& n) const {
    for (size_t c = 0; c < names.size(); ++c)
      if (names[c] == n) return static_cast<int>(c);
    return -1;
  }
};

// unique_id, ds, [cutoff], value columns...; errors name file, line and column.
Table read_table(const std::string& path);

// "<model>-lo-<L>" -> (model, L); false when the name is not an interval bound.
bool interval_bound(const std::string& name, const char* tag, std::string* model, std::string* level);

// Everything evaluate_csv has gathered, for the interval metrics.
struct EvalContext {
  const Table* t = nullptr;
  const std::vector<float>* y = nullptr;                     // actual per row
  std::map<std::string, std::vector<size_t>>* rows = nullptr;  // rows per series id
  const data::Frame* train = nullptr;                          // null when no --train
  int season_length = 1;
};

// Adds coverage_level<L>, mqloss, scaled_mqloss, quantile_loss_q<q>, scaled_quantile_loss_q<q>
// (those in `wanted`) for every model with -lo-<L> / -hi-<L> columns, scored under the model's
// point column. Definitions and names follow utilsforecast.losses / utilsforecast.evaluation.
void score_intervals(const EvalContext& cx, const std::vector<std::string>& wanted, Evaluation* ev);

// In-sample MAE of the seasonal naive forecast (the MASE scale): mean |x[k] - x[k - m]|.
double seasonal_naive_scale(const float* x, int64_t n, int64_t m);

}  // namespace nd::forecast::detail
