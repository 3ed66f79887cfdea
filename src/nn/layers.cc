// Linear, Dropout, MLP, Conv1d, LayerNorm, Embedding.
#include "nd/nn/layers.h"

#include <cmath>

#include "nd/ops/activation.h"
#include "nd/ops/elementwise.h"
#include "nd/ops/linear.h"

namespace nd::nn {

namespace {
float fan_in_bound(int64_t fan_in) { return fan_in > 0 ? 1.0f / std::sqrt(static_cast<float>(fan_in)) : 0.0f; }
}  // namespace

Linear::Linear(ParameterStore& s, const std::string& name, int64_t in, int64_t out, bool has_bias)
    : Module(s, name), in_(in), out_(out) {
  ND_CHECK(in >= 1 && out >= 1, "Linear '", name, "': in and out features must be >= 1, got ", in, " and ", out);
  const float bound = fan_in_bound(in);
  weight = declare("weight", Shape{out, in}, ParamInit::Uniform(bound));
  if (has_bias) bias = declare("bias", Shape{out}, ParamInit::Uniform(bound));
}

Var Linear::forward(Var x) const {
  Graph& g = x.graph();
  return ops::linear(x, p(g, weight), p(g, bias));
}

Dropout::Dropout(ParameterStore& s, const std::string& name, float p, uint64_t seed)
    : Module(s, name), p_(p), rng_(seed) {
  ND_CHECK(p >= 0.0f && p < 1.0f, "Dropout '", name, "': p must be in [0, 1), got ", p);
}

Var Dropout::forward(Var x) {
  if (!is_training() || p_ == 0.0f) return x;
  return ops::dropout(x, p_, rng_);
}

Var Dropout::forward_add(Var residual, Var x) {
  if (!is_training() || p_ == 0.0f) return ops::add(residual, x);
  return ops::dropout_add(residual, x, p_, rng_);
}

Var Dropout::forward_add_after(const Dropout& inner, Var residual, Var x) {
  const float keep = (is_training() ? 1.0f - p_ : 1.0f) * (inner.is_training() ? 1.0f - inner.p_ : 1.0f);
  if (keep == 1.0f) return ops::add(residual, x);
  return ops::dropout_add(residual, x, 1.0f - keep, rng_);
}

Var Dropout::forward_act(Var x, kernels::Act a, float alpha) {
  if (!is_training() || p_ == 0.0f) return ops::activation(x, a, alpha);
  return ops::activation_dropout(x, a, p_, rng_, alpha);
}

MLP::MLP(ParameterStore& s, const std::string& name, int64_t in, const std::vector<int64_t>& hidden, int64_t out,
         kernels::Act act, float dropout, uint64_t seed)
    : Module(s, name), act_(act) {
  int64_t prev = in;
  for (size_t k = 0; k <= hidden.size(); ++k) {
    const int64_t next = k < hidden.size() ? hidden[k] : out;
    layers_.push_back(std::make_unique<Linear>(s, child_name("layers." + std::to_string(k)), prev, next));
    register_child(layers_.back().get());
    if (k < hidden.size()) {
      drops_.push_back(std::make_unique<Dropout>(s, child_name("dropout"), dropout, seed + k));
      register_child(drops_.back().get());
    }
    prev = next;
  }
}

Var MLP::forward(Var x) {
  for (size_t k = 0; k < layers_.size(); ++k) {
    x = layers_[k]->forward(x);
    if (k + 1 < layers_.size()) x = drops_[k]->forward(ops::activation(x, act_));
  }
  return x;
}

Conv1d::Conv1d(ParameterStore& s, const std::string& name, int64_t cin, int64_t cout, int64_t k, int64_t stride,
               int64_t padding, int64_t dilation, bool has_bias, bool causal)
    : Module(s, name) {
  ND_CHECK(cin >= 1 && cout >= 1 && k >= 1, "Conv1d '", name, "': channels and kernel size must be >= 1");
  const float bound = fan_in_bound(cin * k);
  weight = declare("weight", Shape{cout, cin, k}, ParamInit::Uniform(bound));
  if (has_bias) bias = declare("bias", Shape{cout}, ParamInit::Uniform(bound));
  args.stride = stride;
  args.dilation = dilation;
  args.pad_left = causal ? dilation * (k - 1) : padding;
  args.pad_right = causal ? 0 : padding;
}

Var Conv1d::forward(Var x) const {
  Graph& g = x.graph();
  return ops::conv1d(x, p(g, weight), p(g, bias), args);
}

LayerNorm::LayerNorm(ParameterStore& s, const std::string& name, int64_t d, float eps, bool affine)
    : Module(s, name), eps_(eps) {
  if (affine) {
    weight = declare("weight", Shape{d}, ParamInit::Constant(1.0f));
    bias = declare("bias", Shape{d}, ParamInit::Constant(0.0f));
  }
}

Var LayerNorm::forward(Var x) const {
  Graph& g = x.graph();
  return ops::layer_norm(x, p(g, weight), p(g, bias), eps_);
}

Embedding::Embedding(ParameterStore& s, const std::string& name, int64_t num, int64_t dim) : Module(s, name) {
  weight = declare("weight", Shape{num, dim}, ParamInit::Normal(0.0f, 1.0f));
}

Var Embedding::forward(Graph& g, const int64_t* idx, int64_t n) const {
  return ops::embedding(p(g, weight), idx, n);
}

}  // namespace nd::nn
