// DLinear (Zeng et al. 2023): decompose the window into a moving-average trend (replicate-padded
// at both ends) and the seasonal remainder; one linear map for each, summed.
#include <memory>
#include <vector>

#include "models/models_internal.h"
#include "nd/nn/layers.h"
#include "nd/ops/conv.h"
#include "nd/ops/elementwise.h"
#include "nd/ops/shape.h"

namespace nd::models {

namespace {

class DLinearModel : public Model {
 public:
  explicit DLinearModel(const json& cfg) : Model("DLinear", cfg) {
    kernel_ = geti("moving_avg_window");
    ND_CHECK(kernel_ >= 1 && kernel_ % 2 == 1, "DLinear: moving_avg_window should be uneven, got ", kernel_);
    const int64_t L = input_size(), half = (kernel_ - 1) / 2;
    for (int64_t k = 0; k < half; ++k) pad_idx_.push_back(0);  // replicate the first value
    for (int64_t k = 0; k < L; ++k) pad_idx_.push_back(k);
    for (int64_t k = 0; k < half; ++k) pad_idx_.push_back(L - 1);
    trend_ = std::make_unique<nn::Linear>(store_, "linear_trend", L, h() * n_outputs());
    season_ = std::make_unique<nn::Linear>(store_, "linear_season", L, h() * n_outputs());
  }

  Var forward(const WindowBatch& w) override {
    Var padded = ops::gather(w.insample_y, 1, pad_idx_);
    Var trend = ops::avg_pool1d(padded, kernel_, 1);  // [B, L]
    Var season = ops::sub(w.insample_y, trend);
    Var out = ops::add(trend_->forward(trend), season_->forward(season));
    return ops::reshape(out, Shape{w.B, h(), n_outputs()});
  }

 private:
  int64_t kernel_;
  std::vector<int64_t> pad_idx_;
  std::unique_ptr<nn::Linear> trend_, season_;
};

}  // namespace

ModelInfo dlinear_info() {
  ModelInfo info;
  info.name = "DLinear";
  info.description = "Trend / seasonal decomposition with one linear map each (Zeng et al. 2023)";
  info.params = common_params({{"max_steps", 5000}, {"learning_rate", 1e-4}});
  info.params.push_back({"moving_avg_window", 25, "moving average window of the trend (odd)"});
  info.create = [](const json& cfg) { return std::make_unique<DLinearModel>(cfg); };
  return info;
}

}  // namespace nd::models
