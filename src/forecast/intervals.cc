// Probabilistic forecast columns: which quantiles a model forecasts for predict(level=...) /
// predict(quantiles=...) and what NeuralForecast names them (core.py _generate_forecasts,
// _get_column_name; utils.py level_to_quantiles), and the data check of distribution losses.
#include <algorithm>
#include <cmath>

#include "forecast/forecast_internal.h"
#include "nd/core/error.h"
#include "nd/data/csv.h"
#include "nd/losses/distribution.h"

namespace nd::forecast::detail {

ModelColumns model_columns(const models::Model& m, const Intervals& iv) {
  ModelColumns c;
  const losses::Loss& loss = m.loss();
  const std::string alias = m.alias();
  if (iv.empty()) {
    for (const std::string& n : loss.output_names()) c.names.push_back(alias + n);
    c.quantiles = loss.quantiles();
    return c;
  }
  ND_CHECK(iv.level.empty() || iv.quantiles.empty(), "give level or quantiles, not both");
  const bool has_level = !iv.level.empty();
  std::vector<float> qs;
  for (float l : iv.level) {
    ND_CHECK(l > 0.0f && l < 100.0f, "level must be in (0, 100), got ", l);
    qs.push_back((50.0f - l / 2.0f) / 100.0f);
    qs.push_back((50.0f + l / 2.0f) / 100.0f);
  }
  for (float q : iv.quantiles) {
    ND_CHECK(q > 0.0f && q < 1.0f, "quantiles must be in (0, 1), got ", q);
    qs.push_back(q);
  }
  std::sort(qs.begin(), qs.end());
  qs.erase(std::unique(qs.begin(), qs.end()), qs.end());
  if (loss.is_distribution()) {
    c.names.push_back(alias);  // the sample mean
    for (float q : qs) {
      if (!has_level)
        c.names.push_back(alias + "_ql" + losses::python_float(q));
      else if (q < 0.5f)
        c.names.push_back(alias + "-lo-" + std::to_string(static_cast<int>(std::lround(100.0 - 200.0 * q))));
      else if (q > 0.5f)
        c.names.push_back(alias + "-hi-" + std::to_string(static_cast<int>(std::lround(100.0 - 200.0 * (1.0 - q)))));
      else
        c.names.push_back(alias + "-median");
    }
    if (loss.return_params())
      for (const std::string& p : loss.param_names()) c.names.push_back(alias + p);
    c.quantiles = qs;
    return c;
  }
  ND_CHECK(loss.outputsize_multiplier() > 1, "You have trained ", alias, " with loss=", loss.name(),
           "(): level / quantiles at predict time need a distribution loss (DistributionLoss, GMM, PMM, NBMM), a "
           "multi-quantile loss (MQLoss); conformal prediction_intervals for point losses are not supported yet");
  // Multi-quantile losses forecast the quantiles they were trained for (NeuralForecast ignores
  // level / quantiles for them too).
  for (const std::string& n : loss.output_names()) c.names.push_back(alias + n);
  return c;
}

void check_support(const models::Model& m, const data::Frame& df, const std::vector<float>& values,
                   const std::vector<int64_t>& lengths) {
  const losses::Loss& loss = m.loss();
  if (!loss.is_distribution()) return;
  std::string need;
  for (int64_t s = 0; s < df.n_series(); ++s) {
    const int64_t r0 = df.indptr[s], n = lengths.empty() ? df.length(s) : lengths[s];
    const int64_t bad = losses::distribution_support_violation(loss, values.data() + r0, n, &need);
    ND_CHECK(bad < 0, m.alias(), ": ", loss.name(),
             loss.name() == std::string("DistributionLoss") ? "(" + m.config()["loss"].value("distribution", "") + ")"
                                                             : std::string(),
             " cannot model series '", df.ids[s], "': y is ", values[r0 + std::max<int64_t>(bad, 0)], " at ds ",
             data::format_time(df.ds[r0 + std::max<int64_t>(bad, 0)], df.time_kind), " (it needs ", need, ")");
  }
}

}  // namespace nd::forecast::detail
