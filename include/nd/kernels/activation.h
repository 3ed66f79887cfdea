// Activations and their derivatives (Highway; scalar reference in src/kernels/ref).
// Definitions follow PyTorch: ELU(alpha), SELU (Klambauer et al. 2017 constants), GELU exact
// (erf form, PyTorch's approximate='none'), Softplus(beta=1, threshold=20).
#pragma once
#include <cstdint>
#include <string>

namespace nd::kernels {

enum class Act : uint8_t {
  identity, relu, leaky_relu, prelu, elu, selu, gelu, silu, tanh, sigmoid, softplus, softsign
};
// NeuralForecast / PyTorch spelling ("ReLU", "relu", "LeakyReLU", "GELU", ...), case-insensitive.
Act act_from_name(const std::string& name);
const char* act_name(Act a);

// y = f(x). alpha: negative slope (leaky_relu, prelu) or alpha (elu); ignored otherwise.
void act_forward(Act a, const float* x, float* y, int64_t n, float alpha);
// dx = dy * f'(x) (overwrites dx). y = f(x) is passed too (cheaper derivative for tanh, sigmoid,...).
void act_backward(Act a, const float* x, const float* y, const float* dy, float* dx, int64_t n, float alpha);

// Gated linear unit over rows of 2n (torch.nn.functional.glu on the last axis): each row of x is
// [a | b], y = a * sigmoid(b) (rows of n). Backward overwrites dx (rows of 2n):
// da = dy * sigmoid(b), db = dy * a * sigmoid(b) * (1 - sigmoid(b)).
void glu_forward(const float* x, float* y, int64_t rows, int64_t n);
void glu_backward(const float* x, const float* dy, float* dx, int64_t rows, int64_t n);

}  // namespace nd::kernels
