// Optimizer updates over a whole parameter buffer in one vectorized pass (PyTorch's formulas).
#pragma once
#include <cstdint>

namespace nd::kernels {

// Per-step scalars of Adam / AdamW, derived in double precision exactly as torch.optim does with
// Python floats (so 1 - beta2 is 0.001, not 1 - 0.999f), then rounded to float once.
struct AdamScalars {
  float beta1, one_minus_beta1, beta2, one_minus_beta2;
  float eps, weight_decay;
  float decay;         // AdamW: 1 - lr * weight_decay
  float step_size;     // lr / (1 - beta1^t)
  float inv_bc2_sqrt;  // 1 / sqrt(1 - beta2^t)
};
AdamScalars adam_scalars(double lr, double beta1, double beta2, double eps, double weight_decay, int64_t t);

// Adam (decoupled = false: L2 added to the gradient) / AdamW (decoupled = true: p *= decay).
// m = lerp(m, g, 1 - beta1); v = beta2 v + (1 - beta2) g^2;
// p -= step_size * m / (sqrt(v) * inv_bc2_sqrt + eps)   (torch divides by sqrt(bc2): <= 1 ulp apart)
void adam_step(float* p, const float* g, float* m, float* v, int64_t n, const AdamScalars& s, bool decoupled);

// SGD with momentum / dampening / Nesterov / weight decay as torch.optim.SGD.
// first: the momentum buffer is initialized to the gradient (PyTorch's first step).
void sgd_step(float* p, const float* g, float* buf, int64_t n, float lr, float momentum, float dampening,
              float weight_decay, bool nesterov, bool first);

}  // namespace nd::kernels
