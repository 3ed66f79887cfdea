// NeuralForecast.simulate (core.py, utils.py gaussian_copula_sample / schaake_shuffle_sample):
// temporally coherent sample paths from each model's marginal quantile forecasts.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <numeric>
#include <sstream>

#include "forecast/forecast_internal.h"
#include "nd/core/error.h"
#include "nd/core/rng.h"
#include "nd/data/csv.h"
#include "nd/forecast/neuralforecast.h"

namespace nd::forecast {

namespace {

// utils.py estimate_ar1_rho: the lag-1 correlation of the differenced history, each side centred.
double ar1_rho(const std::vector<float>& y) {
  if (y.size() < 3) return 0.0;
  std::vector<double> d(y.size() - 1);
  for (size_t k = 0; k + 1 < y.size(); ++k) d[k] = static_cast<double>(y[k + 1]) - y[k];
  const size_t n = d.size() - 1;
  double mx = 0.0, mz = 0.0;
  for (size_t k = 0; k < n; ++k) mx += d[k], mz += d[k + 1];
  mx /= static_cast<double>(n), mz /= static_cast<double>(n);
  double sxz = 0.0, sxx = 0.0, szz = 0.0;
  for (size_t k = 0; k < n; ++k) {
    const double x = d[k] - mx, z = d[k + 1] - mz;
    sxz += x * z, sxx += x * x, szz += z * z;
  }
  const double den = std::sqrt(sxx * szz);
  if (den < 1e-15) return 0.0;
  return std::clamp(sxz / den, -0.99, 0.99);
}

// utils.py interp_2d for one row: linear interpolation of (xp, fp) at u in [xp[0], xp[Q-1]].
float interp(const std::vector<float>& xp, const float* fp, double u) {
  const int64_t Q = static_cast<int64_t>(xp.size());
  if (Q == 1) return fp[0];
  int64_t i = std::lower_bound(xp.begin(), xp.end(), static_cast<float>(u)) - xp.begin();
  i = std::clamp<int64_t>(i, 1, Q - 1);
  const double x0 = xp[i - 1], x1 = xp[i];
  const double den = std::fabs(x1 - x0) < 1e-15 ? 1.0 : x1 - x0;
  return static_cast<float>(fp[i - 1] + (u - x0) / den * (static_cast<double>(fp[i]) - fp[i - 1]));
}

uint64_t stream_seed(uint64_t seed, uint64_t s) {
  uint64_t z = seed * 0x9E3779B97F4A7C15ull + (s + 1) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

}  // namespace

std::vector<float> sample_paths(const std::vector<float>& xp, const std::vector<float>& qv, int64_t S, int64_t h,
                                const std::vector<std::vector<float>>& history, const std::vector<std::string>& ids,
                                int64_t P, uint64_t seed, const std::string& method) {
  ND_CHECK(method == "gaussian_copula" || method == "schaake_shuffle", "Unknown simulation method '", method,
           "'. Valid methods: ['gaussian_copula', 'schaake_shuffle']");
  ND_CHECK(P >= 1, "`n_paths` must be a positive integer, got ", P);
  const int64_t Q = static_cast<int64_t>(xp.size());
  ND_CHECK(Q >= 1 && std::is_sorted(xp.begin(), xp.end()), "simulate: quantile positions must be sorted");
  const double q_lo = xp.front(), q_hi = xp.back();
  std::vector<float> out(static_cast<size_t>(S * P * h));
  std::vector<double> y(static_cast<size_t>(h));
  for (int64_t s = 0; s < S; ++s) {
    Rng rng(stream_seed(seed, static_cast<uint64_t>(s)));
    const float* fq = qv.data() + s * h * Q;
    if (method == "gaussian_copula") {
      // R = a^|i - j| (a = |rho|) has the Cholesky factor L[i][0] = a^i, L[i][j] = sqrt(1 - a^2) a^(i - j).
      const double a = std::fabs(ar1_rho(history[s])), c = std::sqrt(1.0 - a * a);
      std::vector<double> z(static_cast<size_t>(h));
      for (int64_t p = 0; p < P; ++p) {
        for (int64_t t = 0; t < h; ++t) z[t] = rng.normal();
        double acc = 0.0;  // y_t = a y_{t-1} + sqrt(1 - a^2) z_t with y_0 = z_0: the same L Z
        for (int64_t t = 0; t < h; ++t) {
          acc = t == 0 ? z[0] : a * acc + c * z[t];
          const double u = std::clamp(0.5 * (1.0 + std::erf(acc / std::sqrt(2.0))), q_lo, q_hi);
          out[(s * P + p) * h + t] = interp(xp, fq + t * Q, u);
        }
      }
    } else {
      std::vector<float> hist;
      for (float v : history[s])
        if (!std::isnan(v)) hist.push_back(v);
      const int64_t T = static_cast<int64_t>(hist.size());
      ND_CHECK(T >= h, "Series '", ids[s], "': history length ", T, " is shorter than horizon ", h,
               ". Cannot extract trajectory templates for Schaake shuffle.");
      // Independent marginal draws per step, sorted.
      std::vector<std::vector<float>> sorted(static_cast<size_t>(h), std::vector<float>(static_cast<size_t>(P)));
      for (int64_t t = 0; t < h; ++t) {
        for (int64_t p = 0; p < P; ++p) sorted[t][p] = interp(xp, fq + t * Q, q_lo + (q_hi - q_lo) * rng.uniform());
        std::sort(sorted[t].begin(), sorted[t].end());
      }
      // Templates: h-step windows of the history, without replacement when there are enough.
      const int64_t max_start = T - h + 1;
      std::vector<int64_t> starts(static_cast<size_t>(P));
      if (max_start < P) {
        for (int64_t& st : starts) st = static_cast<int64_t>(rng.randint(static_cast<uint64_t>(max_start)));
      } else {
        std::vector<int64_t> perm(static_cast<size_t>(max_start));
        std::iota(perm.begin(), perm.end(), 0);
        for (int64_t k = max_start - 1; k > 0; --k) std::swap(perm[k], perm[rng.randint(static_cast<uint64_t>(k + 1))]);
        std::copy_n(perm.begin(), P, starts.begin());
      }
      std::vector<int64_t> order(static_cast<size_t>(P));
      for (int64_t t = 0; t < h; ++t) {
        std::iota(order.begin(), order.end(), 0);
        std::stable_sort(order.begin(), order.end(),
                         [&](int64_t i, int64_t j) { return hist[starts[i] + t] < hist[starts[j] + t]; });
        for (int64_t r = 0; r < P; ++r) out[(s * P + order[r]) * h + t] = sorted[t][r];  // rank r gets the r-th value
      }
    }
  }
  return out;
}

Simulation NeuralForecast::simulate(const data::Frame* df_in, const data::StaticFrame* static_df,
                                    const data::Frame* futr_df, int64_t n_paths, std::vector<float> quantiles,
                                    uint64_t seed, const std::string& method) {
  ND_CHECK(fitted_, "You must fit the model before simulating.");
  ND_CHECK(n_paths >= 1, "`n_paths` must be a positive integer, got ", n_paths);
  ND_CHECK(method == "gaussian_copula" || method == "schaake_shuffle", "Unknown simulation method '", method,
           "'. Valid methods: ['gaussian_copula', 'schaake_shuffle']");
  if (quantiles.empty())
    for (int k = 1; k < 100; ++k) quantiles.push_back(static_cast<float>(k / 100.0));
  std::sort(quantiles.begin(), quantiles.end());
  quantiles.erase(std::unique(quantiles.begin(), quantiles.end()), quantiles.end());
  for (const auto& m : models_) {
    const losses::Loss& l = m->loss();
    if (!l.is_distribution() && l.outputsize_multiplier() == 1)
      ND_CHECK(!conformity_scores(m->alias()).empty(), "Model '", m->alias(), "' uses point loss ", l.name(),
               ". Set `prediction_intervals` during fit() to enable simulation for point-loss models.");
  }
  const data::Frame f = predict(df_in, static_df, futr_df, Intervals{{}, quantiles});
  const data::Frame& df = df_in ? *df_in : train_;
  const int64_t S = df.n_series(), h = models_[0]->h();
  Simulation sim;
  sim.ids = df.ids;
  sim.ds = f.ds;
  sim.time_kind = f.time_kind;
  sim.n_paths = n_paths;
  sim.h = h;
  std::vector<std::vector<float>> history(static_cast<size_t>(S));
  for (int64_t s = 0; s < S; ++s)
    history[s].assign(df.column("y").begin() + df.indptr[s], df.column("y").begin() + df.indptr[s + 1]);
  for (size_t k = 0; k < models_.size(); ++k) {
    const models::Model& m = *models_[k];
    const losses::Loss& l = m.loss();
    // (quantile, column) pairs, sorted by quantile.
    std::vector<std::pair<float, std::string>> cols;
    if (l.is_multi_quantile()) {  // its trained quantiles (NeuralForecast passes them unsorted)
      for (size_t q = 0; q < l.quantiles().size(); ++q) cols.push_back({l.quantiles()[q], m.alias() + l.output_names()[q]});
    } else {
      const detail::ModelColumns mc = detail::model_columns(m, Intervals{{}, quantiles}, !l.is_distribution());
      for (size_t q = 0; q < mc.quantiles.size(); ++q) cols.push_back({mc.quantiles[q], mc.names[1 + q]});
    }
    std::stable_sort(cols.begin(), cols.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
    const int64_t Q = static_cast<int64_t>(cols.size());
    std::vector<float> xp(static_cast<size_t>(Q)), qv(static_cast<size_t>(S * h * Q));
    for (int64_t q = 0; q < Q; ++q) {
      xp[q] = cols[q].first;
      const std::vector<float>& c = f.column(cols[q].second);
      for (int64_t e = 0; e < S * h; ++e) qv[e * Q + q] = c[e];
    }
    const std::vector<float> paths =
        sample_paths(xp, qv, S, h, history, df.ids, n_paths, stream_seed(seed, 1000003u + k), method);  // [S, P, h]
    std::vector<float> v(paths.size());
    for (int64_t s = 0; s < S; ++s)
      for (int64_t p = 0; p < n_paths; ++p)
        std::copy_n(paths.begin() + (s * n_paths + p) * h, h, v.begin() + (p * S + s) * h);
    sim.columns.push_back(m.alias());
    sim.values.push_back(std::move(v));
  }
  return sim;
}

std::string Simulation::to_csv() const {
  std::ostringstream o;
  o << "unique_id,ds,sample_id";
  for (const std::string& c : columns) o << ',' << c;
  o << '\n';
  char buf[64];
  const int64_t S = static_cast<int64_t>(ids.size());
  for (int64_t p = 0; p < n_paths; ++p)
    for (int64_t s = 0; s < S; ++s)
      for (int64_t t = 0; t < h; ++t) {
        o << ids[s] << ',' << data::format_time(ds[s * h + t], time_kind) << ',' << p;
        for (const auto& v : values) {
          std::snprintf(buf, sizeof buf, "%.9g", static_cast<double>(v[(p * S + s) * h + t]));
          o << ',' << buf;
        }
        o << '\n';
      }
  return o.str();
}

}  // namespace nd::forecast
