// Softmax and log-softmax over an axis. The kernels work on rows of the last axis; other axes
// go through a permute (copy) on each side.
#include "nd/core/parallel.h"
#include "nd/kernels/softmax.h"
#include "nd/ops/activation.h"
#include "nd/ops/shape.h"
#include "ops/op_util.h"

namespace nd::ops {

namespace {

void softmax_rows_backward(Graph& g, const Node& n) {
  const Tensor y = g.value(n.out[0]);
  const int64_t d = y.shape.back(), rows = y.numel() / std::max<int64_t>(d, 1);
  const float* gy = g.grad_or_null(n.out[0]);
  auto sink = detail::grad_sink(g, n.in[0], y.numel());
  const bool log = n.i[0];
  parallel_for(rows, 64, [&](int64_t b, int64_t e) {
    if (log)
      kernels::log_softmax_backward(y.data + b * d, gy + b * d, sink.buf + b * d, e - b, d);
    else
      kernels::softmax_backward(y.data + b * d, gy + b * d, sink.buf + b * d, e - b, d);
  });
  detail::finish_grad(sink);
}

Var softmax_last(Var x, bool log) {
  Graph& g = x.graph();
  ND_CHECK(x.rank() >= 1, "softmax of a scalar");
  Var y = detail::make_out(g, x.shape(), {x});
  const int64_t d = x.shape().back(), rows = x.numel() / std::max<int64_t>(d, 1);
  const float* xp = x.data();
  float* yp = y.data();
  parallel_for(rows, 64, [&](int64_t b, int64_t e) {
    if (log)
      kernels::log_softmax_forward(xp + b * d, yp + b * d, e - b, d);
    else
      kernels::softmax_forward(xp + b * d, yp + b * d, e - b, d);
  });
  if (g.should_record({x})) g.record(&softmax_rows_backward, {y}, {x}).i[0] = log;
  return y;
}

Var softmax_axis(Var x, int axis, bool log) {
  const int a = x.shape().norm_axis(axis);
  if (a == x.rank() - 1) return softmax_last(x, log);
  Var t = transpose(x, a, -1);
  return transpose(softmax_last(t, log), a, -1);
}

}  // namespace

Var softmax(Var x, int axis) { return softmax_axis(x, axis, false); }
Var log_softmax(Var x, int axis) { return softmax_axis(x, axis, true); }

}  // namespace nd::ops
