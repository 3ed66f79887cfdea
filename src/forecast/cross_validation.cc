// NeuralForecast::cross_validation and its result frame.
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <limits>
#include <sstream>

#include "forecast/forecast_internal.h"
#include "nd/core/error.h"
#include "nd/data/calendar.h"
#include "nd/forecast/neuralforecast.h"

namespace nd::forecast {

const std::vector<float>& CVResult::column(const std::string& name) const {
  for (size_t c = 0; c < columns.size(); ++c)
    if (columns[c] == name) return values[c];
  ND_THROW("cross-validation result has no column '", name, "'");
}

std::string CVResult::to_csv() const {
  std::ostringstream o;
  o << "unique_id,ds,cutoff";
  for (const std::string& c : columns) o << ',' << c;
  o << '\n';
  char buf[64];
  for (int64_t r = 0; r < n_rows(); ++r) {
    o << unique_id[r] << ',' << data::format_time(ds[r], time_kind) << ',' << data::format_time(cutoff[r], time_kind);
    for (const auto& v : values) {
      std::snprintf(buf, sizeof buf, "%.9g", static_cast<double>(v[r]));
      o << ',' << buf;
    }
    o << '\n';
  }
  return o.str();
}

void CVResult::write_csv(const std::string& path) const {
  const std::string tmp = path + ".tmp." + std::to_string(::getpid());
  {
    std::ofstream f(tmp, std::ios::binary | std::ios::trunc);
    ND_CHECK(f.good(), "cannot write '", path, "'");
    f << to_csv();
    f.close();
    if (!f) {
      std::remove(tmp.c_str());
      ND_THROW("cannot write '", path, "'");
    }
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    std::remove(tmp.c_str());
    ND_THROW("cannot write '", path, "'");
  }
}

CVResult NeuralForecast::cross_validation(const data::Frame& df, int64_t n_windows, int64_t step_size,
                                          int64_t val_size, int64_t test_size, bool refit,
                                          const data::StaticFrame* static_df, const Intervals& intervals,
                                          const PredictionIntervals* prediction_intervals) {
  check_frame(df, true);
  resolve_freq(df);
  if (prediction_intervals) {  // core.py cross_validation's checks
    ND_CHECK(!intervals.empty(), "When passing prediction_intervals you need to set the level or quantiles argument.");
    ND_CHECK(refit, "Passing prediction_intervals is only supported with refit=True.");
    prediction_intervals->check();
  }
  const int64_t h = models_[0]->h();
  for (auto& m : models_)
    ND_CHECK(m->h() == h, "models with different horizons (", m->h(), " vs ", h, ") in one NeuralForecast");
  ND_CHECK(step_size >= 1, "step_size must be >= 1, got ", step_size);
  if (test_size > 0) {
    ND_CHECK(n_windows <= 0, "give n_windows or test_size, not both");
    ND_CHECK(test_size >= h && (test_size - h) % step_size == 0, "test_size - h (", test_size, " - ", h,
             ") must be a non-negative multiple of step_size ", step_size);
    n_windows = (test_size - h) / step_size + 1;
  } else {
    ND_CHECK(n_windows >= 1, "n_windows must be >= 1 (or give test_size), got ", n_windows);
    test_size = h + step_size * (n_windows - 1);
  }
  const int64_t S = df.n_series();
  std::vector<int64_t> fit_len(S);
  for (int64_t s = 0; s < S; ++s) {
    ND_CHECK(df.length(s) > test_size + val_size, "series '", df.ids[s], "' has ", df.length(s),
             " values: not enough for test_size ", test_size, " + val_size ", val_size, " + training data");
    fit_len[s] = df.length(s) - test_size;
  }
  // Local scaling with statistics of the data before the first cutoff (no look-ahead).
  detail::Scaled sc = detail::local_scale(df, has_local_scaler_, local_scaler_, fit_len);
  std::vector<std::vector<float>> storage;
  auto views_upto = [&](const models::Model& m, int64_t w) {
    std::vector<int64_t> len(S);
    for (int64_t s = 0; s < S; ++s) len[s] = fit_len[s] + w * step_size;
    return detail::model_views(m, df, sc, static_df, nullptr, len, &storage);
  };
  std::vector<int64_t> trained_len(fit_len);  // what the models train on (refit: up to the last cutoff)
  if (refit)
    for (int64_t& n : trained_len) n += step_size * (n_windows - 1);
  for (auto& m : models_) detail::check_support(*m, df, sc.y, trained_len);
  std::vector<detail::ModelColumns> cols;
  for (auto& m : models_) {
    const bool conformal = prediction_intervals && m->loss().outputsize_multiplier() == 1 &&
                           !m->loss().is_distribution();
    cols.push_back(detail::model_columns(*m, intervals, conformal));
  }
  reports_.clear();
  std::map<std::string, std::vector<float>> scores;  // the current window's conformity scores
  if (!refit)
    for (auto& m : models_) reports_.push_back(train_model(*m, views_upto(*m, 0), val_size, verbose));

  CVResult out;
  out.time_kind = df.time_kind;
  for (const auto& c : cols) out.columns.insert(out.columns.end(), c.names.begin(), c.names.end());
  out.columns.push_back("y");
  out.values.assign(out.columns.size(), {});
  // forecasts[w][model] = [S, h, Q] in the data's scale
  std::vector<std::vector<std::vector<float>>> fc(n_windows);
  for (int64_t w = 0; w < n_windows; ++w) {
    if (refit) {
      reset_models();
      if (prediction_intervals) {  // each window's fit is calibrated on that window's data
        std::vector<int64_t> len(S);
        for (int64_t s = 0; s < S; ++s) len[s] = fit_len[s] + w * step_size;
        scores = calibrate(detail::truncate(df, len), val_size, static_df, *prediction_intervals);
      }
      for (auto& m : models_) reports_.push_back(train_model(*m, views_upto(*m, w), val_size, verbose));
    }
    for (size_t k = 0; k < models_.size(); ++k) {
      std::vector<float> f = predict_model(*models_[k], views_upto(*models_[k], w), &cols[k].quantiles,
                                           static_cast<uint64_t>(w));
      const int64_t F = cols[k].conformal ? 1 : static_cast<int64_t>(cols[k].names.size());
      for (int64_t s = 0; s < S; ++s)
        for (int64_t i = 0; i < h * F; ++i) f[s * h * F + i] = sc.inverse_y(s, f[s * h * F + i]);
      if (cols[k].conformal) {
        const std::string& alias = models_[k]->alias();
        f = detail::conformal_columns(f, detail::scores_for(scores.at(alias), df.ids, df, prediction_intervals->n_windows,
                                                            h, alias),
                                      prediction_intervals->n_windows, h, prediction_intervals->method,
                                      cols[k].quantiles);
      }
      fc[w].push_back(std::move(f));
    }
  }
  const std::vector<float>& y = df.column("y");
  for (int64_t s = 0; s < S; ++s)
    for (int64_t w = 0; w < n_windows; ++w) {
      const int64_t cut = df.indptr[s] + fit_len[s] + w * step_size - 1;  // last observed row
      for (int64_t t = 0; t < h; ++t) {
        out.unique_id.push_back(df.ids[s]);
        out.ds.push_back(df.ds[cut + 1 + t]);
        out.cutoff.push_back(df.ds[cut]);
        size_t col = 0;
        for (size_t k = 0; k < models_.size(); ++k) {
          const int64_t Q = static_cast<int64_t>(cols[k].names.size());
          for (int64_t q = 0; q < Q; ++q)
            out.values[col++].push_back(fc[w][k][(s * h + t) * Q + q]);
        }
        out.values[col].push_back(y[cut + 1 + t]);
      }
    }
  has_pi_ = prediction_intervals != nullptr;  // predict() then uses the last window's calibration
  if (has_pi_) pi_ = *prediction_intervals;
  scores_ = std::move(scores);
  train_ = df;
  static_ = static_df ? *static_df : data::StaticFrame{};
  local_stats_.clear();  // predict() after cross_validation scales with statistics of all of df
  fitted_ = true;
  return out;
}

CVResult NeuralForecast::predict_insample(int64_t step_size, const Intervals& intervals) {
  ND_CHECK(fitted_, "predict_insample() before fit()");
  ND_CHECK(!has_pi_ || intervals.empty(), "One or more models has been trained with conformal prediction intervals. "
           "They are not supported for insample predictions. Set level=None and quantiles=None");
  ND_CHECK(step_size >= 1, "step_size must be >= 1, got ", step_size);
  const data::Frame& df = train_;
  const int64_t S = df.n_series(), h = models_[0]->h();
  const data::StaticFrame* st = static_.ids.empty() ? nullptr : &static_;
  detail::Scaled sc = detail::local_scale(df, has_local_scaler_, local_scaler_, {}, &train_, &local_stats_);
  std::vector<detail::ModelColumns> cols;
  for (auto& m : models_) cols.push_back(detail::model_columns(*m, intervals));
  CVResult out;
  out.time_kind = df.time_kind;
  for (const auto& c : cols) out.columns.insert(out.columns.end(), c.names.begin(), c.names.end());
  out.columns.push_back("y");
  out.values.assign(out.columns.size(), {});
  // Cutoff positions per series: the last observed index c, with c + h inside the series.
  int64_t first = std::numeric_limits<int64_t>::max();
  for (auto& m : models_) first = std::min(first, m->input_size() - 1);
  int64_t max_windows = 0;
  for (int64_t s = 0; s < S; ++s)
    if (df.length(s) - h - first > 0) max_windows = std::max(max_windows, (df.length(s) - h - first - 1) / step_size + 1);
  ND_CHECK(max_windows > 0, "predict_insample: every series is shorter than input_size + h");
  const std::vector<float>& y = df.column("y");
  // Forecast window by window (window w: cutoff first + w * step_size in every long-enough series).
  std::vector<std::vector<std::vector<float>>> fc(max_windows);  // [w][model] -> [S, h, Q]
  std::vector<std::vector<float>> storage;
  for (int64_t w = 0; w < max_windows; ++w) {
    std::vector<int64_t> len(S);
    for (int64_t s = 0; s < S; ++s) len[s] = std::min(df.length(s), first + w * step_size + 1);
    for (size_t k = 0; k < models_.size(); ++k)
      fc[w].push_back(predict_model(*models_[k], detail::model_views(*models_[k], df, sc, st, nullptr, len, &storage),
                                    &cols[k].quantiles, static_cast<uint64_t>(w)));
  }
  for (int64_t s = 0; s < S; ++s)
    for (int64_t w = 0; w < max_windows; ++w) {
      const int64_t c = first + w * step_size;  // index within the series
      if (c + h >= df.length(s)) break;
      for (int64_t t = 0; t < h; ++t) {
        const int64_t row = df.indptr[s] + c + 1 + t;
        out.unique_id.push_back(df.ids[s]);
        out.ds.push_back(df.ds[row]);
        out.cutoff.push_back(df.ds[df.indptr[s] + c]);
        size_t col = 0;
        for (size_t k = 0; k < models_.size(); ++k) {
          const int64_t Q = static_cast<int64_t>(cols[k].names.size());
          for (int64_t q = 0; q < Q; ++q)
            out.values[col++].push_back(sc.inverse_y(s, fc[w][k][(s * h + t) * Q + q]));
        }
        out.values[col].push_back(y[row]);
      }
    }
  return out;
}

}  // namespace nd::forecast
