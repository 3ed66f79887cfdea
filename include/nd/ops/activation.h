// Activation ops (kernels in nd/kernels/activation.h), softmax / log-softmax, layer norm, dropout.
#pragma once
#include "nd/autograd/graph.h"
#include "nd/core/rng.h"
#include "nd/kernels/activation.h"

namespace nd::ops {

// y = act(x); alpha is LeakyReLU's slope or ELU's alpha (PyTorch defaults: 0.01, 1.0).
Var activation(Var x, kernels::Act a, float alpha = 0.0f);
inline Var relu(Var x) { return activation(x, kernels::Act::relu); }
inline Var tanh(Var x) { return activation(x, kernels::Act::tanh); }
inline Var sigmoid(Var x) { return activation(x, kernels::Act::sigmoid); }
inline Var gelu(Var x) { return activation(x, kernels::Act::gelu); }
inline Var silu(Var x) { return activation(x, kernels::Act::silu); }
inline Var leaky_relu(Var x, float slope = 0.01f) { return activation(x, kernels::Act::leaky_relu, slope); }
inline Var elu(Var x, float alpha = 1.0f) { return activation(x, kernels::Act::elu, alpha); }
// PReLU with one learnable slope (weight: one element), as torch.nn.PReLU(num_parameters=1).
Var prelu(Var x, Var weight);

// Gated linear unit over the last axis (torch.nn.functional.glu, dim=-1): x [..., 2n] = [a | b]
// -> a * sigmoid(b) [..., n]. One pass forward and backward; only x is kept for backward.
Var glu(Var x);

// Softmax / log-softmax over `axis` (default last).
Var softmax(Var x, int axis = -1);
Var log_softmax(Var x, int axis = -1);

// Layer norm over the last axis: gamma, beta [d] (either may be undefined).
Var layer_norm(Var x, Var gamma, Var beta, float eps = 1e-5f);

// Inverted dropout: keeps each element with probability 1 - p and scales by 1 / (1 - p).
// Always applied; nn::Dropout applies it only in train() mode.
Var dropout(Var x, float p, Rng& rng);
// r + dropout(x, p, rng) in one pass (residual connections); the same mask and seed draw as the
// two ops apart, the sum within an ulp of theirs (fused multiply-add). Same shapes only.
Var dropout_add(Var r, Var x, float p, Rng& rng);
// dropout(activation(x, a, alpha), p, rng) in one pass, forward and backward (feed-forward
// layers); the same mask, seed draw and values as the two ops apart. Only x is kept for
// backward: the activation is recomputed there where its derivative needs it.
Var activation_dropout(Var x, kernels::Act a, float p, Rng& rng, float alpha = 0.0f);

}  // namespace nd::ops
