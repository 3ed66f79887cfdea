// Differentiable real FFTs along the last axis (kernels in nd/kernels/fft.h), torch.fft.rfft /
// irfft with norm="backward", and the complex helpers FEDformer needs. Complex tensors are real
// tensors with a trailing axis of 2 (re, im), the layout of torch.view_as_real; gradients follow
// PyTorch's convention for real losses (grad = dL/dRe + i dL/dIm), so they compare one to one
// with torch.view_as_real(param.grad).
#pragma once
#include "nd/autograd/graph.h"

namespace nd::ops {

// x [..., n] -> [..., n / 2 + 1, 2]. Backward: the adjoint transform (each bin once).
Var rfft(Var x);
// X [..., m, 2] -> [..., n]; n <= 0 means torch's default 2 * (m - 1). Bins past n / 2 are
// ignored and missing ones are zero (torch pads / trims the same way); backward: rfft of the
// gradient with interior bins doubled, / n (the adjoint of the Hermitian reconstruction).
Var irfft(Var X, int64_t n = -1);

// Elementwise complex tanh of z [..., 2] (torch's tanh on a complex tensor).
Var complex_tanh(Var z);

}  // namespace nd::ops
