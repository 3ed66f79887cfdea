// ParameterStore: layout, initialization and lookup of a model's single parameter buffer.
#include "nd/nn/parameters.h"

#include <cstring>

#include "nd/core/rng.h"

namespace nd::nn {

ParamRef ParameterStore::add(const std::string& name, const Shape& shape, ParamInit init, bool trainable) {
  ND_CHECK(!allocated_, "parameter '", name, "' declared after the parameter buffer was allocated");
  ND_CHECK(!find(name).defined(), "parameter '", name, "' declared twice");
  params_.push_back({name, shape, 0, init, trainable});
  return {static_cast<int32_t>(params_.size() - 1)};
}

void ParameterStore::allocate(uint64_t seed) {
  ND_CHECK(!allocated_, "parameters already allocated");
  int64_t off = 0;
  for (auto& p : params_) {
    p.offset = off;
    off += (p.shape.numel() + 15) / 16 * 16;  // 64-byte aligned starts
  }
  values_.resize(off, 0.0f);
  grads_.resize(off, 0.0f);
  pending_zero_.assign(params_.size(), 0);
  Rng rng(seed);
  for (auto& p : params_) {
    float* v = values_.data() + p.offset;
    const int64_t n = p.shape.numel();
    switch (p.init.kind) {
      case ParamInit::uniform:
        for (int64_t k = 0; k < n; ++k) v[k] = rng.uniform(p.init.a, p.init.b);
        break;
      case ParamInit::normal:
        for (int64_t k = 0; k < n; ++k) v[k] = rng.normal(p.init.a, p.init.b);
        break;
      case ParamInit::constant:
        for (int64_t k = 0; k < n; ++k) v[k] = p.init.a;
        break;
    }
  }
  allocated_ = true;
}

void ParameterStore::check(ParamRef r) const {
  ND_CHECK(allocated_, "parameters used before ParameterStore::allocate()");
  ND_CHECK(r.index >= 0 && r.index < static_cast<int32_t>(params_.size()), "invalid parameter reference ", r.index);
}

Tensor ParameterStore::value(ParamRef r) {
  check(r);
  return Tensor(values_.data() + params_[r.index].offset, params_[r.index].shape);
}

void ParameterStore::materialize(size_t index) {
  if (!pending_zero_[index]) return;
  const ParamInfo& p = params_[index];
  std::memset(grads_.data() + p.offset, 0, sizeof(float) * static_cast<size_t>(p.shape.numel()));
  pending_zero_[index] = 0;
}

Tensor ParameterStore::grad(ParamRef r) {
  check(r);
  materialize(static_cast<size_t>(r.index));
  return Tensor(grads_.data() + params_[r.index].offset, params_[r.index].shape);
}

Var ParameterStore::var(Graph& g, ParamRef r) {
  check(r);
  const ParamInfo& p = params_[r.index];
  return g.param(value(r), Tensor(grads_.data() + p.offset, p.shape), &pending_zero_[r.index]);
}

float* ParameterStore::grad_data() {
  for (size_t k = 0; k < params_.size(); ++k) materialize(k);
  return grads_.data();
}

int64_t ParameterStore::num_parameters() const {
  int64_t n = 0;
  for (auto& p : params_)
    if (p.trainable) n += p.shape.numel();
  return n;
}

ParamRef ParameterStore::find(const std::string& name) const {
  for (size_t k = 0; k < params_.size(); ++k)
    if (params_[k].name == name) return {static_cast<int32_t>(k)};
  return {};
}

void ParameterStore::zero_grad() { std::fill(pending_zero_.begin(), pending_zero_.end(), uint8_t{1}); }

}  // namespace nd::nn
