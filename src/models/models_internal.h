// The built-in models' registration entry points (one per model file), called in order by the
// registry so that static-library linking cannot drop any of them.
#pragma once
#include "nd/models/model.h"

namespace nd::models {

ModelInfo mlp_info();
ModelInfo nlinear_info();
ModelInfo dlinear_info();

}  // namespace nd::models
