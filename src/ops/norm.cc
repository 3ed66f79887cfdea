// Layer normalization over the last axis (fused kernel), forward and backward.
#include "nd/core/parallel.h"
#include "nd/kernels/layernorm.h"
#include "nd/ops/activation.h"
#include "ops/op_util.h"

namespace nd::ops {

namespace {

// saved[0]: mean [rows], saved[1]: rstd [rows]
void layer_norm_backward(Graph& g, const Node& n) {
  const Tensor x = g.value(n.in[0]);
  const int64_t d = x.shape.back(), rows = x.numel() / std::max<int64_t>(d, 1);
  const float* gy = g.grad_or_null(n.out[0]);
  const float* gamma = n.in[1] >= 0 ? g.value(n.in[1]).data : nullptr;
  float* dgamma = (n.in[1] >= 0 && detail::wants_grad(g, n.in[1])) ? g.grad_accum(n.in[1]) : nullptr;
  float* dbeta = (n.in[2] >= 0 && detail::wants_grad(g, n.in[2])) ? g.grad_accum(n.in[2]) : nullptr;
  if (detail::wants_grad(g, n.in[0])) {
    auto sink = detail::grad_sink(g, n.in[0], x.numel());
    kernels::layer_norm_backward(x.data, gy, gamma, n.saved[0].data, n.saved[1].data, sink.buf, dgamma, dbeta, rows,
                                 d);
    detail::finish_grad(sink);
  } else {
    kernels::layer_norm_backward(x.data, gy, gamma, n.saved[0].data, n.saved[1].data, nullptr, dgamma, dbeta, rows,
                                 d);
  }
}

}  // namespace

Var layer_norm(Var x, Var gamma, Var beta, float eps) {
  Graph& g = detail::graph_of({x, gamma, beta});
  ND_CHECK(x.rank() >= 1, "layer_norm of a scalar");
  const int64_t d = x.shape().back(), rows = x.numel() / std::max<int64_t>(d, 1);
  if (gamma.defined())
    ND_CHECK(gamma.numel() == d, "layer_norm: weight ", gamma.shape().str(), " does not match last axis ", d,
             " of input ", x.shape().str());
  if (beta.defined())
    ND_CHECK(beta.numel() == d, "layer_norm: bias ", beta.shape().str(), " does not match last axis ", d,
             " of input ", x.shape().str());
  ND_CHECK(eps > 0.0f, "layer_norm: eps must be positive, got ", eps);
  Var y = detail::make_out(g, x.shape(), {x, gamma, beta});
  float* mean = g.arena().alloc(rows);
  float* rstd = g.arena().alloc(rows);
  const float* xp = x.data();
  float* yp = y.data();
  const float* gp = gamma.defined() ? gamma.data() : nullptr;
  const float* bp = beta.defined() ? beta.data() : nullptr;
  parallel_for(rows, 64, [&](int64_t b, int64_t e) {
    kernels::layer_norm_forward(xp + b * d, gp, bp, yp + b * d, mean + b, rstd + b, e - b, d, eps);
  });
  if (g.should_record({x, gamma, beta})) {
    Node& n = g.record(&layer_norm_backward, {y}, {x, gamma, beta});
    n.saved[0] = Tensor(mean, Shape{rows});
    n.saved[1] = Tensor(rstd, Shape{rows});
  }
  return y;
}

}  // namespace nd::ops
