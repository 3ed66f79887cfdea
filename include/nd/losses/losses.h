// Training losses with NeuralForecast's semantics (neuralforecast.losses.pytorch, v3.x):
// every loss is a weighted mean sum(w * l) / sum(w) with w = availability mask * horizon weight,
// 0 when no weight is set; entries with w == 0 are ignored even when non-finite, while a
// non-finite value at a weighted entry is an error (nd::Error naming the position).
#pragma once
#include <string>
#include <vector>

#include "nd/autograd/graph.h"

namespace nd::losses {

enum class Kind { MAE, MSE, RMSE, MAPE, SMAPE, MASE, Huber, Quantile, MQ };

class Loss {
 public:
  static Loss MAE(std::vector<float> horizon_weight = {});
  static Loss MSE(std::vector<float> horizon_weight = {});
  static Loss RMSE(std::vector<float> horizon_weight = {});
  static Loss MAPE(std::vector<float> horizon_weight = {});
  static Loss SMAPE(std::vector<float> horizon_weight = {});
  static Loss MASE(int seasonality, std::vector<float> horizon_weight = {});
  static Loss Huber(float delta = 1.0f, std::vector<float> horizon_weight = {});
  static Loss Quantile(float q, std::vector<float> horizon_weight = {});
  // MQLoss(level=[80, 90]) or MQLoss(quantiles=[...]); outputs ordered as NeuralForecast orders
  // them: median first, then the interval bounds by ascending quantile.
  static Loss MQ(std::vector<float> level = {80.0f, 90.0f}, std::vector<float> quantiles = {},
                 std::vector<float> horizon_weight = {});
  // By NeuralForecast class name ("MAE", "MQLoss", "HuberLoss", ...), default arguments.
  static Loss by_name(const std::string& name);

  // y_hat: [B, H] / [B, H, 1] for point losses, [B, H, Q] for MQ; y, mask: [B, H] (mask may be
  // undefined = all ones); y_insample: [B, L] (MASE only). Returns a one-element loss.
  Var operator()(Var y_hat, const Tensor& y, const Tensor& mask = Tensor(), const Tensor& y_insample = Tensor()) const;

  Kind kind() const { return kind_; }
  const char* name() const;
  int outputsize_multiplier() const { return static_cast<int>(quantiles_.empty() ? 1 : quantiles_.size()); }
  // Output column suffixes ("" for point losses; "-median", "-lo-90", ... for MQ; "_ql0.5" for Quantile).
  const std::vector<std::string>& output_names() const { return output_names_; }
  const std::vector<float>& quantiles() const { return quantiles_; }
  const std::vector<float>& horizon_weight() const { return horizon_weight_; }
  float delta() const { return delta_; }
  int seasonality() const { return seasonality_; }

 private:
  explicit Loss(Kind k) : kind_(k) {}
  Kind kind_;
  float delta_ = 1.0f;
  float q_ = 0.5f;
  int seasonality_ = 1;
  std::vector<float> quantiles_;  // MQ only
  std::vector<std::string> output_names_{""};
  std::vector<float> horizon_weight_;
};

}  // namespace nd::losses
