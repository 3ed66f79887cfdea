// Differentiable real FFTs along the last axis (kernels in nd/kernels/fft.h), torch.fft.rfft /
// irfft with norm="backward", and the complex helpers FEDformer needs. Complex tensors are real
// tensors with a trailing axis of 2 (re, im), the layout of torch.view_as_real; gradients follow
// PyTorch's convention for real losses (grad = dL/dRe + i dL/dIm), so they compare one to one
// with torch.view_as_real(param.grad).
#pragma once
#include <cstdint>
#include <vector>

#include "nd/autograd/graph.h"

namespace nd::ops {

// x [..., n] -> [..., n / 2 + 1, 2]. Backward: the adjoint transform (each bin once).
Var rfft(Var x);
// X [..., m, 2] -> [..., n]; n <= 0 means torch's default 2 * (m - 1). Bins past n / 2 are
// ignored and missing ones are zero (torch pads / trims the same way); backward: rfft of the
// gradient with interior bins doubled, / n (the adjoint of the Hermitian reconstruction).
Var irfft(Var X, int64_t n = -1);

// Selected bins of the rfft over time of token-major x [B, L, C]: -> [B, C, M, 2], equal to
// gather(rfft(permute(x, {0, 2, 1})), 2, freqs) (each freq in [0, L / 2]), computed as one
// product per window with the [L, 2M] DFT matrix of those frequencies: O(L M C), without the
// permuted copy or the bins nobody reads (FEDformer keeps up to 64 modes of its sequences).
Var rfft_modes(Var x, const std::vector<int64_t>& freqs);
// Y [..., M, 2] -> [..., L]: irfft (n = L) of spectra that hold Y's bin m at frequency
// freqs[m] (distinct, each in [0, L / 2]) and zeros elsewhere, i.e. irfft(scatter(Y), L); the
// imaginary parts of the DC and Nyquist bins are ignored, as torch's irfft does. One product
// with the [2M, L] inverse DFT matrix of those frequencies.
Var irfft_modes(Var Y, const std::vector<int64_t>& freqs, int64_t L);

// Elementwise complex tanh of z [..., 2] (torch's tanh on a complex tensor).
Var complex_tanh(Var z);

}  // namespace nd::ops
