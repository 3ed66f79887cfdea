// scaled_dot_product_attention: shape checks, the flash kernel, and its backward on the tape. The
// node saves only the per-row log-sum-exp [B, H, Lq] (and the padding mask); the probabilities
// are recomputed in backward, so the op's memory grows linearly in the sequence lengths.
#include "nd/ops/attention.h"

#include <cmath>
#include <cstring>

#include "nd/kernels/attention.h"
#include "ops/op_util.h"

namespace nd::ops {

namespace {

// i: B, H, Lq, Lk, D, Dv, causal, seed (bits). f: scale, dropout_p (0 unless training).
// saved[0]: lse [B, H, Lq]. ctx: the copied key padding mask [B, Lk] or null.
kernels::AttentionDims dims_of(const Node& n) { return {n.i[0], n.i[1], n.i[2], n.i[3], n.i[4], n.i[5]}; }

kernels::AttentionConfig config_of(const Node& n) {
  kernels::AttentionConfig c;
  c.scale = n.f[0];
  c.dropout_p = n.f[1];
  c.causal = n.i[6] != 0;
  c.seed = static_cast<uint64_t>(n.i[7]);
  c.key_padding_mask = static_cast<const uint8_t*>(n.ctx);
  return c;
}

void attention_backward(Graph& g, const Node& n) {
  const kernels::AttentionDims d = dims_of(n);
  const kernels::AttentionConfig c = config_of(n);
  const float* gy = g.grad_or_null(n.out[0]);
  const int64_t nq = d.B * d.H * d.Lq * d.D, nk = d.B * d.H * d.Lk * d.D, nv = d.B * d.H * d.Lk * d.Dv;
  // Arena work first; the kernel overwrites its outputs, so fresh gradients are written in place.
  detail::GradSink sq{}, sk{}, sv{};
  const bool wq = detail::wants_grad(g, n.in[0]), wk = detail::wants_grad(g, n.in[1]),
             wv = detail::wants_grad(g, n.in[2]);
  if (wq) sq = detail::grad_sink(g, n.in[0], nq);
  if (wk) sk = detail::grad_sink(g, n.in[1], nk);
  if (wv) sv = detail::grad_sink(g, n.in[2], nv);
  float* scratch = g.arena().alloc(kernels::attention_backward_scratch(d, c));
  kernels::attention_backward(d, c, g.value(n.in[0]).data, g.value(n.in[1]).data, g.value(n.in[2]).data,
                              g.value(n.out[0]).data, n.saved[0].data, gy, wq ? sq.buf : nullptr,
                              wk ? sk.buf : nullptr, wv ? sv.buf : nullptr, scratch);
  if (wq) detail::finish_grad(sq);
  if (wk) detail::finish_grad(sk);
  if (wv) detail::finish_grad(sv);
}

}  // namespace

Var scaled_dot_product_attention(Var q, Var k, Var v, const AttentionOptions& opt) {
  Graph& g = detail::graph_of({q, k, v});
  ND_CHECK(q.rank() == 4 && k.rank() == 4 && v.rank() == 4,
           "scaled_dot_product_attention: expected q [B, H, Lq, D], k [B, H, Lk, D], v [B, H, Lk, Dv]; got q ",
           q.shape().str(), ", k ", k.shape().str(), ", v ", v.shape().str());
  const int64_t B = q.size(0), H = q.size(1), Lq = q.size(2), D = q.size(3), Lk = k.size(2), Dv = v.size(3);
  ND_CHECK(k.size(0) == B && k.size(1) == H && v.size(0) == B && v.size(1) == H,
           "scaled_dot_product_attention: batch and head dimensions differ: q ", q.shape().str(), ", k ",
           k.shape().str(), ", v ", v.shape().str());
  ND_CHECK(k.size(3) == D, "scaled_dot_product_attention: q ", q.shape().str(), " and k ", k.shape().str(),
           " have different head dimensions");
  ND_CHECK(v.size(2) == Lk, "scaled_dot_product_attention: k ", k.shape().str(), " and v ", v.shape().str(),
           " have different key lengths");
  ND_CHECK(D >= 1 && Dv >= 1, "scaled_dot_product_attention: empty head dimension: q ", q.shape().str(), ", v ",
           v.shape().str());
  ND_CHECK(opt.dropout_p >= 0.0f && opt.dropout_p < 1.0f,
           "scaled_dot_product_attention: dropout_p must be in [0, 1), got ", opt.dropout_p);
  ND_CHECK(std::isfinite(opt.scale), "scaled_dot_product_attention: scale must be finite, got ", opt.scale);

  kernels::AttentionDims d{B, H, Lq, Lk, D, Dv};
  kernels::AttentionConfig c;
  c.scale = opt.scale != 0.0f ? opt.scale : 1.0f / std::sqrt(static_cast<float>(D));
  c.causal = opt.causal;
  c.dropout_p = opt.training ? opt.dropout_p : 0.0f;
  c.seed = opt.seed;
  if (opt.key_padding_mask) {  // copied: backward must not depend on the caller's buffer
    auto* m = g.arena().alloc_array<uint8_t>(B * Lk);
    std::memcpy(m, opt.key_padding_mask, static_cast<size_t>(B * Lk));
    c.key_padding_mask = m;
  }
  Var y = detail::make_out(g, Shape{B, H, Lq, Dv}, {q, k, v});
  float* lse = g.arena().alloc(B * H * Lq);
  float* scratch = g.arena().alloc(kernels::attention_forward_scratch(d, c));
  kernels::attention_forward(d, c, q.data(), k.data(), v.data(), y.data(), lse, scratch);
  if (g.should_record({q, k, v})) {
    Node& n = g.record(&attention_backward, {y}, {q, k, v});
    n.i[0] = B, n.i[1] = H, n.i[2] = Lq, n.i[3] = Lk, n.i[4] = D, n.i[5] = Dv;
    n.i[6] = c.causal, n.i[7] = static_cast<int64_t>(c.seed);
    n.f[0] = c.scale, n.f[1] = c.dropout_p;
    n.saved[0] = Tensor(lse, Shape{B, H, Lq});
    n.ctx = c.key_padding_mask;
  }
  return y;
}

}  // namespace nd::ops
