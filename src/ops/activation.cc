// Activation ops and PReLU: forward and backward side by side.
#include "nd/ops/activation.h"

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

}  // namespace

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
