// evaluate_csv: loads a forecast / cross-validation table and scores it (see nd/forecast/evaluate.h).
#include "nd/forecast/evaluate.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <sstream>

#include "data/csv_tokenizer.h"
#include "nd/core/error.h"
#include "nd/data/calendar.h"
#include "nd/data/csv.h"
#include "nd/forecast/metrics.h"

namespace nd::forecast {

namespace cd = data::csv_detail;

namespace {

struct Table {
  std::vector<std::string> id;
  std::vector<int64_t> ds;
  std::vector<std::string> names;          // value columns
  std::vector<std::vector<float>> values;  // values[c][row]
  int col(const std::string& n) const {
    for (size_t c = 0; c < names.size(); ++c)
      if (names[c] == n) return static_cast<int>(c);
    return -1;
  }
};

Table read_table(const std::string& path) {
  std::string buf = cd::read_file(path);
  cd::Tokenizer tok(&buf, ',', path);
  std::vector<std::string_view> f;
  ND_CHECK(tok.next(&f), path, ": empty file");
  const std::vector<std::string> header = cd::header_names(f, path, tok.line());
  tok.set_header(&header);
  const int ic = cd::find_column(header, "unique_id"), tc = cd::find_column(header, "ds");
  if (ic < 0) cd::missing_column(path, tok.line(), "unique_id", header);
  if (tc < 0) cd::missing_column(path, tok.line(), "ds", header);
  Table t;
  std::vector<int> value_cols;
  for (size_t c = 0; c < header.size(); ++c)
    if (static_cast<int>(c) != ic && static_cast<int>(c) != tc && header[c] != "cutoff") {
      value_cols.push_back(static_cast<int>(c));
      t.names.push_back(header[c]);
    }
  t.values.resize(value_cols.size());
  while (tok.next(&f)) {
    cd::check_field_count(f.size(), header, path, tok.line());
    data::TimeKind kind;
    int64_t ts;
    try {
      ts = data::parse_time(f[tc], &kind);
    } catch (const Error&) {
      cd::field_error(path, tok.line(), "ds", "not a date, datetime or integer", f[tc]);
    }
    t.id.emplace_back(f[ic]);
    t.ds.push_back(ts);
    for (size_t k = 0; k < value_cols.size(); ++k) {
      float v;
      bool oor;
      if (!cd::parse_value(f[value_cols[k]], &v, &oor))
        cd::field_error(path, tok.line(), header[value_cols[k]], "not a number", f[value_cols[k]]);
      t.values[k].push_back(v);
    }
  }
  ND_CHECK(!t.id.empty(), path, ": no data rows");
  return t;
}

// "<model>-lo-<L>" -> (model, L); false when the name is not an interval bound.
bool interval_bound(const std::string& name, const char* tag, std::string* model, std::string* level) {
  const size_t p = name.rfind(tag);
  if (p == std::string::npos || p == 0) return false;
  *model = name.substr(0, p);
  *level = name.substr(p + std::string(tag).size());
  return !level->empty();
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
  for (const std::string& m : opt.metrics)
    ND_CHECK(m == "mae" || m == "mse" || m == "rmse" || m == "mape" || m == "smape" || m == "mase",
             "unknown metric '", m, "'; expected mae, mse, rmse, mape, smape, mase");
  Table t = read_table(path);
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
  std::map<std::string, std::vector<std::pair<std::string, int>>> lows, highs;  // model -> (level, column)
  for (size_t c = 0; c < t.names.size(); ++c) {
    std::string model, level;
    if (t.names[c] == "y") continue;
    if (interval_bound(t.names[c], "-lo-", &model, &level)) lows[model].push_back({level, static_cast<int>(c)});
    else if (interval_bound(t.names[c], "-hi-", &model, &level)) highs[model].push_back({level, static_cast<int>(c)});
    else point.push_back(t.names[c]);
  }
  ND_CHECK(!point.empty(), path, ": no model columns to score");
  ev.columns = point;
  ev.metrics = opt.metrics;
  // History for MASE.
  data::Frame train;
  int m_season = opt.season_length;
  const bool want_mase = std::find(opt.metrics.begin(), opt.metrics.end(), "mase") != opt.metrics.end();
  if (want_mase) {
    ND_CHECK(!opt.train_path.empty(), "metric mase needs the training data (--train)");
    train = data::read_csv(opt.train_path);
    if (m_season <= 0) {
      int64_t best = 0;
      for (int64_t s = 1; s < train.n_series(); ++s)
        if (train.length(s) > train.length(best)) best = s;
      m_season = data::Frequency::infer(train.ds.data() + train.indptr[best], train.length(best), train.time_kind)
                     .season_length();
    }
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
  ev.scores.assign(ev.metrics.size(), std::vector<std::vector<double>>(point.size()));
  std::vector<size_t> all(t.id.size());
  for (size_t r = 0; r < all.size(); ++r) all[r] = r;
  for (size_t m = 0; m < ev.metrics.size(); ++m)
    for (size_t c = 0; c < point.size(); ++c) {
      const std::vector<float>& p = t.values[t.col(point[c])];
      for (const std::string& id : ev.ids) ev.scores[m][c].push_back(score(ev.metrics[m], rows[id], p, id));
      if (ev.metrics[m] == "mase") {  // overall: mean of the series' MASE
        double s = 0;
        int k = 0;
        for (double v : ev.scores[m][c])
          if (!std::isnan(v)) s += v, ++k;
        ev.scores[m][c].push_back(k ? s / k : std::nan(""));
      } else {
        ev.scores[m][c].push_back(score(ev.metrics[m], all, p, ""));
      }
    }
  // Intervals: coverage-<L> per model with both bounds.
  for (auto& [model, lo] : lows) {
    for (auto& [level, lc] : lo) {
      auto hi = std::find_if(highs[model].begin(), highs[model].end(), [&](auto& h) { return h.first == level; });
      if (hi == highs[model].end()) continue;
      const std::string name = "coverage-" + level;
      size_t mi = std::find(ev.metrics.begin(), ev.metrics.end(), name) - ev.metrics.begin();
      if (mi == ev.metrics.size()) {
        ev.metrics.push_back(name);
        ev.scores.push_back(std::vector<std::vector<double>>(point.size(),
                                                             std::vector<double>(ev.ids.size() + 1, std::nan(""))));
      }
      // Score it under the model's point column (median or the model itself).
      size_t ci = point.size();
      for (size_t c = 0; c < point.size(); ++c)
        if (point[c] == model || point[c] == model + "-median") ci = c;
      if (ci == point.size()) continue;
      const std::vector<float>& L = t.values[lc];
      const std::vector<float>& H = t.values[hi->second];
      auto cover = [&](const std::vector<size_t>& idx) {
        int in = 0, n = 0;
        for (size_t r : idx) n++, in += y[r] >= L[r] && y[r] <= H[r];
        return n ? static_cast<double>(in) / n : std::nan("");
      };
      for (size_t s = 0; s < ev.ids.size(); ++s) ev.scores[mi][ci][s] = cover(rows[ev.ids[s]]);
      ev.scores[mi][ci][ev.ids.size()] = cover(all);
    }
  }
  return ev;
}

}  // namespace nd::forecast
