// Table-driven finite-difference gradient checks: each case builds outputs from inputs; the
// harness compares the tape's gradients of sum_k <out_k, R_k> (R random) with central differences.
#pragma once
#include <functional>
#include <string>
#include <vector>

#include "nd/autograd/graph.h"

namespace nd::testing {

enum class Init { uniform, away_from_zero, positive, distinct };

struct GradCase {
  std::string name;
  std::vector<Shape> inputs;
  std::function<std::vector<Var>(std::vector<Var>&)> fn;
  Init init = Init::uniform;
  float eps = 1e-3f;
  float atol = 2e-3f;
  float rtol = 2e-2f;
};

struct GradReport {
  double max_abs_err = 0.0;  // worst |analytic - numeric| beyond tolerance scale
  double worst_ratio = 0.0;  // max over elements of |a - n| / (atol + rtol |n|); <= 1 passes
  std::string where;         // input and element of the worst ratio
  int64_t checked = 0;
};

GradReport gradcheck(const GradCase& c, uint64_t seed = 7);
void fill_inputs(std::vector<float>& v, Init init, uint64_t seed);

}  // namespace nd::testing
