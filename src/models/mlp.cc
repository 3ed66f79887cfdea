// MLP (NeuralForecast's MLP): the input window, flattened exogenous inputs and static features
// concatenated, num_layers ReLU layers of hidden_size, then a linear map to h * n_outputs.
#include <memory>
#include <vector>

#include "models/models_internal.h"
#include "nd/nn/layers.h"
#include "nd/ops/activation.h"
#include "nd/ops/shape.h"

namespace nd::models {

namespace {

class MLPModel : public Model {
 public:
  explicit MLPModel(const json& cfg) : Model("MLP", cfg) {
    const int64_t L = input_size(), h = this->h();
    const int64_t in = (getb("exclude_insample_y") ? 0 : L) + static_cast<int64_t>(hist_exog_list().size()) * L +
                       static_cast<int64_t>(futr_exog_list().size()) * (L + h) +
                       static_cast<int64_t>(stat_exog_list().size());
    ND_CHECK(in >= 1, "MLP: no inputs (exclude_insample_y without exogenous variables)");
    const int64_t hidden = geti("hidden_size"), layers = geti("num_layers");
    ND_CHECK(hidden >= 1 && layers >= 1, "MLP: hidden_size and num_layers must be >= 1");
    for (int64_t k = 0; k < layers; ++k)
      mlp_.push_back(std::make_unique<nn::Linear>(store_, "mlp." + std::to_string(k), k == 0 ? in : hidden, hidden));
    out_ = std::make_unique<nn::Linear>(store_, "out", hidden, h * n_outputs());
  }

  Var forward(const WindowBatch& w) override {
    Var x;
    Var parts[4];
    int np = 0;
    if (!getb("exclude_insample_y")) parts[np++] = w.insample_y;
    if (w.hist_exog.defined()) parts[np++] = ops::flatten(w.hist_exog, 1);
    if (w.futr_exog.defined()) parts[np++] = ops::flatten(w.futr_exog, 1);
    if (w.stat_exog.defined()) parts[np++] = w.stat_exog;
    x = np == 1 ? parts[0] : ops::concat(parts, np, 1);
    for (auto& layer : mlp_) x = ops::relu(layer->forward(x));
    return ops::reshape(out_->forward(x), Shape{w.B, h(), n_outputs()});
  }

 private:
  std::vector<std::unique_ptr<nn::Linear>> mlp_;
  std::unique_ptr<nn::Linear> out_;
};

}  // namespace

ModelInfo mlp_info() {
  ModelInfo info;
  info.name = "MLP";
  info.description = "Multi-layer perceptron on the input window (+ exogenous), direct multi-step output";
  info.params = common_params();
  info.params.push_back({"num_layers", 2, "number of hidden layers"});
  info.params.push_back({"hidden_size", 1024, "units per hidden layer"});
  info.futr_exog = info.hist_exog = info.stat_exog = true;
  info.create = [](const json& cfg) { return std::make_unique<MLPModel>(cfg); };
  return info;
}

}  // namespace nd::models
