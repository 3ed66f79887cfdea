// Basic layers: Linear, MLP, Conv1d, LayerNorm, Dropout, Embedding. Initializers match PyTorch's
// defaults (Linear / Conv1d: U(-1/sqrt(fan_in), 1/sqrt(fan_in)) for weight and bias; LayerNorm:
// ones / zeros; Embedding: N(0, 1)) so training dynamics match; parameter names match PyTorch's
// state_dict keys so weights can be exchanged.
#pragma once
#include <memory>
#include <vector>

#include "nd/core/rng.h"
#include "nd/kernels/activation.h"
#include "nd/nn/module.h"
#include "nd/ops/conv.h"

namespace nd::nn {

class Linear : public Module {
 public:
  Linear(ParameterStore& s, const std::string& name, int64_t in, int64_t out, bool bias = true);
  Var forward(Var x) const;  // [..., in] -> [..., out]
  int64_t in_features() const { return in_; }
  int64_t out_features() const { return out_; }
  ParamRef weight, bias;

 private:
  int64_t in_, out_;
};

class Dropout : public Module {
 public:
  Dropout(ParameterStore& s, const std::string& name, float p, uint64_t seed = 0);
  Var forward(Var x);  // identity in eval() mode or when p == 0
  // residual + forward(x), fused into one pass when dropout is active.
  Var forward_add(Var residual, Var x);
  // forward(activation(x, a, alpha)), fused into one pass when dropout is active.
  Var forward_act(Var x, kernels::Act a, float alpha = 0.0f);
  // residual + forward(inner.forward(x)) as one dropout with keep probability
  // (1 - p)(1 - inner.p): two independent inverted-dropout masks compose into one mask with
  // exactly that distribution, so this is one pass forward and one backward, and one seed draw
  // (from this module's generator; `inner`'s is not advanced), instead of two of each.
  Var forward_add_after(const Dropout& inner, Var residual, Var x);
  void reseed(uint64_t seed) { rng_ = Rng(seed); }
  float p() const { return p_; }

 private:
  float p_;
  Rng rng_;
};

// in -> hidden[0] -> ... -> hidden[n-1] -> out, activation (and dropout) after each hidden layer.
class MLP : public Module {
 public:
  MLP(ParameterStore& s, const std::string& name, int64_t in, const std::vector<int64_t>& hidden, int64_t out,
      kernels::Act act = kernels::Act::relu, float dropout = 0.0f, uint64_t seed = 0);
  Var forward(Var x);
  const std::vector<std::unique_ptr<Linear>>& layers() const { return layers_; }

 private:
  std::vector<std::unique_ptr<Linear>> layers_;
  std::vector<std::unique_ptr<Dropout>> drops_;
  kernels::Act act_;
};

class Conv1d : public Module {
 public:
  // padding: explicit symmetric padding; causal => left padding dilation * (kernel - 1).
  Conv1d(ParameterStore& s, const std::string& name, int64_t in_channels, int64_t out_channels, int64_t kernel_size,
         int64_t stride = 1, int64_t padding = 0, int64_t dilation = 1, bool bias = true, bool causal = false);
  Var forward(Var x) const;  // [B, C_in, L] -> [B, C_out, L_out]
  ParamRef weight, bias;
  ops::Conv1dArgs args;
};

class LayerNorm : public Module {
 public:
  LayerNorm(ParameterStore& s, const std::string& name, int64_t d, float eps = 1e-5f, bool affine = true);
  Var forward(Var x) const;
  ParamRef weight, bias;

 private:
  float eps_;
};

class Embedding : public Module {
 public:
  Embedding(ParameterStore& s, const std::string& name, int64_t num, int64_t dim);
  Var forward(Graph& g, const int64_t* idx, int64_t n) const;  // -> [n, dim]
  ParamRef weight;
};

}  // namespace nd::nn
