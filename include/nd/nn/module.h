// Module: a named group of parameters in a ParameterStore plus child modules; train() / eval()
// switch the behaviour of dropout-like layers for the whole subtree.
#pragma once
#include <string>
#include <vector>

#include "nd/nn/parameters.h"

namespace nd::nn {

class Module {
 public:
  Module(ParameterStore& store, std::string name) : store_(&store), name_(std::move(name)) {}
  virtual ~Module() = default;
  Module(const Module&) = delete;
  Module& operator=(const Module&) = delete;

  void train(bool on = true);
  void eval() { train(false); }
  bool is_training() const { return training_; }
  const std::string& name() const { return name_; }
  ParameterStore& store() const { return *store_; }

 protected:
  // Declares parameter "<name>.<local>" in the store.
  ParamRef declare(const std::string& local, const Shape& shape, ParamInit init);
  void register_child(Module* m) { children_.push_back(m); }
  std::string child_name(const std::string& local) const { return name_.empty() ? local : name_ + "." + local; }
  Var p(Graph& g, ParamRef r) const { return r.defined() ? store_->var(g, r) : Var(); }

 private:
  ParameterStore* store_;
  std::string name_;
  std::vector<Module*> children_;
  bool training_ = true;
};

}  // namespace nd::nn
