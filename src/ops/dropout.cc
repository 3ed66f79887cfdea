// Inverted dropout: the caller's Rng gives one 64-bit seed per call and the keep mask is a
// counter-based hash of (seed, element) computed by the SIMD kernel (kernels::dropout), so the
// mask is deterministic per seed and costs a few vector instructions per element. Nothing but
// the seed is kept: backward applies the same mask to the gradient by recomputing it.
#include "nd/ops/activation.h"
#include "ops/op_util.h"

namespace nd::ops {

namespace {
void dropout_backward(Graph& g, const Node& n) {
  const int64_t cnt = g.value(n.out[0]).numel();
  auto sink = detail::grad_sink(g, n.in[0], cnt);
  kernels::dropout(g.grad_or_null(n.out[0]), static_cast<uint64_t>(n.i[0]), n.f[0], sink.buf, nullptr, cnt);
  detail::finish_grad(sink);
}
}  // namespace

Var dropout(Var x, float p, Rng& rng) {
  ND_CHECK(p >= 0.0f && p < 1.0f, "dropout probability must be in [0, 1), got ", p);
  Graph& g = x.graph();
  if (p == 0.0f) return x;
  const int64_t cnt = x.numel();
  const uint64_t seed = (static_cast<uint64_t>(rng.next_u32()) << 32) | rng.next_u32();
  Var y = detail::make_out(g, x.shape(), {x});
  kernels::dropout(x.data(), seed, p, y.data(), nullptr, cnt);
  if (g.should_record({x})) {
    Node& n = g.record(&dropout_backward, {y}, {x});
    n.i[0] = static_cast<int64_t>(seed);
    n.f[0] = p;
  }
  return y;
}

}  // namespace nd::ops
