// Forecasting models. Each model is one file under src/models with one hyperparameter schema
// (NeuralForecast's names and defaults) that drives validation, the CLI flags, the Python keyword
// arguments, `nd models` and the saved config. A model maps a batch of scaled windows to
// forecasts [B, h, n_outputs] in the scaled space; windows, scaling and training live in
// src/forecast.
#pragma once
#include <cstdint>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "nd/autograd/graph.h"
#include "nd/losses/losses.h"
#include "nd/nn/parameters.h"

namespace nd::models {

using json = nlohmann::json;

// One hyperparameter: name, default (its JSON type is the parameter's type; null = required or
// "None"), and a one-line description.
struct HParam {
  std::string name;
  json default_value;
  std::string help;
};

// Scaled inputs of a batch of windows (see src/forecast/windows.cc). Multivariate models
// (NeuralForecast's MULTIVARIATE = True) get all N series of a window at once, as NF:
// insample_y / insample_mask [B, L, N], and return [B, h, n_outputs * N] in NF's layout.
struct WindowBatch {
  int64_t B = 0, L = 0, h = 0;
  Var insample_y;     // [B, L] (multivariate: [B, L, N])
  Var insample_mask;  // [B, L] (multivariate: [B, L, N])
  Var futr_exog;      // [B, L + h, F] or undefined
  Var hist_exog;      // [B, L, X] or undefined
  Var stat_exog;      // [B, S] or undefined
};

// A named array a model exposes about its last inference (see Model::interpretability):
// row-major values of `shape`; `labels` names the entries of the last axis where they have names
// (e.g. the variables a variable-selection weight belongs to), else it is empty.
struct NamedArray {
  std::string name;
  std::vector<int64_t> shape;
  std::vector<float> values;
  std::vector<std::string> labels;
};

class Model {
 public:
  Model(std::string name, json config);
  virtual ~Model() = default;
  Model(const Model&) = delete;
  Model& operator=(const Model&) = delete;

  // Forecast in the scaled space: [B, h, n_outputs()] (multivariate: see WindowBatch).
  virtual Var forward(const WindowBatch& w) = 0;
  // Multivariate models see every series of a window together; n_series() is their N.
  virtual bool multivariate() const { return false; }
  virtual int64_t n_series() const { return 1; }
  // A multivariate forecast y [W, h, n_outputs() * N] (NF's layout, which its losses read as
  // [W, h, N, Q]) regrouped into one row per (window, series), window-major: [W * N, h, Q], what
  // the losses and the inverse scaling read. Checks y's shape, naming the model.
  Var multivariate_rows(Var y) const;

  const std::string& name() const { return name_; }
  std::string alias() const;  // config "alias" or the class name
  const json& config() const { return cfg_; }
  int64_t h() const { return geti("h"); }
  int64_t input_size() const { return geti("input_size"); }
  const losses::Loss& loss() const { return loss_; }
  const losses::Loss& valid_loss() const { return valid_loss_; }
  int64_t n_outputs() const { return loss_.outputsize_multiplier(); }
  std::vector<std::string> futr_exog_list() const { return getsv("futr_exog_list"); }
  std::vector<std::string> hist_exog_list() const { return getsv("hist_exog_list"); }
  std::vector<std::string> stat_exog_list() const { return getsv("stat_exog_list"); }
  nn::ParameterStore& params() { return store_; }
  // Dropout-style layers follow this (set by the trainer: train for fit, eval for predict).
  virtual void set_training(bool on) { (void)on; }
  // What the model's last inference (the eval-mode forwards since it was last switched to eval,
  // i.e. the last predict) reveals about how it forecast, for models that expose it (TFT:
  // attention and variable-selection weights averaged over the windows); empty otherwise.
  virtual std::vector<NamedArray> interpretability() const { return {}; }

  // Typed config access (the config was validated against the schema).
  int64_t geti(const char* key) const;
  double getf(const char* key) const;
  bool getb(const char* key) const;
  std::string gets(const char* key) const;
  std::vector<int64_t> getiv(const char* key) const;
  std::vector<std::string> getsv(const char* key) const;

 protected:
  nn::ParameterStore store_;

 private:
  std::string name_;
  json cfg_;
  losses::Loss loss_, valid_loss_;
};

struct ModelInfo {
  std::string name;         // NeuralForecast class name, e.g. "NHITS"
  std::string description;  // one line
  std::vector<HParam> params;
  std::function<std::unique_ptr<Model>(const json& config)> create;
  // Exogenous kinds the model accepts (NeuralForecast's EXOGENOUS_FUTR / HIST / STAT).
  bool futr_exog = false, hist_exog = false, stat_exog = false;
  bool multivariate = false;  // NeuralForecast's MULTIVARIATE
};

// Every registered model, in registration order.
const std::vector<ModelInfo>& all_models();
// Case-insensitive lookup; throws nd::Error listing the available names.
const ModelInfo& find_model(const std::string& name);
// User keyword arguments -> full config: defaults filled in, unknown names rejected (the error
// names them and the model's parameters), types checked (int / float / bool / string / lists),
// required ones (null default: h, input_size) demanded, values range-checked where obvious.
json resolve_config(const ModelInfo& info, const json& kwargs);
// resolve_config + construct + allocate parameters (initialized from random_seed).
std::unique_ptr<Model> make_model(const std::string& name, const json& kwargs);

// A loss from its config value: "MAE" or {"name": "MQLoss", "level": [80, 90]} (NeuralForecast's
// constructor arguments) and back.
losses::Loss loss_from_json(const json& j);
json loss_to_json(const losses::Loss& l);

// The training hyperparameters every windows-based model shares (NeuralForecast BaseModel),
// with per-model default overrides ({"num_lr_decays", 3}, ...).
std::vector<HParam> common_params(const json& overrides = json::object());

}  // namespace nd::models
