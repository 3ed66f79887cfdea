// Inverted dropout (and dropout fused with a residual add or an activation): the caller's Rng gives one 64-bit seed per call and the keep mask is a
// counter-based hash of (seed, element) computed by the SIMD kernel (kernels::dropout), so the
// mask is deterministic per seed and costs a few vector instructions per element. Nothing but
// the seed is kept: backward applies the same mask to the gradient by recomputing it.
#include "nd/ops/activation.h"
#include "nd/ops/elementwise.h"
#include "ops/op_util.h"

namespace nd::ops {

namespace {
// dx (+)= mask * dy: written when x's gradient is fresh, else accumulated in place.
void dropout_grad_into(Graph& g, int32_t x, const float* gy, uint64_t seed, float p, int64_t cnt) {
  bool fresh = false;
  float* gx = g.grad_write(x, &fresh);
  if (fresh)
    kernels::dropout(gy, seed, p, gx, nullptr, cnt);
  else
    kernels::dropout_add(gy, seed, p, gx, gx, cnt);
}

void dropout_backward(Graph& g, const Node& n) {
  dropout_grad_into(g, n.in[0], g.grad_or_null(n.out[0]), static_cast<uint64_t>(n.i[0]), n.f[0],
                    g.value(n.out[0]).numel());
}

// y = r + dropout(x). in: r, x. dr = dy (r takes over dy's buffer when it has no gradient yet),
// dx = mask * dy; x first so it reads dy before the hand-over.
void dropout_add_backward(Graph& g, const Node& n) {
  const int64_t cnt = g.value(n.out[0]).numel();
  float* gy = g.grad_or_null(n.out[0]);
  const int32_t r = n.in[0], x = n.in[1];
  if (detail::wants_grad(g, x)) dropout_grad_into(g, x, gy, static_cast<uint64_t>(n.i[0]), n.f[0], cnt);
  // When r == x its gradient now exists, so adopt_or_accum adds instead of adopting.
  if (detail::wants_grad(g, r)) detail::adopt_or_accum(g, r, gy, cnt);
}

// y = dropout(f(x)). in: x. dx (+)= f'(x) * mask * dy.
void activation_dropout_backward(Graph& g, const Node& n) {
  const Tensor x = g.value(n.in[0]);
  bool fresh = false;
  float* gx = g.grad_write(n.in[0], &fresh);
  kernels::act_dropout_backward(static_cast<kernels::Act>(n.i[1]), x.data, n.f[1], static_cast<uint64_t>(n.i[0]),
                                n.f[0], g.grad_or_null(n.out[0]), gx, !fresh, x.numel());
}

uint64_t draw_seed(Rng& rng) { return (static_cast<uint64_t>(rng.next_u32()) << 32) | rng.next_u32(); }
}  // namespace

Var dropout(Var x, float p, Rng& rng) {
  ND_CHECK(p >= 0.0f && p < 1.0f, "dropout probability must be in [0, 1), got ", p);
  Graph& g = x.graph();
  if (p == 0.0f) return x;
  const int64_t cnt = x.numel();
  const uint64_t seed = draw_seed(rng);
  Var y = detail::make_out(g, x.shape(), {x});
  kernels::dropout(x.data(), seed, p, y.data(), nullptr, cnt);
  if (g.should_record({x})) {
    Node& n = g.record(&dropout_backward, {y}, {x});
    n.i[0] = static_cast<int64_t>(seed);
    n.f[0] = p;
  }
  return y;
}

Var dropout_add(Var r, Var x, float p, Rng& rng) {
  ND_CHECK(p >= 0.0f && p < 1.0f, "dropout probability must be in [0, 1), got ", p);
  ND_CHECK(r.shape() == x.shape(), "dropout_add: residual ", r.shape().str(), " and input ", x.shape().str(),
           " must have the same shape");
  if (p == 0.0f) return add(r, x);
  Graph& g = detail::graph_of({r, x});
  const int64_t cnt = x.numel();
  const uint64_t seed = draw_seed(rng);
  Var y = detail::make_out(g, x.shape(), {r, x});
  kernels::dropout_add(x.data(), seed, p, r.data(), y.data(), cnt);
  if (g.should_record({r, x})) {
    Node& n = g.record(&dropout_add_backward, {y}, {r, x});
    n.i[0] = static_cast<int64_t>(seed);
    n.f[0] = p;
  }
  return y;
}

Var activation_dropout(Var x, kernels::Act a, float p, Rng& rng, float alpha) {
  ND_CHECK(p >= 0.0f && p < 1.0f, "dropout probability must be in [0, 1), got ", p);
  if (p == 0.0f) return activation(x, a, alpha);
  Graph& g = x.graph();
  const uint64_t seed = draw_seed(rng);
  Var y = detail::make_out(g, x.shape(), {x});
  kernels::act_dropout_forward(a, x.data(), alpha, seed, p, y.data(), x.numel());
  if (g.should_record({x})) {
    Node& n = g.record(&activation_dropout_backward, {y}, {x});
    n.i[0] = static_cast<int64_t>(seed);
    n.i[1] = static_cast<int64_t>(a);
    n.f[0] = p;
    n.f[1] = alpha;
  }
  return y;
}

}  // namespace nd::ops
