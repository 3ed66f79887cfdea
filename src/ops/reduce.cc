// Reductions: x viewed as [outer, r, inner] reduced over r; backward broadcasts the gradient back.
#include "nd/ops/reduce.h"

#include <algorithm>
#include <vector>

#include "nd/kernels/reduce.h"
#include "ops/op_util.h"

namespace nd::ops {

namespace {

struct Split {
  int64_t outer, r, inner;
};
Split split_at(const Shape& s, int a) {
  Split sp{1, s[a], 1};
  for (int i = 0; i < a; ++i) sp.outer *= s[i];
  for (int i = a + 1; i < s.rank(); ++i) sp.inner *= s[i];
  return sp;
}

Shape reduced_shape(const Shape& s, int a, bool keepdim) {
  Shape o;
  for (int i = 0; i < s.rank(); ++i) {
    if (i == a) {
      if (keepdim) o.push_back(1);
    } else {
      o.push_back(s[i]);
    }
  }
  return o;
}

// i: outer, r, inner; f[0]: scale (1 for sum, 1/r for mean)
void sum_backward(Graph& g, const Node& n) {
  const int64_t outer = n.i[0], r = n.i[1], inner = n.i[2];
  const float s = n.f[0];
  const float* gy = g.grad_or_null(n.out[0]);
  float* gx = g.grad_accum(n.in[0]);
  for (int64_t o = 0; o < outer; ++o)
    for (int64_t k = 0; k < r; ++k) kernels::axpy(s, gy + o * inner, gx + (o * r + k) * inner, inner);
}

Var sum_axis(Var x, int axis, bool keepdim, float scale) {
  Graph& g = x.graph();
  const int a = x.shape().norm_axis(axis);
  const Split sp = split_at(x.shape(), a);
  Var y = detail::make_out(g, reduced_shape(x.shape(), a, keepdim), {x});
  kernels::reduce_sum(x.data(), y.data(), sp.outer, sp.r, sp.inner);
  if (scale != 1.0f) kernels::scale(scale, y.data(), y.data(), y.numel());
  if (g.should_record({x})) {
    Node& n = g.record(&sum_backward, {y}, {x});
    n.i[0] = sp.outer, n.i[1] = sp.r, n.i[2] = sp.inner;
    n.f[0] = scale;
  }
  return y;
}

// i: outer, r, inner; saved[0]: argmax indices stored as floats
void extreme_backward(Graph& g, const Node& n) {
  const int64_t outer = n.i[0], r = n.i[1], inner = n.i[2];
  const float* gy = g.grad_or_null(n.out[0]);
  const float* idx = n.saved[0].data;
  float* gx = g.grad_accum(n.in[0]);
  for (int64_t o = 0; o < outer; ++o)
    for (int64_t j = 0; j < inner; ++j) {
      const int64_t k = static_cast<int64_t>(idx[o * inner + j]);
      gx[(o * r + k) * inner + j] += gy[o * inner + j];
    }
}

Var extreme(Var x, int axis, bool keepdim, bool is_max) {
  Graph& g = x.graph();
  const int a = x.shape().norm_axis(axis);
  ND_CHECK(x.size(a) > 0, is_max ? "max" : "min", " over an empty axis of shape ", x.shape().str());
  const Split sp = split_at(x.shape(), a);
  Var y = detail::make_out(g, reduced_shape(x.shape(), a, keepdim), {x});
  if (is_max)
    kernels::reduce_max(x.data(), y.data(), sp.outer, sp.r, sp.inner);
  else
    kernels::reduce_min(x.data(), y.data(), sp.outer, sp.r, sp.inner);
  if (g.should_record({x})) {
    Node& n = g.record(&extreme_backward, {y}, {x});
    n.i[0] = sp.outer, n.i[1] = sp.r, n.i[2] = sp.inner;
    float* idx = g.arena().alloc(sp.outer * sp.inner);
    const float* xp = x.data();
    const float* yp = y.data();
    for (int64_t o = 0; o < sp.outer; ++o)
      for (int64_t j = 0; j < sp.inner; ++j) {
        int64_t k = 0;
        while (k + 1 < sp.r && xp[(o * sp.r + k) * sp.inner + j] != yp[o * sp.inner + j]) ++k;
        idx[o * sp.inner + j] = static_cast<float>(k);
      }
    n.saved[0] = Tensor(idx, Shape{sp.outer * sp.inner});
  }
  return y;
}

Var reduce_axes(Var x, std::vector<int> axes, bool keepdim, bool mean) {
  ND_CHECK(!axes.empty(), "reduction needs at least one axis");
  for (int& a : axes) a = x.shape().norm_axis(a);
  std::sort(axes.begin(), axes.end());
  ND_CHECK(std::adjacent_find(axes.begin(), axes.end()) == axes.end(), "reduction axis repeated");
  // Reduce from the last axis backwards so earlier axis numbers stay valid.
  Var y = x;
  for (size_t k = axes.size(); k-- > 0;) {
    const float s = mean ? 1.0f / static_cast<float>(y.size(axes[k])) : 1.0f;
    y = sum_axis(y, axes[k], keepdim, s);
  }
  return y;
}

}  // namespace

Var sum(Var x, const std::vector<int>& axes, bool keepdim) { return reduce_axes(x, axes, keepdim, false); }
Var mean(Var x, const std::vector<int>& axes, bool keepdim) { return reduce_axes(x, axes, keepdim, true); }
Var max(Var x, int axis, bool keepdim) { return extreme(x, axis, keepdim, true); }
Var min(Var x, int axis, bool keepdim) { return extreme(x, axis, keepdim, false); }

Var sum_all(Var x) {
  Graph& g = x.graph();
  const Tensor v = x.value();
  Var y = detail::make_out(g, Shape{}, {x});
  y.data()[0] = kernels::sum(v.data, v.numel());
  if (g.should_record({x})) {
    Node& n = g.record(&sum_backward, {y}, {x});
    n.i[0] = 1, n.i[1] = v.numel(), n.i[2] = 1;
    n.f[0] = 1.0f;
  }
  return y;
}

Var mean_all(Var x) {
  Graph& g = x.graph();
  ND_CHECK(x.numel() > 0, "mean of an empty tensor ", x.shape().str());
  const float s = 1.0f / static_cast<float>(x.numel());
  Var y = detail::make_out(g, Shape{}, {x});
  y.data()[0] = kernels::sum(x.data(), x.numel()) * s;
  if (g.should_record({x})) {
    Node& n = g.record(&sum_backward, {y}, {x});
    n.i[0] = 1, n.i[1] = x.numel(), n.i[2] = 1;
    n.f[0] = s;
  }
  return y;
}

namespace {

// i: outer, r, inner. The gradient of a running sum is the reverse running sum of gy.
void cumsum_backward(Graph& g, const Node& n) {
  const int64_t outer = n.i[0], r = n.i[1], inner = n.i[2];
  const float* gy = g.grad_or_null(n.out[0]);
  detail::GradSink s = detail::grad_sink(g, n.in[0], outer * r * inner);
  std::vector<double> acc(static_cast<size_t>(inner));
  for (int64_t o = 0; o < outer; ++o) {
    std::fill(acc.begin(), acc.end(), 0.0);
    for (int64_t k = r; k-- > 0;)
      for (int64_t j = 0; j < inner; ++j) {
        const int64_t at = (o * r + k) * inner + j;
        acc[j] += gy[at];
        s.buf[at] = static_cast<float>(acc[j]);
      }
  }
  detail::finish_grad(s);
}

}  // namespace

Var cumsum(Var x, int axis) {
  Graph& g = x.graph();
  const int a = x.shape().norm_axis(axis);
  const Split sp = split_at(x.shape(), a);
  Var y = detail::make_out(g, x.shape(), {x});
  const float* xp = x.data();
  float* yp = y.data();
  std::vector<double> acc(static_cast<size_t>(sp.inner));
  for (int64_t o = 0; o < sp.outer; ++o) {
    std::fill(acc.begin(), acc.end(), 0.0);
    for (int64_t k = 0; k < sp.r; ++k)
      for (int64_t j = 0; j < sp.inner; ++j) {
        const int64_t at = (o * sp.r + k) * sp.inner + j;
        acc[j] += xp[at];
        yp[at] = static_cast<float>(acc[j]);
      }
  }
  if (g.should_record({x})) {
    Node& n = g.record(&cumsum_backward, {y}, {x});
    n.i[0] = sp.outer, n.i[1] = sp.r, n.i[2] = sp.inner;
  }
  return y;
}

}  // namespace nd::ops
