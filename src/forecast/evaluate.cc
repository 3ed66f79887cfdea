// evaluate_csv: loads a forecast / cross-validation table and scores it (see nd/forecast/evaluate.h):
// point metrics, MASE and OWA (against M4's Naive2) from the training history, then the interval
// scores of evaluate_intervals.cc.
#include "nd/forecast/evaluate.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <sstream>

#include "forecast/evaluate_internal.h"
#include "nd/core/error.h"
#include "nd/data/calendar.h"
#include "nd/data/csv.h"
#include "nd/forecast/metrics.h"

namespace nd::forecast {

using detail::Table;

namespace {

const char* const kPointMetrics[] = {"mae", "mse", "rmse", "mape", "smape", "mase", "owa"};
const char* const kIntervalMetrics[] = {"coverage", "mqloss", "scaled_mqloss", "quantile_loss", "scaled_quantile_loss",
                                         "crps", "scaled_crps"};

bool contains(const std::vector<std::string>& v, const std::string& x) { return std::find(v.begin(), v.end(), x) != v.end(); }

// M4's Naive2 forecast for every row: from the series' training values up to the row's cutoff
// (cross-validation frames) or all of them (forecast frames), `step` periods ahead of that origin.
std::vector<float> naive2_column(const Table& t, const data::Frame& train, const data::Frequency& freq, int64_t m,
                                 const std::string& path) {
  std::vector<float> out(t.id.size());
  std::map<std::pair<std::string, int64_t>, std::vector<float>> cache;  // (id, origin) -> forecast
  const std::vector<float>& ty = train.column("y");
  for (size_t r = 0; r < t.id.size(); ++r) {
    const int64_t s = train.find_series(t.id[r]);
    ND_CHECK(s >= 0, "owa: series '", t.id[r], "' of '", path, "' is not in the training data");
    const int64_t b = train.indptr[s], e = train.indptr[s + 1];
    const int64_t origin = t.cutoff.empty() ? train.ds[e - 1] : t.cutoff[r];
    const int64_t n = std::upper_bound(train.ds.begin() + b, train.ds.begin() + e, origin) - (train.ds.begin() + b);
    ND_CHECK(n > 0, "owa: series '", t.id[r], "' has no training values up to ", data::format_time(origin, train.time_kind));
    int64_t step = 1;  // periods from the origin to the row's ds
    while (freq.advance(origin, step) < t.ds[r] && step < 1000000) ++step;
    ND_CHECK(freq.advance(origin, step) == t.ds[r], "owa: series '", t.id[r], "': ds ",
             data::format_time(t.ds[r], train.time_kind), " is not after its forecast origin ",
             data::format_time(origin, train.time_kind), " on the ", freq.str(), " grid");
    std::vector<float>& f = cache[{t.id[r], origin}];
    if (static_cast<int64_t>(f.size()) < step) {
      f.resize(static_cast<size_t>(step));
      naive2(ty.data() + b, n, m, step, f.data());
    }
    out[r] = f[step - 1];
  }
  return out;
}

}  // namespace

std::string Evaluation::to_csv() const {
  std::ostringstream o;
  o << "unique_id,metric";
  for (const std::string& c : columns) o << ',' << c;
  o << '\n';
  char buf[32];
  for (size_t s = 0; s <= ids.size(); ++s)
    for (size_t m = 0; m < metrics.size(); ++m) {
      o << (s < ids.size() ? ids[s] : "all") << ',' << metrics[m];
      for (size_t c = 0; c < columns.size(); ++c) {
        const double v = scores[m][c][s];
        if (std::isnan(v)) {
          o << ',';
        } else {
          std::snprintf(buf, sizeof buf, "%.6g", v);
          o << ',' << buf;
        }
      }
      o << '\n';
    }
  return o.str();
}

Evaluation evaluate_csv(const std::string& path, const EvaluateOptions& opt) {
  std::vector<std::string> point_metrics, interval_metrics;
  for (const std::string& m : opt.metrics) {
    if (std::find(std::begin(kPointMetrics), std::end(kPointMetrics), m) != std::end(kPointMetrics))
      point_metrics.push_back(m);
    else if (std::find(std::begin(kIntervalMetrics), std::end(kIntervalMetrics), m) != std::end(kIntervalMetrics))
      interval_metrics.push_back(m);
    else
      ND_THROW("unknown metric '", m, "'; expected mae, mse, rmse, mape, smape, mase, owa, coverage, mqloss, "
               "scaled_mqloss, quantile_loss, scaled_quantile_loss, crps, scaled_crps");
  }
  // Interval columns are scored with coverage and mqloss unless other interval metrics are asked for.
  if (interval_metrics.empty()) interval_metrics = {"coverage", "mqloss"};
  Table t = detail::read_table(path);
  std::vector<float> y;
  if (t.col("y") >= 0) {
    y = t.values[t.col("y")];
  } else {
    ND_CHECK(!opt.actuals_path.empty(), path, ": no 'y' column; pass the actuals (unique_id, ds, y)");
    const data::Frame a = data::read_csv(opt.actuals_path);
    y.resize(t.id.size());
    for (size_t r = 0; r < t.id.size(); ++r) {
      const int64_t s = a.find_series(t.id[r]);
      ND_CHECK(s >= 0, path, ": series '", t.id[r], "' is not in the actuals '", opt.actuals_path, "'");
      auto b = a.ds.begin() + a.indptr[s], e = a.ds.begin() + a.indptr[s + 1];
      auto it = std::lower_bound(b, e, t.ds[r]);
      ND_CHECK(it != e && *it == t.ds[r], path, ": series '", t.id[r], "' has no actual at ds ",
               data::format_time(t.ds[r], a.time_kind));
      y[r] = a.column("y")[it - a.ds.begin()];
    }
  }
  Evaluation ev;
  // Rows grouped by series (first appearance order is the files' sorted order).
  std::map<std::string, std::vector<size_t>> rows;
  for (size_t r = 0; r < t.id.size(); ++r) {
    if (!rows.count(t.id[r])) ev.ids.push_back(t.id[r]);
    rows[t.id[r]].push_back(r);
  }
  std::vector<std::string> point;
  for (size_t c = 0; c < t.names.size(); ++c) {
    std::string model, level;
    if (t.names[c] == "y" || detail::interval_bound(t.names[c], "-lo-", &model, &level) ||
        detail::interval_bound(t.names[c], "-hi-", &model, &level))
      continue;
    point.push_back(t.names[c]);
  }
  ND_CHECK(!point.empty(), path, ": no model columns to score");
  ev.columns = point;
  ev.metrics = point_metrics;
  // History for MASE, OWA and the scaled interval losses.
  data::Frame train;
  data::Frequency freq;
  int m_season = opt.season_length;
  const bool want_owa = contains(point_metrics, "owa");
  const bool need_train = contains(point_metrics, "mase") || want_owa ||
                          contains(interval_metrics, "scaled_mqloss") || contains(interval_metrics, "scaled_quantile_loss");
  if (need_train) {
    ND_CHECK(!opt.train_path.empty(), "metrics mase, owa and scaled_* need the training data (--train)");
    train = data::read_csv(opt.train_path);
    int64_t best = 0;
    for (int64_t s = 1; s < train.n_series(); ++s)
      if (train.length(s) > train.length(best)) best = s;
    freq = data::Frequency::infer(train.ds.data() + train.indptr[best], train.length(best), train.time_kind);
    if (m_season <= 0) m_season = freq.season_length();
  }
  auto score = [&](const std::string& metric, const std::vector<size_t>& idx, const std::vector<float>& p,
                   const std::string& id) -> double {
    std::vector<float> a, b;
    for (size_t r : idx)
      if (!std::isnan(p[r]) && !std::isnan(y[r])) a.push_back(y[r]), b.push_back(p[r]);
    if (a.empty()) return std::nan("");
    const int64_t n = static_cast<int64_t>(a.size());
    if (metric == "mae") return mae(a.data(), b.data(), n);
    if (metric == "mse") return mse(a.data(), b.data(), n);
    if (metric == "rmse") return rmse(a.data(), b.data(), n);
    if (metric == "mape") return mape(a.data(), b.data(), n);
    if (metric == "smape") return smape(a.data(), b.data(), n);
    const int64_t s = train.find_series(id);
    if (s < 0) return std::nan("");  // pooled rows: MASE is per series
    return forecast::mase(a.data(), b.data(), n, train.column("y").data() + train.indptr[s], train.length(s), m_season);
  };
  const std::vector<float> naive2_fc = want_owa ? naive2_column(t, train, freq, m_season, path) : std::vector<float>{};
  ev.scores.assign(ev.metrics.size(), std::vector<std::vector<double>>(point.size()));
  std::vector<size_t> all(t.id.size());
  for (size_t r = 0; r < all.size(); ++r) all[r] = r;
  auto mean_finite = [](const std::vector<double>& v) {
    double s = 0;
    int k = 0;
    for (double x : v)
      if (!std::isnan(x)) s += x, ++k;
    return k ? s / k : std::nan("");
  };
  for (size_t m = 0; m < ev.metrics.size(); ++m)
    for (size_t c = 0; c < point.size(); ++c) {
      const std::vector<float>& p = t.values[t.col(point[c])];
      std::vector<double>& out = ev.scores[m][c];
      if (ev.metrics[m] == "owa") {
        // Per series from its sMAPE and MASE and Naive2's on the same rows; overall (M4) from the
        // averages over the series where all four are defined.
        std::vector<double> sm, ms, sm2, ms2;
        for (const std::string& id : ev.ids) {
          const double v[4] = {score("smape", rows[id], p, id), score("mase", rows[id], p, id),
                               score("smape", rows[id], naive2_fc, id), score("mase", rows[id], naive2_fc, id)};
          out.push_back(owa(v[0], v[1], v[2], v[3]));
          if (std::isfinite(out.back())) sm.push_back(v[0]), ms.push_back(v[1]), sm2.push_back(v[2]), ms2.push_back(v[3]);
        }
        out.push_back(sm.empty() ? std::nan("") : owa(mean_finite(sm), mean_finite(ms), mean_finite(sm2), mean_finite(ms2)));
        continue;
      }
      for (const std::string& id : ev.ids) out.push_back(score(ev.metrics[m], rows[id], p, id));
      // Overall: MASE averages the series' values (it is per series); the others pool all rows.
      out.push_back(ev.metrics[m] == "mase" ? mean_finite(out) : score(ev.metrics[m], all, p, ""));
    }
  detail::EvalContext cx;
  cx.t = &t;
  cx.y = &y;
  cx.rows = &rows;
  cx.train = need_train ? &train : nullptr;
  cx.season_length = m_season > 0 ? m_season : 1;
  detail::score_intervals(cx, interval_metrics, &ev);
  return ev;
}

}  // namespace nd::forecast
