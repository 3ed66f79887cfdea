// Module bookkeeping: parameter declaration under the module's name and train/eval propagation.
#include "nd/nn/module.h"

namespace nd::nn {

void Module::train(bool on) {
  training_ = on;
  for (Module* c : children_) c->train(on);
}

ParamRef Module::declare(const std::string& local, const Shape& shape, ParamInit init) {
  return store_->add(child_name(local), shape, init);
}

}  // namespace nd::nn
