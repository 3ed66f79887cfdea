// Batch normalization over the last (channel) axis, as torch.nn.BatchNorm1d applied to the
// channel-first transpose of the input: statistics per channel over every other element.
#pragma once
#include "nd/autograd/graph.h"

namespace nd::ops {

struct BatchNormState {
  float* running_mean = nullptr;  // [C], updated in place in training mode (may be null)
  float* running_var = nullptr;   // [C], unbiased batch variance enters the running average
  float momentum = 0.1f;          // torch: running = (1 - momentum) * running + momentum * batch
  float eps = 1e-5f;
  bool training = true;           // batch statistics (true) or the running ones (false)
};

// x [..., C], gamma, beta [C] (either may be undefined) -> [..., C]. Training mode normalizes with
// the biased batch variance (torch's convention) and needs at least 2 rows.
Var batch_norm(Var x, Var gamma, Var beta, const BatchNormState& st);

}  // namespace nd::ops
