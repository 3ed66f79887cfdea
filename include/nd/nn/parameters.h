// All parameters of a model in one contiguous buffer (and gradients in a second): layers declare
// named parameters, allocate() lays them out (64-byte aligned) and initializes them in
// declaration order, and layers keep ParamRefs that resolve to views into the buffer.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "nd/autograd/graph.h"
#include "nd/core/tensor.h"

namespace nd::nn {

struct ParamInit {
  enum Kind : uint8_t { uniform, normal, constant } kind = constant;
  float a = 0.0f;  // uniform: low;  normal: mean;  constant: value
  float b = 0.0f;  // uniform: high; normal: std
  static ParamInit Uniform(float bound) { return {uniform, -bound, bound}; }
  static ParamInit Normal(float mean, float std) { return {normal, mean, std}; }
  static ParamInit Constant(float v) { return {constant, v, 0.0f}; }
};

struct ParamRef {
  int32_t index = -1;
  bool defined() const { return index >= 0; }
};

struct ParamInfo {
  std::string name;  // PyTorch-style dotted name, e.g. "mlp.0.weight"
  Shape shape;
  int64_t offset;    // in floats, into the value / gradient buffers
  ParamInit init;
  // false for state that is saved with the weights but never trained (BatchNorm running
  // statistics, frozen embeddings); its gradient stays zero, so optimizers leave it unchanged.
  bool trainable = true;
};

class ParameterStore {
 public:
  ParamRef add(const std::string& name, const Shape& shape, ParamInit init, bool trainable = true);
  // Lays out and initializes every declared parameter (PyTorch's default initializers as chosen
  // by each layer) from `seed`. Declaring after allocate() is an error.
  void allocate(uint64_t seed);
  bool allocated() const { return allocated_; }

  Tensor value(ParamRef r);
  // The gradient of one parameter (zeroed first if zero_grad() left it pending).
  Tensor grad(ParamRef r);
  // The parameter as a graph leaf: backward overwrites a gradient that zero_grad() left pending
  // instead of adding to zeros, and adds to it otherwise.
  Var var(Graph& g, ParamRef r);

  float* data() { return values_.data(); }
  // All gradients (pending zeros materialized first).
  float* grad_data();
  int64_t size() const { return values_.size(); }  // floats incl. alignment padding
  int64_t num_parameters() const;                  // sum of trainable parameter sizes
  const std::vector<ParamInfo>& params() const { return params_; }
  ParamRef find(const std::string& name) const;    // index -1 when absent
  // Sets every gradient to zero lazily: nothing is written now; each parameter's first gradient
  // write in the next backward overwrites instead of accumulating, and reading the gradients
  // (grad(), grad_data()) zeroes those that received none. Saves a pass over all gradients per
  // step and lets weight-gradient GEMMs run with beta = 0.
  void zero_grad();

 private:
  void check(ParamRef r) const;
  void materialize(size_t index);
  std::vector<ParamInfo> params_;
  Buffer values_, grads_;
  std::vector<uint8_t> pending_zero_;  // per parameter: its gradient is logically zero
  bool allocated_ = false;
};

}  // namespace nd::nn
