// NeuralForecast orchestrator: input checks, local scaling, per-model training and the forecast
// frame with NeuralForecast's column names.
#include "nd/forecast/neuralforecast.h"

#include <algorithm>
#include <cmath>

#include "nd/core/error.h"
#include "nd/data/csv.h"
#include "forecast/forecast_internal.h"

namespace nd::forecast {

NeuralForecast::NeuralForecast(std::vector<std::unique_ptr<models::Model>> models, std::string freq,
                               std::string local_scaler_type)
    : models_(std::move(models)), freq_alias_(std::move(freq)) {
  ND_CHECK(!models_.empty(), "NeuralForecast needs at least one model");
  for (size_t a = 0; a < models_.size(); ++a)
    for (size_t b = a + 1; b < models_.size(); ++b)
      ND_CHECK(models_[a]->alias() != models_[b]->alias(), "two models share the alias '", models_[a]->alias(),
               "'; give one an alias");
  if (!freq_alias_.empty()) freq_ = data::Frequency::parse(freq_alias_);
  if (!local_scaler_type.empty()) {
    local_scaler_ = data::local_scaler_from_name(local_scaler_type);
    has_local_scaler_ = true;
  }
}

void NeuralForecast::check_frame(const data::Frame& df, bool for_fit) const {
  df.check();
  ND_CHECK(df.n_series() > 0, "the data frame has no series");
  const std::vector<float>& y = df.column("y");
  for (int64_t s = 0; s < df.n_series(); ++s)
    for (int64_t r = df.indptr[s]; r < df.indptr[s + 1]; ++r)
      ND_CHECK(std::isfinite(y[r]), "series '", df.ids[s], "': target y is ", y[r], " at ds ",
               data::format_time(df.ds[r], df.time_kind), " (missing values are not supported)");
  (void)for_fit;
}

namespace detail {

float Scaled::inverse_y(int64_t s, float z) const {
  if (enabled) data::local_inverse(type, &z, 1, stats[s]);
  return z;
}

float Scaled::forward_exog(const std::string& c, int64_t s, float x) const {
  const auto it = exog_stats.find(c);
  if (it != exog_stats.end()) data::local_forward(type, &x, 1, it->second[s]);
  return x;
}

LocalStatsMap Scaled::all_stats() const {
  LocalStatsMap m = exog_stats;
  m["y"] = stats;
  return m;
}

Scaled local_scale(const data::Frame& df, bool enabled, data::LocalScalerType t, const std::vector<int64_t>& fit_len,
                   const data::Frame* stats_from, const LocalStatsMap* fitted) {
  Scaled s;
  s.enabled = enabled;
  s.type = t;
  const int64_t S = df.n_series();
  std::vector<float> scratch;
  // Scales column `name` of df into `out`, recording per-series statistics.
  auto scale_column = [&](const std::string& name, std::vector<float>* out, std::vector<data::LocalStats>* stats) {
    *out = df.column(name);
    stats->assign(S, data::LocalStats{});
    if (!enabled) return;
    const auto fit_it = fitted ? fitted->find(name) : LocalStatsMap::const_iterator{};
    for (int64_t k = 0; k < S; ++k) {
      const int64_t fk = stats_from ? stats_from->find_series(df.ids[k]) : -1;
      if (fk >= 0 && fitted && fit_it != fitted->end()) {
        (*stats)[k] = fit_it->second.at(static_cast<size_t>(fk));
      } else {
        // The values the statistics come from: the fit frame's series, or df's own first fit_len.
        const bool from_fit = fk >= 0 && stats_from->col(name) >= 0;
        const data::Frame& src = from_fit ? *stats_from : df;
        const int64_t row0 = src.indptr[from_fit ? fk : k];
        const int64_t n = from_fit ? src.length(fk) : (fit_len.empty() ? df.length(k) : fit_len[k]);
        const float* x = src.column(name).data() + row0;
        if (t == data::LocalScalerType::boxcox)  // coreforecast's loglik Box-Cox rejects negatives
          for (int64_t r = 0; r < n; ++r)
            ND_CHECK(x[r] >= 0.0f, "local_scaler_type 'boxcox': series '", df.ids[k], "' column '", name,
                     "' has the negative value ", x[r], " at ds ", data::format_time(src.ds[row0 + r], src.time_kind),
                     " (Box-Cox by log-likelihood, as NeuralForecast, needs values >= 0)");
        scratch.resize(static_cast<size_t>(n));
        (*stats)[k] = data::local_statistics(t, x, n, scratch.data());
      }
      data::local_forward(t, out->data() + df.indptr[k], df.length(k), (*stats)[k]);
    }
  };
  scale_column("y", &s.y, &s.stats);
  if (enabled)
    for (const std::string& c : df.columns)
      if (c != "y") scale_column(c, &s.exog[c], &s.exog_stats[c]);
  for (int64_t k = 0; k < S; ++k) {
    SeriesView v;
    v.y = s.y.data() + df.indptr[k];
    v.n = df.length(k);
    s.views.push_back(std::move(v));
  }
  return s;
}

std::vector<SeriesView> model_views(const models::Model& m, const data::Frame& df, const Scaled& sc,
                                    const data::StaticFrame* static_df, const data::Frame* futr_df,
                                    const std::vector<int64_t>& lengths, std::vector<std::vector<float>>* storage) {
  const std::vector<std::string> hist = m.hist_exog_list(), futr = m.futr_exog_list(), stat = m.stat_exog_list();
  auto col = [&](const std::string& name, const char* list) -> const std::vector<float>& {
    ND_CHECK(df.col(name) >= 0, m.alias(), ": ", list, " column '", name, "' is not in the data");
    auto it = sc.exog.find(name);  // locally scaled copy when local scaling is on
    return it != sc.exog.end() ? it->second : df.column(name);
  };
  const int64_t S = df.n_series(), h = m.h();
  std::vector<SeriesView> views(S);
  for (int64_t k = 0; k < S; ++k) {
    SeriesView& v = views[k];
    v.y = sc.views[k].y;
    v.n = lengths.empty() ? df.length(k) : lengths[k];
    const int64_t row0 = df.indptr[k];
    for (const std::string& c : hist) v.hist.push_back(col(c, "hist_exog_list").data() + row0);
    if (!futr.empty()) {
      if (!lengths.empty()) {  // cross-validation: the future is the rest of the series
        for (const std::string& c : futr) v.futr.push_back(col(c, "futr_exog_list").data() + row0);
        v.n_future = df.length(k) - v.n;
      } else if (futr_df) {  // predict: history from df, the next h values from futr_df
        const int64_t fs = futr_df->find_series(df.ids[k]);
        ND_CHECK(fs >= 0, m.alias(), ": futr_df has no rows for series '", df.ids[k], "'");
        const int64_t last = df.ds[df.indptr[k + 1] - 1];
        for (const std::string& c : futr) {
          ND_CHECK(futr_df->col(c) >= 0, m.alias(), ": futr_df lacks the future exogenous column '", c, "'");
          std::vector<float> buf(col(c, "futr_exog_list").begin() + row0,
                                 col(c, "futr_exog_list").begin() + row0 + v.n);
          // The first h rows of futr_df after the series' last timestamp.
          const std::vector<float>& fc = futr_df->column(c);
          int64_t r = futr_df->indptr[fs];
          const int64_t end = futr_df->indptr[fs + 1];
          while (r < end && futr_df->ds[r] <= last) ++r;
          ND_CHECK(end - r >= h, m.alias(), ": futr_df has ", end - r, " rows after the last timestamp of series '",
                   df.ids[k], "'; ", h, " are needed");
          for (int64_t t = 0; t < h; ++t) buf.push_back(sc.forward_exog(c, k, fc[r + t]));
          storage->push_back(std::move(buf));
          v.futr.push_back(storage->back().data());
        }
        v.n_future = h;
      } else {
        // fit: the training windows only need the history.
        for (const std::string& c : futr) v.futr.push_back(col(c, "futr_exog_list").data() + row0);
      }
    }
    for (const std::string& c : stat) {
      ND_CHECK(static_df, m.alias(), ": stat_exog_list needs static_df (static features per series)");
      const int sc_col = static_df->col(c);
      ND_CHECK(sc_col >= 0, m.alias(), ": static_df lacks the static column '", c, "'");
      const auto it = std::find(static_df->ids.begin(), static_df->ids.end(), df.ids[k]);
      ND_CHECK(it != static_df->ids.end(), m.alias(), ": static_df has no row for series '", df.ids[k], "'");
      v.stat.push_back(static_df->values[sc_col][it - static_df->ids.begin()]);
    }
  }
  return views;
}
}  // namespace detail

void NeuralForecast::resolve_freq(const data::Frame& df) {
  if (freq_alias_.empty()) {
    // Infer from the longest series.
    int64_t best = 0;
    for (int64_t s = 1; s < df.n_series(); ++s)
      if (df.length(s) > df.length(best)) best = s;
    freq_ = data::Frequency::infer(df.ds.data() + df.indptr[best], df.length(best), df.time_kind);
  }
  ND_CHECK((freq_.unit == data::Frequency::Unit::step) == (df.time_kind == data::TimeKind::integer),
           "frequency '", freq_.str(), "' does not fit ", df.time_kind == data::TimeKind::integer ? "integer" : "date",
           " timestamps");
  data::check_regular(df, freq_);
}

void NeuralForecast::reset_models() {
  for (auto& m : models_) m = models::make_model(m->name(), m->config());
}

void NeuralForecast::fit(const data::Frame& df, int64_t val_size, const data::StaticFrame* static_df,
                         const PredictionIntervals* prediction_intervals) {
  check_frame(df, true);
  resolve_freq(df);
  std::map<std::string, std::vector<float>> scores;
  if (prediction_intervals) scores = calibrate(df, val_size, static_df, *prediction_intervals);
  train_ = df;
  static_ = static_df ? *static_df : data::StaticFrame{};
  detail::Scaled sc = detail::local_scale(train_, has_local_scaler_, local_scaler_);
  local_stats_ = has_local_scaler_ ? sc.all_stats() : detail::LocalStatsMap{};
  reports_.clear();
  for (auto& m : models_) detail::check_support(*m, train_, sc.y);
  for (auto& m : models_) {
    std::vector<std::vector<float>> storage;
    reports_.push_back(train_model(*m, detail::model_views(*m, train_, sc, static_df, nullptr, {}, &storage),
                                   val_size, verbose));
  }
  has_pi_ = prediction_intervals != nullptr;
  if (has_pi_) pi_ = *prediction_intervals;
  scores_ = std::move(scores);
  fitted_ = true;
}

void NeuralForecast::attach(const data::Frame& df, const data::StaticFrame* static_df) {
  check_frame(df, true);
  resolve_freq(df);
  train_ = df;
  static_ = static_df ? *static_df : data::StaticFrame{};
  reports_.clear();
  has_pi_ = false;
  scores_.clear();
  fitted_ = true;
}

data::Frame NeuralForecast::predict(const data::Frame* df_in, const data::StaticFrame* static_in,
                                    const data::Frame* futr_df, const Intervals& intervals) {
  ND_CHECK(fitted_, "predict() before fit()");
  const data::Frame& df = df_in ? *df_in : train_;
  if (df_in) {
    check_frame(df, false);
    data::check_regular(df, freq_);
  }
  // Local statistics come from the fit data (NeuralForecast keeps the fitted scalers).
  detail::Scaled sc = detail::local_scale(df, has_local_scaler_, local_scaler_, {}, &train_, &local_stats_);
  const int64_t S = df.n_series();
  data::Frame out;
  out.ids = df.ids;
  out.time_kind = df.time_kind;
  out.indptr.assign(1, 0);
  int64_t h_max = 0;
  for (auto& m : models_) h_max = std::max(h_max, m->h());
  for (auto& m : models_)
    ND_CHECK(m->h() == h_max, "models with different horizons (", m->h(), " vs ", h_max, ") in one NeuralForecast");
  for (int64_t s = 0; s < S; ++s) {
    const int64_t last = df.ds[df.indptr[s + 1] - 1];
    for (int64_t k = 1; k <= h_max; ++k) out.ds.push_back(freq_.advance(last, k));
    out.indptr.push_back(out.indptr.back() + h_max);
  }
  const data::StaticFrame* st = static_in ? static_in : (static_.ids.empty() ? nullptr : &static_);
  for (auto& m : models_) {
    if (!m->futr_exog_list().empty())
      ND_CHECK(futr_df, m->alias(), " uses future exogenous variables: pass futr_df with the next ", m->h(),
               " values of ", models::json(m->futr_exog_list()).dump(), " for every series");
    std::vector<std::vector<float>> storage;
    storage.reserve(m->futr_exog_list().size() * static_cast<size_t>(S));  // views point into it
    const std::vector<float>& scores = conformity_scores(m->alias());
    const detail::ModelColumns cols = detail::model_columns(*m, intervals, !scores.empty());
    const std::vector<float> f = predict_model(*m, detail::model_views(*m, df, sc, st, futr_df, {}, &storage),
                                               &cols.quantiles);  // [S, h, C]; conformal: [S, h, 1]
    const int64_t C = static_cast<int64_t>(cols.names.size()), h = m->h(), F = cols.conformal ? 1 : C;
    std::vector<float> data_scale(f.size());
    for (int64_t s = 0; s < S; ++s)
      for (int64_t i = 0; i < h * F; ++i) data_scale[s * h * F + i] = sc.inverse_y(s, f[s * h * F + i]);
    if (cols.conformal)
      data_scale = detail::conformal_columns(
          data_scale, detail::scores_for(scores, train_.ids, df, pi_.n_windows, h, m->alias()), pi_.n_windows, h,
          pi_.method, cols.quantiles);
    for (int64_t q = 0; q < C; ++q) {
      std::vector<float> col(static_cast<size_t>(S * h));
      for (int64_t i = 0; i < S * h; ++i) col[i] = data_scale[i * C + q];
      out.set_column(cols.names[q], std::move(col));
    }
  }
  return out;
}

}  // namespace nd::forecast
