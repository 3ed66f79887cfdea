// Activation ops and PReLU: forward and backward side by side.
#include "nd/ops/activation.h"

#include <algorithm>
#include <vector>

#include "nd/kernels/reduce.h"
#include "ops/op_util.h"

namespace nd::ops {

namespace {

void act_backward(Graph& g, const Node& n) {
  const auto a = static_cast<kernels::Act>(n.i[0]);
  const Tensor x = g.value(n.in[0]), y = g.value(n.out[0]);
  auto sink = detail::grad_sink(g, n.in[0], x.numel());
  kernels::act_backward(a, x.data, y.data, g.grad_or_null(n.out[0]), sink.buf, x.numel(), n.f[0]);
  detail::finish_grad(sink);
}

void prelu_backward(Graph& g, const Node& n) {
  const Tensor x = g.value(n.in[0]), y = g.value(n.out[0]);
  const float* gy = g.grad_or_null(n.out[0]);
  const float alpha = g.value(n.in[1]).data[0];
  const int64_t cnt = x.numel();
  if (detail::wants_grad(g, n.in[0])) {
    auto sink = detail::grad_sink(g, n.in[0], cnt);
    kernels::act_backward(kernels::Act::prelu, x.data, y.data, gy, sink.buf, cnt, alpha);
    detail::finish_grad(sink);
  }
  if (detail::wants_grad(g, n.in[1])) {
    // d/dalpha = sum(gy * min(x, 0))
    double s = 0.0;
    for (int64_t k = 0; k < cnt; ++k)
      if (x.data[k] < 0.0f) s += static_cast<double>(gy[k]) * x.data[k];
    g.grad_accum(n.in[1])[0] += static_cast<float>(s);
  }
}

void glu_backward(Graph& g, const Node& n) {
  const Tensor x = g.value(n.in[0]);
  const int64_t two_n = x.shape[x.rank() - 1], rows = x.numel() / std::max<int64_t>(two_n, 1);
  auto sink = detail::grad_sink(g, n.in[0], x.numel());
  kernels::glu_backward(x.data, g.grad_or_null(n.out[0]), sink.buf, rows, two_n / 2);
  detail::finish_grad(sink);
}

}  // namespace

Var glu(Var x) {
  Graph& g = x.graph();
  ND_CHECK(x.rank() >= 1, "glu: expected an input of rank >= 1, got a scalar");
  const int64_t two_n = x.size(x.rank() - 1);
  ND_CHECK(two_n % 2 == 0, "glu: the last axis must have an even size (halves [a | b]), got ", x.shape().str());
  std::vector<int64_t> out = x.shape().vec();
  out.back() = two_n / 2;
  Var y = detail::make_out(g, Shape(out), {x});
  kernels::glu_forward(x.data(), y.data(), two_n == 0 ? 0 : x.numel() / two_n, two_n / 2);
  if (g.should_record({x})) g.record(&glu_backward, {y}, {x});
  return y;
}

Var activation(Var x, kernels::Act a, float alpha) {
  Graph& g = x.graph();
  Var y = detail::make_out(g, x.shape(), {x});
  kernels::act_forward(a, x.data(), y.data(), x.numel(), alpha);
  if (g.should_record({x})) {
    Node& n = g.record(&act_backward, {y}, {x});
    n.i[0] = static_cast<int64_t>(a);
    n.f[0] = alpha;
  }
  return y;
}

Var prelu(Var x, Var weight) {
  Graph& g = detail::graph_of({x, weight});
  ND_CHECK(weight.numel() == 1, "prelu: expected a single slope parameter, got shape ", weight.shape().str());
  Var y = detail::make_out(g, x.shape(), {x, weight});
  kernels::act_forward(kernels::Act::prelu, x.data(), y.data(), x.numel(), weight.data()[0]);
  if (g.should_record({x, weight})) g.record(&prelu_backward, {y}, {x, weight});
  return y;
}

}  // namespace nd::ops
