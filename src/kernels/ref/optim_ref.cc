// Scalar reference: optimizer steps (nd/kernels/optim_kernels.h). Deliberately float32 and in
// the operation order of torch.optim.Adam / AdamW / SGD (foreach=False), so that it tracks a
// PyTorch float32 run to the last bit or two rather than an idealized real-number update.
#include <cmath>

#include "kernels/ref/ref.h"

namespace nd::kernels::ref {

void adam_step(float* p, const float* g, float* m, float* v, int64_t n, const AdamScalars& s, bool decoupled) {
  const float w1 = s.one_minus_beta1;
  for (int64_t i = 0; i < n; ++i) {
    float grad = g[i];
    if (s.weight_decay != 0.0f) {
      if (decoupled) {
        p[i] *= s.decay;
      } else {
        grad += s.weight_decay * p[i];
      }
    }
    // exp_avg.lerp_(grad, 1 - beta1): torch's lerp evaluates from the nearer end.
    m[i] = w1 < 0.5f ? m[i] + w1 * (grad - m[i]) : grad - (grad - m[i]) * (1.0f - w1);
    v[i] = v[i] * s.beta2 + s.one_minus_beta2 * grad * grad;
    const float denom = std::sqrt(v[i]) * s.inv_bc2_sqrt + s.eps;
    p[i] -= s.step_size * m[i] / denom;  // addcdiv_: (value * m) / denom
  }
}

void sgd_step(float* p, const float* g, float* buf, int64_t n, float lr, float momentum, float dampening,
              float weight_decay, bool nesterov, bool first) {
  for (int64_t i = 0; i < n; ++i) {
    float d = g[i];
    if (weight_decay != 0.0f) d += weight_decay * p[i];
    if (momentum != 0.0f) {
      buf[i] = first ? d : buf[i] * momentum + (1.0f - dampening) * d;
      d = nesterov ? d + momentum * buf[i] : buf[i];
    }
    p[i] -= lr * d;
  }
}

}  // namespace nd::kernels::ref
