// Shape ops: reshape (a view), permute / transpose / slice / concat / stack / pad / gather (copies
// into contiguous outputs, so every kernel downstream sees contiguous data).
#pragma once
#include <cstdint>
#include <initializer_list>
#include <vector>

#include "nd/autograd/graph.h"

namespace nd::ops {

Var reshape(Var x, const Shape& s);  // one dimension may be -1? no: give the full shape
Var flatten(Var x, int start_axis = 1);  // [a, b, c] -> [a, b*c] for start_axis 1
Var unsqueeze(Var x, int axis);
Var squeeze(Var x, int axis);
Var permute(Var x, const int* axes, int n);
inline Var permute(Var x, std::initializer_list<int> axes) { return permute(x, axes.begin(), static_cast<int>(axes.size())); }
inline Var permute(Var x, const std::vector<int>& axes) { return permute(x, axes.data(), static_cast<int>(axes.size())); }
Var transpose(Var x, int a, int b);
Var slice(Var x, int axis, int64_t start, int64_t stop);  // [start, stop)
Var select(Var x, int axis, int64_t index);              // slice + drop the axis
Var concat(const Var* xs, int64_t n, int axis);
inline Var concat(std::initializer_list<Var> xs, int axis) { return concat(xs.begin(), static_cast<int64_t>(xs.size()), axis); }
inline Var concat(const std::vector<Var>& xs, int axis) { return concat(xs.data(), static_cast<int64_t>(xs.size()), axis); }
Var stack(const std::vector<Var>& xs, int axis);
// Pads `axis` with `before` / `after` copies of `value` (constant padding).
Var pad(Var x, int axis, int64_t before, int64_t after, float value = 0.0f);
// index_select: y = x.index_select(axis, index); backward scatter-adds.
Var gather(Var x, int axis, const std::vector<int64_t>& index);
Var repeat_interleave(Var x, int axis, int64_t repeats);

}  // namespace nd::ops
