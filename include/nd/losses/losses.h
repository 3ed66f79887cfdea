// Training losses with NeuralForecast's semantics (neuralforecast.losses.pytorch, v3.x):
// every loss is a weighted mean sum(w * l) / sum(w) with w = availability mask * horizon weight,
// 0 when no weight is set; entries with w == 0 are ignored even when non-finite, while a
// non-finite value at a weighted entry is an error (nd::Error naming the position).
#pragma once
#include <string>
#include <vector>

#include "nd/autograd/graph.h"

namespace nd::losses {

enum class Kind {
  MAE, MSE, RMSE, MAPE, SMAPE, MASE, Huber, Quantile, MQ, Distribution,
  HuberQ, HuberMQ, Tukey, RelMSE, SCRPS, Accuracy
};

// The distributions of DistributionLoss and the mixtures GMM / PMM / NBMM (see distribution.h).
enum class Distr { Normal, StudentT, Poisson, NegativeBinomial, Tweedie, Bernoulli, GMM, PMM, NBMM };

// A number as Python prints a float (0.1 -> "0.1", 80 -> "80.0"), as NeuralForecast writes quantiles
// and levels into column names ("_ql0.1", "-lo-80.0").
std::string python_float(double v);

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
  // DistributionLoss(distribution=..., level, quantiles, num_samples, return_params,
  // horizon_weight, rho= for Tweedie): the network outputs the distribution's parameters; the
  // loss is their negative log-likelihood. Quantiles as MQ, except that explicit ones are sorted.
  static Loss Distribution(const std::string& distribution, std::vector<float> level = {80.0f, 90.0f},
                           std::vector<float> quantiles = {}, int num_samples = 1000, bool return_params = false,
                           std::vector<float> horizon_weight = {}, float rho = 0.0f);
  // GMM / PMM / NBMM(n_components, level, quantiles, num_samples, return_params, weighted;
  // batch_correlation and horizon_correlation for GMM and PMM).
  static Loss Mixture(Distr d, int n_components, std::vector<float> level = {80.0f, 90.0f},
                      std::vector<float> quantiles = {}, int num_samples = 1000, bool return_params = false,
                      bool weighted = false, bool batch_correlation = false, bool horizon_correlation = false);
  // HuberQLoss(q, delta): the pinball loss with Huber's quadratic zone, q * huber(max(y - yhat, 0))
  // + (1 - q) * huber(max(yhat - y, 0)).
  static Loss HuberQ(float q, float delta = 1.0f, std::vector<float> horizon_weight = {});
  // HuberMQLoss(level, quantiles, delta): per quantile huber(q max(y - yhat, 0)) +
  // huber((1 - q) max(yhat - y, 0)) (q inside the Huber, as NeuralForecast has it); outputs as MQ.
  static Loss HuberMQ(std::vector<float> level = {80.0f, 90.0f}, std::vector<float> quantiles = {},
                      float delta = 1.0f, std::vector<float> horizon_weight = {});
  // TukeyLoss(c, normalize) as NeuralForecast 3.3 computes it: c^2 / 6 times the mean over all
  // entries of mask * (1 - (d / c)^2)^3 where d = |y - yhat| / s <= c, and 1 where d > c; s is the
  // masked standard deviation of y across the series of a window + 0.01 (0.01 for univariate
  // models, whose windows hold one series) with normalize, else 1. (Its value is c^2 / 6 at a
  // perfect fit and falls towards d = c: NeuralForecast's definition, kept for parity.)
  static Loss Tukey(float c = 4.685f, bool normalize = true);
  // relMSE(horizon_weight): MSE relative to a benchmark forecast. NeuralForecast refuses it for
  // training and validation; so does the engine (relmse() computes it).
  static Loss RelMSE(std::vector<float> horizon_weight = {});
  // sCRPS(level, quantiles): 2 * MQLoss * sum(mask) / (sum |y| + 1e-5), a validation loss.
  static Loss SCRPS(std::vector<float> level = {80.0f, 90.0f}, std::vector<float> quantiles = {});
  // Accuracy(): mean of mask * (y == yhat), a validation metric.
  static Loss Accuracy();
  // By NeuralForecast class name ("MAE", "MQLoss", "HuberLoss", ...), default arguments.
  static Loss by_name(const std::string& name);

  // y_hat: [B, H] / [B, H, 1] for point losses, [B, H, Q] for MQ; y, mask: [B, H] (mask may be
  // undefined = all ones); y_insample: [B, L] (MASE only). Returns a one-element loss.
  // Not for distribution losses (see nll).
  // series_per_window: consecutive rows that are the series of one window (multivariate models;
  // TukeyLoss normalizes across them).
  Var operator()(Var y_hat, const Tensor& y, const Tensor& mask = Tensor(), const Tensor& y_insample = Tensor(),
                 int64_t series_per_window = 1) const;
  // Distribution losses: the mean negative log-likelihood (weighted by mask and horizon weights as
  // NeuralForecast weighs it) of the targets y [R, h] in the data's scale (not window-scaled)
  // under the distributions that the raw outputs [R, h, P] parameterize once decoupled with each
  // row's window location and scale, loc / scale [R] (NeuralForecast's scale_decouple).
  // series_per_window: rows that are the series of one window (multivariate models), for
  // batch_correlation.
  Var nll(Var raw, const Tensor& y, const Tensor& mask, const float* loc, const float* scale,
          int64_t series_per_window = 1) const;

  Kind kind() const { return kind_; }
  bool is_distribution() const { return kind_ == Kind::Distribution; }
  bool is_multi_quantile() const { return kind_ == Kind::MQ || kind_ == Kind::HuberMQ; }
  // NeuralForecast refuses these for training (relMSE, Accuracy, sCRPS) / validation (relMSE).
  bool trainable() const { return kind_ != Kind::RelMSE && kind_ != Kind::Accuracy && kind_ != Kind::SCRPS; }
  Distr distribution() const { return distr_; }
  const char* name() const;
  // The network's outputs per forecast step: quantiles for MQ, distribution parameters (P) for
  // distribution losses, else 1.
  int outputsize_multiplier() const { return outsize_; }
  // Output column suffixes ("" for point losses; "-median", "-lo-90", ... for MQ; "_ql0.5" for
  // Quantile; "", "-median", "-lo-90", ..., then the parameter names with return_params, for
  // distribution losses, whose first column is the sample mean).
  const std::vector<std::string>& output_names() const { return output_names_; }
  // Distribution parameter names ("-loc", "-scale", ...), the return_params columns.
  const std::vector<std::string>& param_names() const { return param_names_; }
  const std::vector<float>& quantiles() const { return quantiles_; }
  int num_samples() const { return num_samples_; }
  bool return_params() const { return return_params_; }
  int n_components() const { return n_components_; }
  int outputs_per_component() const { return outsize_ / n_components_; }  // mixtures: 1-3 raw outputs each
  float q() const { return q_; }  // QuantileLoss
  bool weighted() const { return weighted_; }
  bool batch_correlation() const { return batch_corr_; }
  bool horizon_correlation() const { return horizon_corr_; }
  float rho() const { return rho_; }
  // Did the user give quantiles (true) or levels (false)? Decides the saved config.
  bool from_quantiles() const { return from_quantiles_; }
  const std::vector<float>& level() const { return level_; }  // the unique levels given (if any)
  const std::vector<float>& horizon_weight() const { return horizon_weight_; }
  float delta() const { return delta_; }
  float c() const { return c_; }
  bool normalize() const { return normalize_; }
  int seasonality() const { return seasonality_; }

 private:
  explicit Loss(Kind k) : kind_(k) {}
  void set_quantiles(const char* who, std::vector<float> level, std::vector<float> quantiles, bool sort_quantiles);
  Kind kind_;
  Distr distr_ = Distr::Normal;
  float delta_ = 1.0f;
  float q_ = 0.5f;
  int seasonality_ = 1;
  int outsize_ = 1;
  std::vector<float> quantiles_;  // MQ and distribution losses
  std::vector<float> level_;
  std::vector<std::string> output_names_{""};
  std::vector<std::string> param_names_;
  std::vector<float> horizon_weight_;
  int num_samples_ = 1000, n_components_ = 1;
  bool return_params_ = false, weighted_ = false, batch_corr_ = false, horizon_corr_ = false;
  bool from_quantiles_ = false;
  float rho_ = 0.0f;
  float c_ = 4.685f;
  bool normalize_ = true;
};

// The op behind the losses of robust_losses.cc (HuberQ, HuberMQ, Tukey, sCRPS, Accuracy): y (0
// where unweighted) and w (mask times horizon weight) as Loss::operator() prepared them, y_all the
// targets as given, mask the availability mask alone (nullptr: all ones).
Var robust_loss(const Loss& l, Var y_hat, const float* y, const float* y_all, const float* w, const float* mask,
                int64_t cnt, int64_t nq, double wsum, const Shape& y_shape, int64_t series_per_window);

// relMSE (Hyndman & Koehler): MSE(y, y_hat) / (MSE(y, y_benchmark) + 1e-5), both weighted by
// mask and horizon weights (arrays of n = rows * h; mask may be nullptr).
double relmse(const float* y, const float* y_hat, const float* y_benchmark, const float* mask, int64_t rows, int64_t h,
              const std::vector<float>& horizon_weight = {});

}  // namespace nd::losses
