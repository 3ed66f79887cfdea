// DeepNPTS (NeuralForecast's DeepNPTS; Rangapuram et al. 2023): an MLP over the input window,
// exogenous and static features gives, for every forecast step, weights over the L past values;
// the forecast is their softmax-weighted mean (the mean of NPTS's weighted empirical distribution).
// Sequential layout as NeuralForecast's "deepnptsnetwork": per layer Linear, ReLU, BatchNorm1d
// (batch_norm), Dropout (dropout > 0), then Linear(hidden_size, L * h).
#include <memory>
#include <vector>

#include "models/models_internal.h"
#include "models/transformer_common.h"
#include "nd/nn/layers.h"
#include "nd/ops/activation.h"
#include "nd/ops/elementwise.h"
#include "nd/ops/reduce.h"
#include "nd/ops/shape.h"

namespace nd::models {

namespace {

class DeepNPTSModel : public Model {
 public:
  explicit DeepNPTSModel(const json& cfg) : Model("DeepNPTS", cfg) {
    ND_CHECK(!getb("exclude_insample_y"), "DeepNPTS has no possibility for excluding y.");
    ND_CHECK(loss().outputsize_multiplier() == 1 && !loss().is_distribution(),
             "DeepNPTS only supports point loss functions (MAE, MSE, etc) as loss function.");
    ND_CHECK(!valid_loss().is_distribution() && valid_loss().outputsize_multiplier() == 1 &&
                 valid_loss().kind() != losses::Kind::SCRPS,
             "DeepNPTS only supports point loss functions (MAE, MSE, etc) as valid loss function.");
    const int64_t L = input_size(), h = this->h(), hidden = geti("hidden_size"), layers = geti("n_layers");
    ND_CHECK(hidden >= 1 && layers >= 1, "DeepNPTS: hidden_size and n_layers must be >= 1");
    const double p = getf("dropout");
    ND_CHECK(p >= 0.0 && p < 1.0, "DeepNPTS: dropout must be in [0, 1), got ", p);
    const int64_t F = static_cast<int64_t>(futr_exog_list().size()), X = static_cast<int64_t>(hist_exog_list().size());
    const int64_t S = static_cast<int64_t>(stat_exog_list().size());
    const int64_t in = L * (1 + F + X) + S + h * F;
    const bool bn = getb("batch_norm");
    uint64_t seed = static_cast<uint64_t>(geti("random_seed")) * 1000003u + 7u;
    int idx = 0;
    for (int64_t k = 0; k < layers; ++k) {
      Layer ly;
      ly.lin = std::make_unique<nn::Linear>(store_, name(idx), k == 0 ? in : hidden, hidden);
      idx += 2;  // Linear, ReLU
      if (bn) ly.bn = std::make_unique<BatchNorm>(store_, name(idx++), hidden);
      if (p > 0.0) ly.drop = std::make_unique<nn::Dropout>(store_, name(idx++), static_cast<float>(p), ++seed);
      layers_.push_back(std::move(ly));
    }
    out_ = std::make_unique<nn::Linear>(store_, name(idx), hidden, L * h);
  }

  Var forward(const WindowBatch& w) override {
    const int64_t B = w.B, L = input_size(), h = this->h();
    // [y | futr[:, :L] | hist] per time step, flattened, then static, then futr[:, L:].
    Var steps[3];
    int ns = 0;
    steps[ns++] = ops::reshape(w.insample_y, Shape{B, L, 1});
    if (w.futr_exog.defined()) steps[ns++] = ops::slice(w.futr_exog, 1, 0, L);
    if (w.hist_exog.defined()) steps[ns++] = w.hist_exog;
    Var parts[3];
    int np = 0;
    parts[np++] = ops::flatten(ns == 1 ? steps[0] : ops::concat(steps, ns, 2), 1);
    if (w.stat_exog.defined()) parts[np++] = w.stat_exog;
    if (w.futr_exog.defined()) parts[np++] = ops::flatten(ops::slice(w.futr_exog, 1, L, L + h), 1);
    Var x = np == 1 ? parts[0] : ops::concat(parts, np, 1);
    for (Layer& ly : layers_) {
      x = ops::relu(ly.lin->forward(x));
      if (ly.bn) x = ly.bn->forward(x);
      if (ly.drop) x = ly.drop->forward(x);
    }
    Var weights = ops::softmax(ops::reshape(out_->forward(x), Shape{B, L, h}), 1);  // over the past values
    Var y = ops::reshape(w.insample_y, Shape{B, L, 1});
    return ops::reshape(ops::sum(ops::mul(weights, y), {1}), Shape{B, h, 1});
  }

  void set_training(bool on) override {
    for (Layer& ly : layers_) {
      if (ly.bn) ly.bn->train(on);
      if (ly.drop) ly.drop->train(on);
    }
  }

 private:
  static std::string name(int idx) { return "deepnptsnetwork." + std::to_string(idx); }
  struct Layer {
    std::unique_ptr<nn::Linear> lin;
    std::unique_ptr<BatchNorm> bn;
    std::unique_ptr<nn::Dropout> drop;
  };
  std::vector<Layer> layers_;
  std::unique_ptr<nn::Linear> out_;
};

}  // namespace

ModelInfo deepnpts_info() {
  ModelInfo info;
  info.name = "DeepNPTS";
  info.description = "Deep non-parametric time series forecaster: softmax-weighted mean of the input window";
  info.params = common_params({{"valid_loss", "MAE"}, {"num_lr_decays", 3}, {"inference_windows_batch_size", 1024},
                               {"scaler_type", "standard"}});
  info.params.push_back({"hidden_size", 32, "units of the dense layers"});
  info.params.push_back({"batch_norm", true, "BatchNorm1d after each dense layer"});
  info.params.push_back({"dropout", 0.1, "dropout after each dense layer"});
  info.params.push_back({"n_layers", 2, "number of dense layers"});
  info.futr_exog = info.hist_exog = info.stat_exog = true;
  info.create = [](const json& cfg) { return std::make_unique<DeepNPTSModel>(cfg); };
  return info;
}

}  // namespace nd::models
