// Reductions over axes (sum, mean, max, min) with keepdim, as torch.sum(x, dim, keepdim), and
// the running sum along an axis (torch.cumsum).
#pragma once
#include <vector>

#include "nd/autograd/graph.h"

namespace nd::ops {

Var sum(Var x, const std::vector<int>& axes, bool keepdim = false);
Var mean(Var x, const std::vector<int>& axes, bool keepdim = false);
Var max(Var x, int axis, bool keepdim = false);  // gradient flows to the first maximum
Var min(Var x, int axis, bool keepdim = false);
Var sum_all(Var x);   // -> [] (rank 0, one element)
Var mean_all(Var x);  // -> []
// Running sum along `axis` (same shape; accumulated in double, as torch's CPU cumsum of float).
Var cumsum(Var x, int axis);

}  // namespace nd::ops
