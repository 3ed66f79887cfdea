// Inverted dropout: the keep mask is drawn from the caller's Rng (deterministic per seed) and
// kept in the arena for backward.
#include "nd/ops/activation.h"
#include "ops/op_util.h"

namespace nd::ops {

namespace {
void dropout_backward(Graph& g, const Node& n) {
  const int64_t cnt = g.value(n.out[0]).numel();
  auto sink = detail::grad_sink(g, n.in[0], cnt);
  kernels::masked_scale(g.grad_or_null(n.out[0]), n.saved[0].data, n.f[0], sink.buf, cnt);
  detail::finish_grad(sink);
}
}  // namespace

Var dropout(Var x, float p, Rng& rng) {
  ND_CHECK(p >= 0.0f && p < 1.0f, "dropout probability must be in [0, 1), got ", p);
  Graph& g = x.graph();
  if (p == 0.0f) return x;
  const int64_t cnt = x.numel();
  float* mask = g.arena().alloc(cnt);
  for (int64_t k = 0; k < cnt; ++k) mask[k] = rng.uniform() >= p ? 1.0f : 0.0f;
  const float s = 1.0f / (1.0f - p);
  Var y = detail::make_out(g, x.shape(), {x});
  kernels::masked_scale(x.data(), mask, s, y.data(), cnt);
  if (g.should_record({x})) {
    Node& n = g.record(&dropout_backward, {y}, {x});
    n.saved[0] = Tensor(mask, x.shape());
    n.f[0] = s;
  }
  return y;
}

}  // namespace nd::ops
