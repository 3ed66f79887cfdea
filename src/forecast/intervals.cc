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

namespace {

// NeuralForecast writes the level as the user gave it: 80 -> "80", 80.5 -> "80.5".
std::string level_text(float l) {
  if (l == std::floor(l)) return std::to_string(static_cast<int64_t>(l));
  return losses::python_float(l);
}

// np.quantile's default ("linear") of the sorted values v at q.
double np_quantile(const std::vector<double>& v, double q) {
  const double pos = q * static_cast<double>(v.size() - 1);
  const size_t lo = static_cast<size_t>(std::floor(pos));
  const size_t hi = std::min(lo + 1, v.size() - 1);
  const double t = pos - static_cast<double>(lo);
  return t >= 0.5 ? v[hi] - (v[hi] - v[lo]) * (1.0 - t) : v[lo] + (v[hi] - v[lo]) * t;
}

ModelColumns conformal_names(const std::string& alias, const Intervals& iv) {
  ModelColumns c;
  c.conformal = true;
  c.names.push_back(alias);
  if (!iv.level.empty()) {  // utils.py add_conformal_*_intervals
    for (auto it = iv.level.rbegin(); it != iv.level.rend(); ++it) {
      c.names.push_back(alias + "-lo-" + level_text(*it));
      c.quantiles.push_back(static_cast<float>((100.0 - *it) / 200.0));
    }
    for (float l : iv.level) {
      c.names.push_back(alias + "-hi-" + level_text(l));
      c.quantiles.push_back(static_cast<float>(1.0 - (100.0 - l) / 200.0));
    }
  } else {
    for (float q : iv.quantiles) {
      c.names.push_back(alias + "-ql" + losses::python_float(q));
      c.quantiles.push_back(q);
    }
  }
  return c;
}

}  // namespace

std::vector<float> conformal_columns(const std::vector<float>& point, const std::vector<const float*>& scores,
                                     int64_t W, int64_t h, const std::string& method,
                                     const std::vector<float>& cuts) {
  const int64_t S = static_cast<int64_t>(scores.size()), C = 1 + static_cast<int64_t>(cuts.size());
  const bool distribution = method == "conformal_distribution";
  std::vector<float> out(static_cast<size_t>(S * h * C));
  std::vector<double> v;
  for (int64_t s = 0; s < S; ++s)
    for (int64_t t = 0; t < h; ++t) {
      const double mean = point[s * h + t];
      v.clear();
      for (int64_t w = 0; w < W; ++w) {
        const double e = scores[s][w * h + t];
        if (distribution) {
          v.push_back(mean - e);
          v.push_back(mean + e);
        } else {
          v.push_back(e);
        }
      }
      std::sort(v.begin(), v.end());
      float* o = &out[(s * h + t) * C];
      o[0] = static_cast<float>(mean);
      for (size_t k = 0; k < cuts.size(); ++k) {
        const double q = cuts[k];
        double val;
        if (distribution)
          val = np_quantile(v, q);
        else if (q < 0.5)  // the score quantile of the mirrored level (NF: its reversed cut list)
          val = mean - np_quantile(v, 1.0 - q);
        else if (q > 0.5)
          val = mean + np_quantile(v, q);
        else
          val = mean;
        o[1 + k] = static_cast<float>(val);
      }
    }
  return out;
}

data::Frame truncate(const data::Frame& df, const std::vector<int64_t>& lengths) {
  data::Frame out;
  out.ids = df.ids;
  out.columns = df.columns;
  out.time_kind = df.time_kind;
  out.values.assign(df.columns.size(), {});
  out.indptr.assign(1, 0);
  for (int64_t s = 0; s < df.n_series(); ++s) {
    const int64_t r0 = df.indptr[s], n = std::min(lengths[s], df.length(s));
    out.ds.insert(out.ds.end(), df.ds.begin() + r0, df.ds.begin() + r0 + n);
    for (size_t c = 0; c < df.columns.size(); ++c)
      out.values[c].insert(out.values[c].end(), df.values[c].begin() + r0, df.values[c].begin() + r0 + n);
    out.indptr.push_back(out.indptr.back() + n);
  }
  return out;
}

ModelColumns model_columns(const models::Model& m, const Intervals& iv, bool conformal) {
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
  if (loss.outputsize_multiplier() == 1) {
    ND_CHECK(conformal, "You have trained ", alias, " with loss=", loss.name(),
             "(): level / quantiles need prediction_intervals (conformal intervals) given to fit, or a distribution "
             "loss (DistributionLoss, GMM, PMM, NBMM) or multi-quantile loss (MQLoss)");
    return conformal_names(alias, iv);
  }
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
