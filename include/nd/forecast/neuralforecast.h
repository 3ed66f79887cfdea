// The NeuralForecast-style orchestrator: fit several models on a long-format frame, forecast the
// next h steps of every series. Names, defaults and output columns follow neuralforecast.
#pragma once
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "nd/data/calendar.h"
#include "nd/data/frame.h"
#include "nd/data/scalers.h"
#include "nd/forecast/windows.h"
#include "nd/models/model.h"

namespace nd::forecast {

// predict(level=[80, 90]) / predict(quantiles=[0.1, 0.5, 0.9]) as NeuralForecast takes them: models
// with a distribution loss forecast those quantiles of their samples (columns alias-lo-90, ... or
// alias_ql0.1, ...); multi-quantile models keep their trained quantiles; point models need
// conformal intervals.
struct Intervals {
  std::vector<float> level;      // each in (0, 100)
  std::vector<float> quantiles;  // each in (0, 1); give level or quantiles, not both
  bool empty() const { return level.empty() && quantiles.empty(); }
};

// Conformal prediction intervals (NeuralForecast's utils.PredictionIntervals): fit() runs a
// cross-validation of n_windows windows step_size apart on clones of the models and keeps each
// point model's absolute errors, the conformity scores; predict(level=...) then turns a point
// forecast into intervals: "conformal_distribution" takes quantiles of forecast +- every score,
// "conformal_error" adds quantiles of the scores to the forecast.
struct PredictionIntervals {
  int64_t n_windows = 2;
  std::string method = "conformal_distribution";  // or "conformal_error"
  int64_t step_size = 1;
  void check() const;  // NeuralForecast's constructor checks, same messages
};

struct TrainReport {
  std::string model;
  int64_t steps = 0;
  double seconds = 0.0;
  float train_loss = 0.0f;   // last step's training loss (scaled space)
  float valid_loss = -1.0f;  // last validation loss, -1 when no validation
  std::vector<float> step_ms;  // wall time of each training step (sampling to optimizer update)
  std::vector<float> step_gemm_ms;  // of which in top-level GEMMs, while kernels::gemm_count is on (benchmarks)
};

// Cross-validation output, row per (series, cutoff, ds) ordered that way, as NeuralForecast's:
// unique_id, ds, cutoff, one column per model output, then y (the actuals).
struct CVResult {
  std::vector<std::string> unique_id;
  std::vector<int64_t> ds, cutoff;
  data::TimeKind time_kind = data::TimeKind::integer;
  std::vector<std::string> columns;
  std::vector<std::vector<float>> values;  // values[c][row]
  int64_t n_rows() const { return static_cast<int64_t>(ds.size()); }
  const std::vector<float>& column(const std::string& name) const;
  std::string to_csv() const;
  void write_csv(const std::string& path) const;  // atomic
};

// NeuralForecast.simulate's output: n_paths sample paths of h steps per series and model, rows
// ordered (sample, series, step) as NeuralForecast's frame (unique_id, ds, sample_id, models...).
struct Simulation {
  std::vector<std::string> ids;  // series
  std::vector<int64_t> ds;       // [series, h] forecast timestamps
  data::TimeKind time_kind = data::TimeKind::integer;
  int64_t n_paths = 0, h = 0;
  std::vector<std::string> columns;        // model aliases
  std::vector<std::vector<float>> values;  // values[model][(path * series + s) * h + t]
  std::string to_csv() const;
};

// Correlated sample paths from marginal quantile forecasts (NeuralForecast utils.py):
// quantile_values [S, h, Q] at the sorted quantile_positions; history[s] the series' past values
// (NaNs dropped). "gaussian_copula": an AR(1) Gaussian copula (rho from the lag-1 correlation of
// the differenced history, clipped to +-0.99) through linear interpolation of the quantiles;
// "schaake_shuffle": independent marginal draws reordered by the ranks of h-step windows of the
// history. Returns [S, n_paths, h]; the same seed gives the same paths.
std::vector<float> sample_paths(const std::vector<float>& quantile_positions, const std::vector<float>& quantile_values,
                                int64_t S, int64_t h, const std::vector<std::vector<float>>& history,
                                const std::vector<std::string>& ids, int64_t n_paths, uint64_t seed,
                                const std::string& method);

class NeuralForecast {
 public:
  // freq: pandas alias ("MS", "h", "D", ...) or "" to infer from the data at fit time.
  // local_scaler_type: "" (none), "standard", "robust", "robust-iqr", "minmax", "boxcox".
  NeuralForecast(std::vector<std::unique_ptr<models::Model>> models, std::string freq,
                 std::string local_scaler_type = "");

  // Trains every model on df (long format; the target column "y" plus the exogenous columns the
  // models list; static features in static_df). The last val_size values of each series are held
  // out for validation / early stopping.
  // With prediction_intervals, conformity scores are computed first (see PredictionIntervals);
  // the models themselves train exactly as without them.
  void fit(const data::Frame& df, int64_t val_size = 0, const data::StaticFrame* static_df = nullptr,
           const PredictionIntervals* prediction_intervals = nullptr);
  // fit() without training: adopts df (and static_df) as the fit data of models whose weights
  // were set directly, e.g. imported from a NeuralForecast checkpoint, so that predict() and
  // save() work as after fit().
  void attach(const data::Frame& df, const data::StaticFrame* static_df = nullptr);
  // Forecasts h steps after the end of each series of df (default: the frame given to fit).
  // Models with futr_exog_list need futr_df: those columns for the h timestamps after each series.
  // Columns: one per model alias (plus NeuralForecast's -median / -lo-X / -hi-X for MQLoss).
  data::Frame predict(const data::Frame* df = nullptr, const data::StaticFrame* static_df = nullptr,
                      const data::Frame* futr_df = nullptr, const Intervals& intervals = {});
  // Rolling-origin evaluation: n_windows forecasts of h steps whose cutoffs are step_size apart,
  // the last one h steps before the end (test_size = h + step_size * (n_windows - 1); pass
  // test_size instead of n_windows with n_windows = 0). Models train once on the data before the
  // first cutoff, or, with refit, afresh (same seeds) before every cutoff. prediction_intervals
  // (with refit and level / quantiles, as NeuralForecast) calibrates every window's fit.
  CVResult cross_validation(const data::Frame& df, int64_t n_windows = 1, int64_t step_size = 1,
                            int64_t val_size = 0, int64_t test_size = 0, bool refit = false,
                            const data::StaticFrame* static_df = nullptr, const Intervals& intervals = {},
                            const PredictionIntervals* prediction_intervals = nullptr);

  // NeuralForecast.simulate: n_paths temporally coherent paths per series and model from the
  // marginal quantiles at `quantiles` (default 0.01, ..., 0.99): distribution losses' sample
  // quantiles, a multi-quantile loss's own quantiles, conformal quantiles for point models fitted
  // with prediction_intervals. df / static_df / futr_df as predict's.
  Simulation simulate(const data::Frame* df = nullptr, const data::StaticFrame* static_df = nullptr,
                      const data::Frame* futr_df = nullptr, int64_t n_paths = 100, std::vector<float> quantiles = {},
                      uint64_t seed = 1, const std::string& method = "gaussian_copula");

  // In-sample forecasts of the fitted models over the training data: for every series, windows
  // step_size apart whose h outputs lie inside the series (cutoffs from input_size - 1 on), with
  // the actuals; no retraining. Layout as cross_validation's result.
  CVResult predict_insample(int64_t step_size = 1, const Intervals& intervals = {});

  // Saves the models (weights as safetensors, config + scaler state + format version as JSON) and
  // the fit data into directory `dir`, atomically: a partial save never replaces a good one.
  // An existing dir is replaced only with overwrite.
  void save(const std::string& dir, bool overwrite = false) const;
  // Loads what save() wrote; predictions are bit-identical. Throws nd::Error naming the file for
  // a missing, truncated, foreign or newer-format save.
  static NeuralForecast load(const std::string& dir);

  bool verbose = true;  // progress on stderr
  const std::vector<TrainReport>& reports() const { return reports_; }
  const data::Frequency& freq() const { return freq_; }
  const data::Frame& train_data() const { return train_; }  // the frame given to fit / attach
  // The conformal set-up of the last fit (nullptr without) and a model's conformity scores,
  // [series of train_data(), n_windows, h] (empty for models that have none).
  const PredictionIntervals* prediction_intervals() const { return has_pi_ ? &pi_ : nullptr; }
  const std::vector<float>& conformity_scores(const std::string& alias) const;
  std::vector<std::unique_ptr<models::Model>>& models() { return models_; }

 private:
  void check_frame(const data::Frame& df, bool for_fit) const;
  void resolve_freq(const data::Frame& df);
  void reset_models();  // fresh models from the same configs (refit)
  // Conformity scores of the point models on df (a cross-validation of clones of the models).
  std::map<std::string, std::vector<float>> calibrate(const data::Frame& df, int64_t val_size,
                                                      const data::StaticFrame* static_df,
                                                      const PredictionIntervals& pi) const;
  std::vector<std::unique_ptr<models::Model>> models_;
  std::string freq_alias_;
  data::Frequency freq_;
  bool has_local_scaler_ = false;
  data::LocalScalerType local_scaler_ = data::LocalScalerType::standard;
  NeuralForecast() = default;
  data::Frame train_;  // the fit frame (targets as given)
  // Fitted local-scaler state per value column, one entry per series of train_ (empty: computed
  // from train_ when needed, e.g. after cross_validation or loading a version-1 save).
  std::map<std::string, std::vector<data::LocalStats>> local_stats_;
  data::StaticFrame static_;  // static features given to fit
  std::vector<TrainReport> reports_;
  bool fitted_ = false;
  bool has_pi_ = false;
  PredictionIntervals pi_;
  std::map<std::string, std::vector<float>> scores_;  // alias -> [S, n_windows, h] over train_'s series
};

// Trains one model (the loop behind NeuralForecast::fit): `series` are the (locally scaled)
// targets, the last val_size values of each held out for validation.
TrainReport train_model(models::Model& m, const std::vector<SeriesView>& series, int64_t val_size,
                        bool verbose);

// Forecasts [S, h, C] in the (locally scaled) data space from the last window of each series: C =
// n_outputs for point and quantile losses; for distribution losses the sample mean, the quantiles
// `quantiles` (default: the loss's) and the parameters with return_params. `stream` keeps the
// samples of separate calls (cross-validation windows) apart.
std::vector<float> predict_model(models::Model& m, const std::vector<SeriesView>& series,
                                 const std::vector<float>* quantiles = nullptr, uint64_t stream = 0);

}  // namespace nd::forecast
