// The demo behind `nd demo` (see nd/forecast/demo.h).
#include "nd/forecast/demo.h"

#include <chrono>
#include <cstdio>
#include <iomanip>
#include <vector>

#include "nd/data/csv.h"
#include "nd/data/embedded.h"
#include "nd/forecast/metrics.h"
#include "nd/forecast/neuralforecast.h"
#include "nd/io/plot.h"

namespace nd::forecast {

namespace {
constexpr int64_t kH = 12;
constexpr int64_t kConformalWindows = 12;

// Defaults chosen for a quick, accurate demo; any of them can be overridden.
models::json demo_defaults(const std::string& model) {
  models::json j = {{"h", kH}, {"input_size", 24}, {"scaler_type", "robust"}, {"random_seed", 1}};
  const std::string m = models::find_model(model).name;
  if (m == "MLP") j.update({{"max_steps", 300}, {"hidden_size", 256}});
  if (m == "NLinear" || m == "DLinear") j.update({{"max_steps", 500}, {"learning_rate", 1e-2}});
  return j;
}
}  // namespace

DemoResult run_demo(const DemoOptions& opt, std::ostream& out) {
  data::Frame all = data::read_csv_string(data::embedded_air_passengers(), "air_passengers.csv");
  const int64_t n = all.n_rows();
  // Train on all but the last year.
  data::Frame train = all;
  train.indptr = {0, n - kH};
  train.ds.resize(n - kH);
  for (auto& col : train.values) col.resize(n - kH);
  const std::vector<float>& y = all.column("y");

  models::json hp = demo_defaults(opt.model);
  hp.update(opt.hyperparameters);
  std::vector<std::unique_ptr<models::Model>> ms;
  ms.push_back(models::make_model(opt.model, hp));
  const std::string alias = ms[0]->alias();
  NeuralForecast nf(std::move(ms), "MS");
  nf.verbose = opt.verbose;
  const auto t0 = std::chrono::steady_clock::now();
  // Point models get conformal intervals (calibrated on the last kConformalWindows cutoffs of the
  // training data); distribution and quantile losses (--set loss=...) bring their own.
  PredictionIntervals pi;
  pi.n_windows = kConformalWindows;
  nf.fit(train, 0, nullptr, &pi);
  DemoResult r;
  r.fit_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  data::Frame f = nf.predict(nullptr, nullptr, nullptr, Intervals{{80}, {}});

  const bool quantiles = f.col(alias + "-median") >= 0;
  const std::vector<float>& point = f.column(quantiles ? alias + "-median" : alias);
  const std::vector<float>* lo = f.col(alias + "-lo-80") >= 0 ? &f.column(alias + "-lo-80") : nullptr;
  const std::vector<float>* hi = f.col(alias + "-hi-80") >= 0 ? &f.column(alias + "-hi-80") : nullptr;
  std::vector<float> naive(kH);
  seasonal_naive(y.data(), n - kH, 12, kH, naive.data());
  const float* actual = y.data() + n - kH;

  out << "AirPassengers: " << alias << " trained on 1949-01 .. 1959-12 (" << n - kH << " months) in " << std::fixed
      << std::setprecision(2) << r.fit_seconds << " s; forecast of 1960 vs actuals\n\n";
  out << "ds          actual  " << std::setw(9) << alias << (lo ? "   lo-80    hi-80" : "") << "  snaive   error\n";
  int inside = 0;
  for (int64_t t = 0; t < kH; ++t) {
    out << data::format_time(f.ds[t], f.time_kind) << std::setprecision(1) << std::setw(8) << actual[t]
        << std::setw(10) << point[t];
    if (lo) {
      out << std::setw(9) << (*lo)[t] << std::setw(9) << (*hi)[t];
      inside += actual[t] >= (*lo)[t] && actual[t] <= (*hi)[t];
    }
    out << std::setw(8) << naive[t] << std::setw(8) << point[t] - actual[t] << "\n";
  }
  r.model_mae = mae(actual, point.data(), kH);
  r.model_smape = smape(actual, point.data(), kH);
  r.naive_mae = mae(actual, naive.data(), kH);
  r.naive_smape = smape(actual, naive.data(), kH);
  if (lo) r.coverage80 = static_cast<double>(inside) / kH;
  out << "\n" << std::setprecision(2) << alias << ": MAE " << r.model_mae << ", sMAPE " << r.model_smape << "%";
  if (lo)
    out << ", 80% " << (nf.conformity_scores(alias).empty() ? "" : "conformal ") << "interval covers " << inside
        << "/" << kH << " actuals (nominal " << std::setprecision(1) << 0.8 * kH << std::setprecision(2) << ")";
  out << "\nseasonal naive: MAE " << r.naive_mae << ", sMAPE " << r.naive_smape << "%\n";
  out << (r.model_mae < r.naive_mae ? "the model beats" : "the model does NOT beat")
      << " seasonal naive on MAE by " << std::setprecision(1) << 100.0 * (1.0 - r.model_mae / r.naive_mae) << "%\n";

  if (!opt.plot_path.empty()) {
    io::Plot p;
    p.title = "AirPassengers: " + alias + " forecast of 1960";
    p.x_label = "month";
    p.y_label = "passengers (thousands)";
    io::PlotSeries hist{"history", {}, {}, "#333333", false}, act{"actual 1960", {}, {}, "#1f77b4", false};
    io::PlotSeries fc{alias, {}, {}, "#d62728", false}, sn{"seasonal naive", {}, {}, "#7f7f7f", true};
    for (int64_t k = 0; k < n - kH; ++k) hist.x.push_back(static_cast<double>(k)), hist.y.push_back(y[k]);
    io::PlotBand band{alias + " 80% interval", {}, {}, {}, "#d62728"};
    for (int64_t t = 0; t < kH; ++t) {
      const double x = static_cast<double>(n - kH + t);
      act.x.push_back(x), act.y.push_back(actual[t]);
      fc.x.push_back(x), fc.y.push_back(point[t]);
      sn.x.push_back(x), sn.y.push_back(naive[t]);
      if (lo) band.x.push_back(x), band.lo.push_back((*lo)[t]), band.hi.push_back((*hi)[t]);
    }
    p.lines = {hist, act, fc, sn};
    if (lo) p.bands.push_back(band);
    for (int64_t k = 0; k < n; k += 24) {
      p.x_tick_pos.push_back(static_cast<double>(k));
      p.x_ticks.push_back(data::format_time(all.ds[k], all.time_kind).substr(0, 7));
    }
    io::write_svg(p, opt.plot_path);
    out << "plot written to " << opt.plot_path << "\n";
  }
  return r;
}

}  // namespace nd::forecast
