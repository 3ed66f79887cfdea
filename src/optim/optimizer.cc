// SGD / Adam / AdamW over the single parameter buffer, and gradient-norm clipping.
#include <cmath>

#include "nd/core/parallel.h"
#include "nd/kernels/elementwise.h"
#include "nd/kernels/optim_kernels.h"
#include "nd/kernels/reduce.h"
#include "nd/optim/optimizer.h"

namespace nd::optim {

namespace {
constexpr int64_t kGrain = int64_t{1} << 15;  // elementwise work worth a thread
}

Optimizer::Optimizer(nn::ParameterStore& store, float lr) : store_(store), lr_(lr) {
  ND_CHECK(store.allocated(), "optimizer created before the parameters were allocated");
  ND_CHECK(lr >= 0.0f && std::isfinite(lr), "learning rate must be finite and >= 0, got ", lr);
}

SGD::SGD(nn::ParameterStore& store, SGDOptions o) : Optimizer(store, o.lr), o_(o) {
  ND_CHECK(o.momentum >= 0.0f, "SGD: momentum must be >= 0, got ", o.momentum);
  ND_CHECK(!o.nesterov || (o.momentum > 0.0f && o.dampening == 0.0f),
           "SGD: Nesterov momentum requires momentum > 0 and dampening == 0");
  if (o.momentum != 0.0f) buf_.resize(store.size(), 0.0f);
}

void SGD::step() {
  ++t_;
  float* p = store_.data();
  const float* g = store_.grad_data();
  float* buf = buf_.data();
  const bool first = t_ == 1;
  const float lr = lr_;
  parallel_for(store_.size(), kGrain, [&](int64_t b, int64_t e) {
    kernels::sgd_step(p + b, g + b, buf ? buf + b : nullptr, e - b, lr, o_.momentum, o_.dampening, o_.weight_decay,
                      o_.nesterov, first);
  });
}

Adam::Adam(nn::ParameterStore& store, AdamOptions o, bool decoupled)
    : Optimizer(store, o.lr), o_(o), decoupled_(decoupled), m_(store.size(), 0.0f), v_(store.size(), 0.0f) {
  ND_CHECK(o.beta1 >= 0.0 && o.beta1 < 1.0 && o.beta2 >= 0.0 && o.beta2 < 1.0,
           "Adam: betas must be in [0, 1), got (", o.beta1, ", ", o.beta2, ")");
  ND_CHECK(o.eps > 0.0f, "Adam: eps must be positive, got ", o.eps);
}

void Adam::step() {
  ++t_;
  const kernels::AdamScalars sc = kernels::adam_scalars(lr_, o_.beta1, o_.beta2, o_.eps, o_.weight_decay, t_);
  float* p = store_.data();
  const float* g = store_.grad_data();
  float* m = m_.data();
  float* v = v_.data();
  parallel_for(store_.size(), kGrain, [&](int64_t b, int64_t e) {
    kernels::adam_step(p + b, g + b, m + b, v + b, e - b, sc, decoupled_);
  });
}

float clip_grad_norm(nn::ParameterStore& store, float max_norm) {
  ND_CHECK(max_norm > 0.0f, "clip_grad_norm: max_norm must be positive, got ", max_norm);
  const float norm = std::sqrt(kernels::sumsq(store.grad_data(), store.size()));
  ND_CHECK(std::isfinite(norm), "gradient norm is not finite (", norm, "): the loss diverged");
  const float coef = max_norm / (norm + 1e-6f);
  if (coef < 1.0f) kernels::scale(coef, store.grad_data(), store.grad_data(), store.size());
  return norm;
}

}  // namespace nd::optim
