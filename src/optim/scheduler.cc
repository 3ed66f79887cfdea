// Learning-rate schedules (closed forms of torch.optim.lr_scheduler).
#include <algorithm>
#include <cmath>

#include "nd/optim/optimizer.h"

namespace nd::optim {

namespace {
constexpr double kPi = 3.14159265358979323846;
float cos_anneal(float start, float end, double pct) {
  return static_cast<float>(end + (start - end) / 2.0 * (std::cos(kPi * pct) + 1.0));
}
}  // namespace

StepLR::StepLR(Optimizer& opt, int64_t step_size, float gamma) : Scheduler(opt), step_size_(step_size), gamma_(gamma) {
  ND_CHECK(step_size >= 1, "StepLR: step_size must be >= 1, got ", step_size);
}

StepLR StepLR::neuralforecast(Optimizer& opt, int64_t max_steps, int64_t num_lr_decays) {
  ND_CHECK(num_lr_decays >= 1, "num_lr_decays must be >= 1 for a StepLR schedule, got ", num_lr_decays);
  return StepLR(opt, std::max<int64_t>(max_steps / num_lr_decays, 1), 0.5f);
}

float StepLR::lr_at(int64_t step) const {
  return static_cast<float>(base_lr_ * std::pow(static_cast<double>(gamma_), static_cast<double>(step / step_size_)));
}

CosineLR::CosineLR(Optimizer& opt, int64_t t_max, float eta_min) : Scheduler(opt), t_max_(t_max), eta_min_(eta_min) {
  ND_CHECK(t_max >= 1, "CosineLR: T_max must be >= 1, got ", t_max);
}

float CosineLR::lr_at(int64_t step) const {
  return cos_anneal(base_lr_, eta_min_, static_cast<double>(step) / static_cast<double>(t_max_));
}

OneCycleLR::OneCycleLR(Optimizer& opt, float max_lr, int64_t total_steps, float pct_start, float div_factor,
                       float final_div_factor)
    : Scheduler(opt), max_lr_(max_lr), total_(total_steps) {
  ND_CHECK(total_steps >= 2, "OneCycleLR: total_steps must be >= 2, got ", total_steps);
  ND_CHECK(pct_start > 0.0f && pct_start < 1.0f, "OneCycleLR: pct_start must be in (0, 1), got ", pct_start);
  initial_lr_ = max_lr / div_factor;
  min_lr_ = initial_lr_ / final_div_factor;
  warm_end_ = static_cast<double>(pct_start) * static_cast<double>(total_steps) - 1.0;
  opt.set_lr(lr_at(0));
}

float OneCycleLR::lr_at(int64_t step) const {
  // torch: phase 1 ends at float(pct_start * total) - 1, phase 2 at total - 1.
  const double e1 = warm_end_, e2 = static_cast<double>(total_ - 1);
  const double s = static_cast<double>(step);
  if (s <= e1) return cos_anneal(initial_lr_, max_lr_, e1 > 0 ? s / e1 : 1.0);
  return cos_anneal(max_lr_, min_lr_, (s - e1) / (e2 - e1));
}

}  // namespace nd::optim
