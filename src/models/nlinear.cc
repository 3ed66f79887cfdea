// NLinear (Zeng et al. 2023, "Are Transformers Effective for Time Series Forecasting?"): subtract
// the last input value, one linear map input_size -> h, add the last value back.
#include <memory>

#include "models/models_internal.h"
#include "nd/nn/layers.h"
#include "nd/ops/elementwise.h"
#include "nd/ops/shape.h"

namespace nd::models {

namespace {

class NLinearModel : public Model {
 public:
  explicit NLinearModel(const json& cfg) : Model("NLinear", cfg) {
    linear_ = std::make_unique<nn::Linear>(store_, "linear", input_size(), h() * n_outputs());
  }

  Var forward(const WindowBatch& w) override {
    const int64_t L = input_size();
    Var last = ops::slice(w.insample_y, 1, L - 1, L);  // [B, 1]
    Var out = ops::add(linear_->forward(ops::sub(w.insample_y, last)), last);
    return ops::reshape(out, Shape{w.B, h(), n_outputs()});
  }

 private:
  std::unique_ptr<nn::Linear> linear_;
};

}  // namespace

ModelInfo nlinear_info() {
  ModelInfo info;
  info.name = "NLinear";
  info.description = "Linear map of the last-value-normalized input window (Zeng et al. 2023)";
  info.params = common_params({{"max_steps", 5000}, {"learning_rate", 1e-4}});
  info.create = [](const json& cfg) { return std::make_unique<NLinearModel>(cfg); };
  return info;
}

}  // namespace nd::models
