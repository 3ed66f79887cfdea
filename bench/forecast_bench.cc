// End-to-end forecasting benchmark on ETTh1 (7 hourly series, Informer train split 0..8639):
// fit with the given model and hyperparameters, then predict latency for one series and for all
// series (medians over repeated calls). Prints one JSON object; bench/run_forecast_bench.py runs
// it next to the same job in NeuralForecast (bench/peers/neuralforecast_etth1.py).
// Usage: forecast_bench ETTh1.csv MODEL '{"h": 24, "input_size": 96, "max_steps": 100}' [--gemm]
// --gemm adds the GEMM part of the steady steps (nd::kernels::gemm_count): GFLOP per step and the
// mean wall time of a step's top-level gemm() calls over the steps after the two warm-up steps,
// next to those steps' mean time.
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <iostream>
#include <string>
#include <vector>

#include "nd/data/csv.h"
#include "nd/forecast/neuralforecast.h"
#include "nd/kernels/gemm.h"

namespace {

double now() { return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count(); }

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

// The first `rows` rows of every series.
nd::data::Frame head(const nd::data::Frame& f, int64_t rows) {
  nd::data::Frame o = f;
  o.indptr = {0};
  o.ds.clear();
  for (auto& c : o.values) c.clear();
  for (int64_t s = 0; s < f.n_series(); ++s) {
    const int64_t n = std::min(rows, f.length(s));
    for (int64_t r = f.indptr[s]; r < f.indptr[s] + n; ++r) {
      o.ds.push_back(f.ds[r]);
      for (size_t c = 0; c < f.values.size(); ++c) o.values[c].push_back(f.values[c][r]);
    }
    o.indptr.push_back(o.indptr.back() + n);
  }
  return o;
}

nd::data::Frame one_series(const nd::data::Frame& f, int64_t s) {
  nd::data::Frame o;
  o.ids = {f.ids[s]};
  o.time_kind = f.time_kind;
  o.columns = f.columns;
  o.indptr = {0, f.length(s)};
  o.ds.assign(f.ds.begin() + f.indptr[s], f.ds.begin() + f.indptr[s + 1]);
  for (const auto& c : f.values) o.values.emplace_back(c.begin() + f.indptr[s], c.begin() + f.indptr[s + 1]);
  return o;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 4) {
    std::fprintf(stderr, "usage: forecast_bench ETTh1.csv MODEL JSON_HYPERPARAMETERS [--gemm]\n");
    return 2;
  }
  const bool gemm_part = argc > 4 && std::string(argv[4]) == "--gemm";
  try {
    const nd::data::Frame train = head(nd::data::read_wide_csv(argv[1]), 8640);
    std::vector<std::unique_ptr<nd::models::Model>> ms;
    ms.push_back(nd::models::make_model(argv[2], nd::models::json::parse(argv[3])));
    nd::forecast::NeuralForecast nf(std::move(ms), "h");
    nf.verbose = false;
    if (gemm_part) nd::kernels::gemm_count(true);
    const double t0 = now();
    nf.fit(train);
    const double fit_s = now() - t0;
    const nd::kernels::GemmCounters gemm_fit = nd::kernels::gemm_counters();
    nd::kernels::gemm_count(false);
    const auto& rep = nf.reports()[0];
    const nd::data::Frame one = one_series(train, train.n_series() - 1);  // OT
    // Multivariate models forecast all their n_series at once: no one-series latency.
    const bool multivariate = nf.models()[0]->multivariate();
    std::vector<double> lat_one = {0.0}, lat_all;
    if (!multivariate) lat_one.clear();
    for (int k = 0; k < 3 && !multivariate; ++k) nf.predict(&one);  // warm-up
    for (int k = 0; k < 50 && !multivariate; ++k) {
      const double a = now();
      nf.predict(&one);
      lat_one.push_back(now() - a);
    }
    for (int k = 0; k < 10; ++k) {
      const double a = now();
      nf.predict(&train);
      lat_all.push_back(now() - a);
    }
    rusage ru{};
    getrusage(RUSAGE_SELF, &ru);
    // Median step time without the first two (warm-up) steps, as the NeuralForecast peers.
    std::vector<double> steps(rep.step_ms.begin() + std::min<size_t>(2, rep.step_ms.size() - 1), rep.step_ms.end());
    std::string gemm_json;
    if (gemm_part && rep.steps > 2 && rep.step_gemm_ms.size() == rep.step_ms.size()) {
      double steady_ms = 0.0, steady_gemm_ms = 0.0;  // the steps after the two warm-up steps
      for (size_t i = 2; i < rep.step_ms.size(); ++i) steady_ms += rep.step_ms[i], steady_gemm_ms += rep.step_gemm_ms[i];
      const double steady = static_cast<double>(rep.steps - 2);
      char buf[224];
      std::snprintf(buf, sizeof buf,
                    ", \"gemm_gflop_per_step\": %.4f, \"gemm_ms_per_step\": %.3f, \"steady_step_mean_ms\": %.3f",
                    1e-9 * gemm_fit.flops / static_cast<double>(rep.steps), steady_gemm_ms / steady, steady_ms / steady);
      gemm_json = buf;
    }
    std::printf("{\"fit_s\": %.6f, \"steps\": %lld, \"step_ms\": %.6f, \"step_median_ms\": %.6f, \"step_min_ms\": %.6f, "
                "\"predict_one_ms\": %.6f, \"predict_all_ms\": %.6f, \"peak_rss_mb\": %.1f, \"train_loss\": %.6f%s}\n",
                fit_s, static_cast<long long>(rep.steps), 1e3 * rep.seconds / std::max<int64_t>(rep.steps, 1),
                median(steps), *std::min_element(steps.begin(), steps.end()), 1e3 * median(lat_one), 1e3 * median(lat_all), ru.ru_maxrss / 1024.0, rep.train_loss, gemm_json.c_str());
  } catch (const std::exception& e) {
    std::fprintf(stderr, "forecast_bench: %s\n", e.what());
    return 2;
  }
  return 0;
}
