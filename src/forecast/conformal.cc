// Conformal prediction intervals (NeuralForecast's fit(prediction_intervals=...)): conformity
// scores from a cross-validation of clones of the point models (core.py _conformity_scores).
#include <algorithm>
#include <cmath>
#include <cstring>

#include "forecast/forecast_internal.h"
#include "nd/core/error.h"
#include "nd/data/scalers.h"
#include "nd/forecast/neuralforecast.h"

namespace nd::forecast {

void PredictionIntervals::check() const {
  ND_CHECK(n_windows >= 2, "You need at least two windows to compute conformal intervals (n_windows=", n_windows, ")");
  ND_CHECK(method == "conformal_error" || method == "conformal_distribution",
           "method must be one of ['conformal_error', 'conformal_distribution'], got '", method, "'");
  ND_CHECK(step_size >= 1, "step_size must be at least 1, got ", step_size);
}

const std::vector<float>& NeuralForecast::conformity_scores(const std::string& alias) const {
  static const std::vector<float> none;
  const auto it = scores_.find(alias);
  return it == scores_.end() ? none : it->second;
}

std::map<std::string, std::vector<float>> NeuralForecast::calibrate(const data::Frame& df, int64_t val_size,
                                                                     const data::StaticFrame* static_df,
                                                                     const PredictionIntervals& pi) const {
  pi.check();
  const int64_t h = models_[0]->h();
  const int64_t min_samples = h + pi.step_size * (pi.n_windows - 1) + 1 + val_size;
  int64_t min_size = df.length(0);
  for (int64_t s = 1; s < df.n_series(); ++s) min_size = std::min(min_size, df.length(s));
  ND_CHECK(min_size >= min_samples, "Minimum required samples in each serie for the prediction intervals settings are: ",
           min_samples, ", shortest serie has: ", min_size,
           ". Please reduce the number of windows, horizon, validation size or remove those series.");
  // Clones (config and current weights) of the models that take conformal intervals: those with
  // one output (NeuralForecast skips multi-output and implicit-quantile losses, core.py
  // _get_model_names(add_level=True)).
  std::vector<std::unique_ptr<models::Model>> clones;
  for (const auto& m : models_) {
    if (m->loss().outputsize_multiplier() != 1 || m->loss().is_distribution()) continue;
    auto c = models::make_model(m->name(), m->config());
    ND_CHECK(c->params().size() == m->params().size(), "internal: clone of ", m->alias(), " differs in size");
    std::memcpy(c->params().data(), m->params().data(), sizeof(float) * static_cast<size_t>(m->params().size()));
    clones.push_back(std::move(c));
  }
  std::map<std::string, std::vector<float>> scores;
  if (clones.empty()) return scores;
  NeuralForecast cal(std::move(clones), freq_.str(), has_local_scaler_ ? data::local_scaler_name(local_scaler_) : "");
  cal.verbose = verbose;
  const CVResult cv = cal.cross_validation(df, pi.n_windows, pi.step_size, val_size, 0, false, static_df);
  // Rows are (series, window, step): the [S, W, h] layout.
  const std::vector<float>& y = cv.column("y");
  for (const auto& m : cal.models_) {
    const std::vector<float>& f = cv.column(m->alias());
    std::vector<float> e(f.size());
    for (size_t r = 0; r < f.size(); ++r) e[r] = std::fabs(f[r] - y[r]);
    scores[m->alias()] = std::move(e);
  }
  return scores;
}

namespace detail {

// The scores of each series of df, [W, h] per series, looked up by id among the calibration
// series (`ids`); a series that was not calibrated is refused by name.
std::vector<const float*> scores_for(const std::vector<float>& scores, const std::vector<std::string>& ids,
                                     const data::Frame& df, int64_t W, int64_t h, const std::string& alias) {
  std::vector<const float*> out;
  for (const std::string& id : df.ids) {
    const auto it = std::lower_bound(ids.begin(), ids.end(), id);
    ND_CHECK(it != ids.end() && *it == id, alias, ": series '", id,
             "' has no conformity scores (conformal intervals are calibrated on the series given to fit)");
    out.push_back(scores.data() + (it - ids.begin()) * W * h);
  }
  return out;
}

}  // namespace detail
}  // namespace nd::forecast
