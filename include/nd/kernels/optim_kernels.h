// Optimizer updates over a whole parameter buffer in one vectorized pass (PyTorch's formulas).
#pragma once
#include <cstdint>

namespace nd::kernels {

// Adam (decoupled = false: L2 added to the gradient) / AdamW (decoupled = true: p *= 1 - lr*wd).
// bc1 = 1 - beta1^t, bc2 = 1 - beta2^t.
// p -= lr * (m / bc1) / (sqrt(v / bc2) + eps)
void adam_step(float* p, const float* g, float* m, float* v, int64_t n, float lr, float beta1, float beta2,
               float eps, float weight_decay, float bc1, float bc2, bool decoupled);

// SGD with momentum / dampening / Nesterov / weight decay as torch.optim.SGD.
// first: the momentum buffer is initialized to the gradient (PyTorch's first step).
void sgd_step(float* p, const float* g, float* buf, int64_t n, float lr, float momentum, float dampening,
              float weight_decay, bool nesterov, bool first);

}  // namespace nd::kernels
