// Interval scores for evaluate, as utilsforecast defines and names them (losses.py, evaluation.py):
// - coverage_level<L>: share of actuals inside [<model>-lo-<L>, <model>-hi-<L>] (bounds included);
// - quantile_loss_q<q>: mean pinball loss max(q (y - p), (q - 1)(y - p)) of the bound that
//   estimates quantile q: lo-<L> is q = (100 - L) / 200, hi-<L> is 1 - (100 - L) / 200;
// - mqloss: quantile_loss averaged over the 2 x (number of levels) quantiles of the bounds (the
//   median column is not among them, as utilsforecast's _models_from_levels);
// - scaled_*: divided by the series' in-sample seasonal naive MAE (the MASE scale);
// - crps: 2 x mqloss, the quantile approximation of the CRPS (2 times the pinball loss
//   integrated over the quantile levels); scaled_crps: utilsforecast's (Rangapuram et al. 2021)
//   2 x mqloss x n / (sum |y| + eps) over the rows scored.
// Overall ("all") rows pool every row for the unscaled scores and average the series' values for
// the scaled ones (as evaluate does for MASE).
#include <algorithm>
#include <charconv>
#include <functional>
#include <cmath>

#include "forecast/evaluate_internal.h"
#include "nd/core/error.h"

namespace nd::forecast::detail {

namespace {

struct Bound {
  double q;  // the quantile the column estimates
  int col;
};

// Python's repr of the quantile (shortest round trip), as utilsforecast's f"{q}".
std::string q_name(double q) {
  char buf[32];
  const auto r = std::to_chars(buf, buf + sizeof buf, q);
  return std::string(buf, r.ptr);
}

size_t metric_slot(Evaluation* ev, const std::string& name) {
  const size_t m = std::find(ev->metrics.begin(), ev->metrics.end(), name) - ev->metrics.begin();
  if (m == ev->metrics.size()) {
    ev->metrics.push_back(name);
    ev->scores.push_back(std::vector<std::vector<double>>(
        ev->columns.size(), std::vector<double>(ev->ids.size() + 1, std::nan(""))));
  }
  return m;
}

double pinball(double q, float y, float p) {
  const double d = static_cast<double>(y) - p;
  return std::max(q * d, (q - 1.0) * d);
}

}  // namespace

double seasonal_naive_scale(const float* x, int64_t n, int64_t m) {
  double s = 0.0;
  int64_t k = 0;
  for (int64_t t = m; t < n; ++t, ++k) s += std::fabs(static_cast<double>(x[t]) - x[t - m]);
  return k ? s / static_cast<double>(k) : std::nan("");
}

void score_intervals(const EvalContext& cx, const std::vector<std::string>& wanted, Evaluation* ev) {
  const Table& t = *cx.t;
  const std::vector<float>& y = *cx.y;
  auto want = [&](const std::string& m) { return std::find(wanted.begin(), wanted.end(), m) != wanted.end(); };
  // model -> level -> (lo column, hi column)
  std::map<std::string, std::map<std::string, std::pair<int, int>>> bounds;
  for (size_t c = 0; c < t.names.size(); ++c) {
    std::string model, level;
    if (interval_bound(t.names[c], "-lo-", &model, &level)) bounds[model][level].first = static_cast<int>(c) + 1;
    else if (interval_bound(t.names[c], "-hi-", &model, &level)) bounds[model][level].second = static_cast<int>(c) + 1;
  }
  std::vector<size_t> all(t.id.size());
  for (size_t r = 0; r < all.size(); ++r) all[r] = r;
  const size_t S = ev->ids.size();
  for (const auto& [model, levels] : bounds) {
    size_t ci = ev->columns.size();  // scored under the model's point column
    for (size_t c = 0; c < ev->columns.size(); ++c)
      if (ev->columns[c] == model || ev->columns[c] == model + "-median") ci = c;
    if (ci == ev->columns.size()) continue;
    std::vector<Bound> qs;
    std::vector<std::pair<std::string, std::pair<int, int>>> pairs;
    for (const auto& [level, lh] : levels) {
      if (lh.first == 0 || lh.second == 0) continue;  // one bound only
      double lv = 0.0;
      const auto r = std::from_chars(level.data(), level.data() + level.size(), lv);
      ND_CHECK(r.ec == std::errc() && r.ptr == level.data() + level.size() && lv > 0.0 && lv < 100.0, "column '",
               model, "-lo-", level, "': the level must be a number in (0, 100)");
      const double alpha = (100.0 - lv) / 200.0;
      qs.push_back({alpha, lh.first - 1});
      qs.push_back({1.0 - alpha, lh.second - 1});
      pairs.push_back({level, {lh.first - 1, lh.second - 1}});
    }
    if (qs.empty()) continue;
    std::sort(qs.begin(), qs.end(), [](const Bound& a, const Bound& b) { return a.q < b.q; });
    // Mean pinball loss of bound b over rows idx (rows with a missing value skipped).
    auto qloss = [&](const Bound& b, const std::vector<size_t>& idx) {
      double s = 0.0;
      int64_t n = 0;
      for (size_t r : idx) {
        const float p = t.values[b.col][r];
        if (std::isnan(p) || std::isnan(y[r])) continue;
        s += pinball(b.q, y[r], p), ++n;
      }
      return n ? s / static_cast<double>(n) : std::nan("");
    };
    auto mq = [&](const std::vector<size_t>& idx) {
      double s = 0.0;
      for (const Bound& b : qs) s += qloss(b, idx);
      return s / static_cast<double>(qs.size());
    };
    auto scale_of = [&](size_t s) {
      if (!cx.train) return std::nan("");
      const int64_t k = cx.train->find_series(ev->ids[s]);
      if (k < 0) return std::nan("");
      return seasonal_naive_scale(cx.train->column("y").data() + cx.train->indptr[k], cx.train->length(k),
                                  cx.season_length);
    };
    // Per series (the scaled value divides by the series' scale), then the overall entry.
    auto fill = [&](const std::string& name, const std::function<double(const std::vector<size_t>&)>& f,
                    bool scaled) {
      const size_t mi = metric_slot(ev, name);
      std::vector<double>& out = ev->scores[mi][ci];
      double sum = 0.0;
      int64_t n = 0;
      for (size_t s = 0; s < S; ++s) {
        out[s] = f((*cx.rows)[ev->ids[s]]) / (scaled ? scale_of(s) : 1.0);
        if (!std::isnan(out[s])) sum += out[s], ++n;
      }
      out[S] = scaled ? (n ? sum / static_cast<double>(n) : std::nan("")) : f(all);
    };
    if (want("coverage"))
      for (const auto& [level, lh] : pairs) {
        const auto [lc, hc] = lh;
        fill("coverage_level" + level,
             [&](const std::vector<size_t>& idx) {
               int64_t in = 0, n = 0;
               for (size_t r : idx) {
                 ++n;
                 in += y[r] >= t.values[lc][r] && y[r] <= t.values[hc][r];
               }
               return n ? static_cast<double>(in) / static_cast<double>(n) : std::nan("");
             },
             false);
      }
    if (want("mqloss")) fill("mqloss", mq, false);
    if (want("crps")) fill("crps", [&](const std::vector<size_t>& idx) { return 2.0 * mq(idx); }, false);
    if (want("scaled_crps"))
      fill("scaled_crps",
           [&](const std::vector<size_t>& idx) {
             double norm = 0.0;
             for (size_t r : idx) norm += std::fabs(static_cast<double>(y[r]));
             return 2.0 * mq(idx) * static_cast<double>(idx.size()) / (norm + 2.220446049250313e-16);
           },
           false);
    if (want("scaled_mqloss")) fill("scaled_mqloss", mq, true);
    for (const Bound& b : qs) {
      auto one = [&](const std::vector<size_t>& idx) { return qloss(b, idx); };
      if (want("quantile_loss")) fill("quantile_loss_q" + q_name(b.q), one, false);
      if (want("scaled_quantile_loss")) fill("scaled_quantile_loss_q" + q_name(b.q), one, true);
    }
  }
}

}  // namespace nd::forecast::detail
