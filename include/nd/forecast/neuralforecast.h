// The NeuralForecast-style orchestrator: fit several models on a long-format frame, forecast the
// next h steps of every series. Names, defaults and output columns follow neuralforecast.
#pragma once
#include <memory>
#include <string>
#include <vector>

#include "nd/data/calendar.h"
#include "nd/data/frame.h"
#include "nd/data/scalers.h"
#include "nd/forecast/windows.h"
#include "nd/models/model.h"

namespace nd::forecast {

struct TrainReport {
  std::string model;
  int64_t steps = 0;
  double seconds = 0.0;
  float train_loss = 0.0f;   // last step's training loss (scaled space)
  float valid_loss = -1.0f;  // last validation loss, -1 when no validation
};

class NeuralForecast {
 public:
  // freq: pandas alias ("MS", "h", "D", ...) or "" to infer from the data at fit time.
  // local_scaler_type: "" (none), "standard", "robust", "robust-iqr", "minmax".
  NeuralForecast(std::vector<std::unique_ptr<models::Model>> models, std::string freq,
                 std::string local_scaler_type = "");

  // Trains every model on df (long format; the target column "y"). The last val_size values of
  // each series are held out for validation / early stopping.
  void fit(const data::Frame& df, int64_t val_size = 0);
  // Forecasts h steps after the end of each series of df (default: the frame given to fit).
  // Columns: one per model alias (plus NeuralForecast's -median / -lo-X / -hi-X for MQLoss).
  data::Frame predict(const data::Frame* df = nullptr);

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
  std::vector<std::unique_ptr<models::Model>>& models() { return models_; }

 private:
  void check_frame(const data::Frame& df, bool for_fit) const;
  std::vector<std::unique_ptr<models::Model>> models_;
  std::string freq_alias_;
  data::Frequency freq_;
  bool has_local_scaler_ = false;
  data::LocalScalerType local_scaler_ = data::LocalScalerType::standard;
  NeuralForecast() = default;
  data::Frame train_;  // the fit frame (targets as given)
  std::vector<TrainReport> reports_;
  bool fitted_ = false;
};

// Trains one model (the loop behind NeuralForecast::fit): `series` are the (locally scaled)
// targets, the last val_size values of each held out for validation.
TrainReport train_model(models::Model& m, const std::vector<SeriesView>& series, int64_t val_size,
                        bool verbose);

// Forecasts [S, h, n_outputs] in the (locally scaled) data space from the last window of each series.
std::vector<float> predict_model(models::Model& m, const std::vector<SeriesView>& series);

}  // namespace nd::forecast
