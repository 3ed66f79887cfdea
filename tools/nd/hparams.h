// Turns leftover "--name value" / "--name=value" arguments into model hyperparameters, typed by
// the model's schema (ints, floats, bools, strings, comma-separated or JSON lists, JSON objects).
#pragma once
#include <string>
#include <vector>

#include "nd/models/model.h"

namespace nd::cli {

models::json parse_hyperparameters(const models::ModelInfo& info, const std::vector<std::string>& args);

}  // namespace nd::cli
