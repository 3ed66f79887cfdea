// Optimizers over a whole ParameterStore (one vectorized pass over the single buffer), learning
// rate schedulers, and gradient-norm clipping. Formulas follow torch.optim.
#pragma once
#include <cstdint>

#include "nd/core/tensor.h"
#include "nd/nn/parameters.h"

namespace nd::optim {

class Optimizer {
 public:
  explicit Optimizer(nn::ParameterStore& store, float lr);
  virtual ~Optimizer() = default;
  virtual void step() = 0;
  void zero_grad() { store_.zero_grad(); }
  float lr() const { return lr_; }
  void set_lr(float lr) { lr_ = lr; }
  int64_t steps() const { return t_; }

 protected:
  nn::ParameterStore& store_;
  float lr_;
  int64_t t_ = 0;
};

struct SGDOptions {
  float lr = 1e-3f;
  float momentum = 0.0f;
  float dampening = 0.0f;
  float weight_decay = 0.0f;
  bool nesterov = false;
};
class SGD : public Optimizer {
 public:
  SGD(nn::ParameterStore& store, SGDOptions o);
  void step() override;

 private:
  SGDOptions o_;
  Buffer buf_;
};

struct AdamOptions {
  float lr = 1e-3f;
  double beta1 = 0.9;  // double: torch keeps betas as Python floats (1 - 0.999 must be 0.001)
  double beta2 = 0.999;
  float eps = 1e-8f;
  float weight_decay = 0.0f;
};
// Adam (L2 penalty added to the gradient) or, with decoupled = true, AdamW (Loshchilov & Hutter).
class Adam : public Optimizer {
 public:
  Adam(nn::ParameterStore& store, AdamOptions o, bool decoupled = false);
  void step() override;
  const Buffer& exp_avg() const { return m_; }
  const Buffer& exp_avg_sq() const { return v_; }

 private:
  AdamOptions o_;
  bool decoupled_;
  Buffer m_, v_;
};
class AdamW : public Adam {
 public:
  // torch.optim.AdamW's default weight_decay is 1e-2.
  AdamW(nn::ParameterStore& store, AdamOptions o) : Adam(store, o, true) {}
};

// Scales all gradients so that their global L2 norm is at most max_norm (torch's
// clip_grad_norm_, eps 1e-6); returns the norm before clipping. A non-finite norm is an error.
float clip_grad_norm(nn::ParameterStore& store, float max_norm);

// Learning-rate schedules: call step() after each optimizer step.
class Scheduler {
 public:
  explicit Scheduler(Optimizer& opt) : opt_(opt), base_lr_(opt.lr()) {}
  virtual ~Scheduler() = default;
  virtual float lr_at(int64_t step) const = 0;  // lr to use after `step` scheduler steps
  void step() { opt_.set_lr(lr_at(++count_)); }
  int64_t count() const { return count_; }

 protected:
  Optimizer& opt_;
  float base_lr_;
  int64_t count_ = 0;
};

// torch.optim.lr_scheduler.StepLR: lr = base * gamma^floor(step / step_size).
class StepLR : public Scheduler {
 public:
  StepLR(Optimizer& opt, int64_t step_size, float gamma = 0.1f);
  // NeuralForecast's use: num_lr_decays halvings over max_steps,
  // step_size = max(max_steps // num_lr_decays, 1), gamma = 0.5.
  static StepLR neuralforecast(Optimizer& opt, int64_t max_steps, int64_t num_lr_decays);
  float lr_at(int64_t step) const override;

 private:
  int64_t step_size_;
  float gamma_;
};

// torch.optim.lr_scheduler.CosineAnnealingLR (closed form).
class CosineLR : public Scheduler {
 public:
  CosineLR(Optimizer& opt, int64_t t_max, float eta_min = 0.0f);
  float lr_at(int64_t step) const override;

 private:
  int64_t t_max_;
  float eta_min_;
};

// torch.optim.lr_scheduler.OneCycleLR with cosine annealing (two phases).
class OneCycleLR : public Scheduler {
 public:
  OneCycleLR(Optimizer& opt, float max_lr, int64_t total_steps, float pct_start = 0.3f, float div_factor = 25.0f,
             float final_div_factor = 1e4f);
  float lr_at(int64_t step) const override;

 private:
  float max_lr_, initial_lr_, min_lr_;
  int64_t total_;
  double warm_end_;  // torch keeps float(pct_start * total) - 1
};

}  // namespace nd::optim
