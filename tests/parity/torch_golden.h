// Shared access to tests/golden/torch_parity.json (written by tests/golden/make_golden.py with
// PyTorch 2.13): the parsed document, cases by section and name, and the tolerance measure of the
// parity tests (max |ours - torch| over a tensor relative to max |torch| over it).
#pragma once
#include <algorithm>
#include <cmath>
#include <fstream>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>
#include <vector>

#include "nd/core/tensor.h"

namespace nd::testing {

using json = nlohmann::json;

inline const json& torch_golden() {
  static const json doc = [] {
    std::ifstream f(std::string(ND_GOLDEN_DIR) + "/torch_parity.json");
    if (!f) throw std::runtime_error("missing tests/golden/torch_parity.json (run tests/golden/make_golden.py)");
    return json::parse(f);
  }();
  return doc;
}

// The case named `name` in the list `section` of `doc` (e.g. torch_golden()["attention"]).
inline const json& golden_case(const json& doc, const char* section, const std::string& name) {
  for (const json& c : doc[section])
    if (c["name"] == name) return c;
  throw std::runtime_error(std::string("golden case not found: ") + section + "/" + name);
}

inline std::vector<float> vec(const json& j) { return j.get<std::vector<float>>(); }
inline Shape shape(const json& j) { return Shape(j.get<std::vector<int64_t>>()); }

inline double rel_err(const float* a, const std::vector<float>& b) {
  double num = 0.0, den = 0.0;
  for (size_t k = 0; k < b.size(); ++k) {
    num = std::max(num, std::fabs(static_cast<double>(a[k]) - b[k]));
    den = std::max(den, std::fabs(static_cast<double>(b[k])));
  }
  return num / std::max(den, 1e-12);
}

}  // namespace nd::testing
