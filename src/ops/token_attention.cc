// token_attention (nd/ops/attention.h): per (batch, head), scores = scale q k^T (+ prev), a row
// softmax, optional counter-hash dropout, and probabilities x v written back into the token-major
// output. Tiny heads (every length and width <= 64) take the fused kernel (kernels/token_attention.h);
// larger ones the strided batched GEMM over the heads with separate softmax and dropout passes.
// Both save the probabilities only (the dropout mask is recomputed from the seed) and draw the same
// mask.
#include <algorithm>
#include <cmath>
#include <cstring>

#include "nd/core/parallel.h"
#include "nd/kernels/gemm.h"
#include "nd/kernels/softmax.h"
#include "nd/kernels/token_attention.h"
#include "nd/ops/attention.h"
#include "ops/op_util.h"

namespace nd::ops {

namespace {

// i: B, Lq, Lk, H, D, Dv, seed, has_prev. f: scale, dropout_p (0 unless training).
// saved[0]: probabilities [B * H, Lq, Lk] before dropout.
struct Dims {
  int64_t B, Lq, Lk, H, D, Dv;
};
Dims dims_of(const Node& n) { return {n.i[0], n.i[1], n.i[2], n.i[3], n.i[4], n.i[5]}; }

// C_bh = alpha op(X_bh) op(Y_bh) (+ beta C_bh) for every (b, h): the heads of one batch row are a
// strided batch (head stride = the per-head width), batch rows are consecutive blocks.
struct HeadMat {
  const float* p;
  int64_t ld, head_stride, batch_stride;
};
void heads_gemm(bool ta, bool tb, const Dims& d, int64_t m, int64_t n, int64_t k, float alpha, HeadMat a, HeadMat b,
                float beta, float* c, int64_t ldc, int64_t c_head, int64_t c_batch) {
  // One parallel region over the batch rows (the per-row calls then run inline): a region per
  // row would put a thread barrier behind every few microseconds of work.
  const int64_t work = std::max<int64_t>(1, d.H * m * n * k);
  parallel_for(d.B, std::max<int64_t>(1, 65536 / work), [&](int64_t b0, int64_t b1) {
    for (int64_t bi = b0; bi < b1; ++bi)
      kernels::gemm_strided_batched(ta, tb, d.H, m, n, k, alpha, a.p + bi * a.batch_stride, a.ld, a.head_stride,
                                    b.p + bi * b.batch_stride, b.ld, b.head_stride, beta, c + bi * c_batch, ldc,
                                    c_head);
  });
}

kernels::TokenAttentionDims kernel_dims(const Dims& d) { return {d.B, d.H, d.Lq, d.Lk, d.D, d.Dv}; }

// Fused backward: every gradient in one kernel call, written into the gradient sinks.
void fused_backward(Graph& g, const Node& n, const Dims& d) {
  const kernels::TokenAttentionConfig c{n.f[0], n.f[1], static_cast<uint64_t>(n.i[6])};
  const bool has_prev = n.i[7] != 0;
  const float* gO = g.grad_or_null(n.out[0]);
  const float* gS_ext = n.out[1] >= 0 ? g.grad_or_null(n.out[1]) : nullptr;
  const bool want_q = detail::wants_grad(g, n.in[0]), want_k = detail::wants_grad(g, n.in[1]);
  const bool want_v = gO && detail::wants_grad(g, n.in[2]), want_prev = has_prev && detail::wants_grad(g, n.in[3]);
  detail::GradSink sq{}, sk{}, sv{}, sp{};
  if (want_q) sq = detail::grad_sink(g, n.in[0], d.B * d.Lq * d.H * d.D);
  if (want_k) sk = detail::grad_sink(g, n.in[1], d.B * d.Lk * d.H * d.D);
  if (want_v) sv = detail::grad_sink(g, n.in[2], d.B * d.Lk * d.H * d.Dv);
  if (want_prev) sp = detail::grad_sink(g, n.in[3], d.B * d.H * d.Lq * d.Lk);
  kernels::token_attention_backward(kernel_dims(d), c, g.value(n.in[0]).data, g.value(n.in[1]).data,
                                    g.value(n.in[2]).data, n.saved[0].data, gO, gS_ext, want_q ? sq.buf : nullptr,
                                    want_k ? sk.buf : nullptr, want_v ? sv.buf : nullptr, want_prev ? sp.buf : nullptr);
  // After the kernel: a sink that is not fresh (q, k, v the same value) adds its buffer in.
  if (want_q) detail::finish_grad(sq);
  if (want_k) detail::finish_grad(sk);
  if (want_v) detail::finish_grad(sv);
  if (want_prev) detail::finish_grad(sp);
}

void token_attention_backward(Graph& g, const Node& n) {
  const Dims d = dims_of(n);
  if (kernels::token_attention_fits(kernel_dims(d))) return fused_backward(g, n, d);
  const float scale = n.f[0], p_drop = n.f[1];
  const uint64_t seed = static_cast<uint64_t>(n.i[6]);
  const bool has_prev = n.i[7] != 0;
  const int64_t HD = d.H * d.D, HDv = d.H * d.Dv, LL = d.Lq * d.Lk, nP = d.B * d.H * LL;
  const float* P = n.saved[0].data;
  const float* q = g.value(n.in[0]).data;
  const float* k = g.value(n.in[1]).data;
  const float* v = g.value(n.in[2]).data;
  const float* gO = g.grad_or_null(n.out[0]);
  const float* gS_ext = n.out[1] >= 0 ? g.grad_or_null(n.out[1]) : nullptr;
  Arena& ar = g.arena();
  // Probabilities as used in forward (after dropout).
  const float* Pd = P;
  if (p_drop > 0.0f) {
    float* t = ar.alloc(nP);
    kernels::dropout(P, seed, p_drop, t, nullptr, nP);
    Pd = t;
  }
  float* dS = ar.alloc(nP);
  if (gO) {
    if (detail::wants_grad(g, n.in[2])) {  // dV_bh = Pd_bh^T gO_bh
      auto sink = detail::grad_sink(g, n.in[2], d.B * d.Lk * HDv);
      heads_gemm(true, false, d, d.Lk, d.Dv, d.Lq, 1.0f, {Pd, d.Lk, LL, d.H * LL}, {gO, HDv, d.Dv, d.Lq * HDv}, 0.0f,
                 sink.buf, HDv, d.Dv, d.Lk * HDv);
      detail::finish_grad(sink);
    }
    // dPd_bh = gO_bh V_bh^T, then through dropout and softmax.
    float* dP = ar.alloc(nP);
    heads_gemm(false, true, d, d.Lq, d.Lk, d.Dv, 1.0f, {gO, HDv, d.Dv, d.Lq * HDv}, {v, HDv, d.Dv, d.Lk * HDv}, 0.0f,
               dP, d.Lk, LL, d.H * LL);
    if (p_drop > 0.0f) kernels::dropout(dP, seed, p_drop, dP, nullptr, nP);
    const int64_t rows = d.B * d.H * d.Lq;
    parallel_for(rows, 256, [&](int64_t r0, int64_t r1) {
      kernels::softmax_backward(P + r0 * d.Lk, dP + r0 * d.Lk, dS + r0 * d.Lk, r1 - r0, d.Lk);
    });
    if (gS_ext) kernels::axpy(1.0f, gS_ext, dS, nP);
  } else {
    std::memcpy(dS, gS_ext, sizeof(float) * static_cast<size_t>(nP));
  }
  // dS is the gradient of the scores s = scale q k^T + prev.
  if (has_prev && detail::wants_grad(g, n.in[3])) detail::accum(g, n.in[3], dS, nP);
  if (detail::wants_grad(g, n.in[0])) {  // dQ_bh = scale dS_bh K_bh
    auto sink = detail::grad_sink(g, n.in[0], d.B * d.Lq * HD);
    heads_gemm(false, false, d, d.Lq, d.D, d.Lk, scale, {dS, d.Lk, LL, d.H * LL}, {k, HD, d.D, d.Lk * HD}, 0.0f,
               sink.buf, HD, d.D, d.Lq * HD);
    detail::finish_grad(sink);
  }
  if (detail::wants_grad(g, n.in[1])) {  // dK_bh = scale dS_bh^T Q_bh
    auto sink = detail::grad_sink(g, n.in[1], d.B * d.Lk * HD);
    heads_gemm(true, false, d, d.Lk, d.D, d.Lq, scale, {dS, d.Lk, LL, d.H * LL}, {q, HD, d.D, d.Lq * HD}, 0.0f,
               sink.buf, HD, d.D, d.Lk * HD);
    detail::finish_grad(sink);
  }
}

}  // namespace

TokenAttentionResult token_attention(Var q, Var k, Var v, int64_t heads, const TokenAttentionOptions& opt) {
  Graph& g = detail::graph_of({q, k, v, opt.prev});
  ND_CHECK(q.rank() == 3 && k.rank() == 3 && v.rank() == 3, "token_attention: expected q [B, Lq, H*D], k [B, Lk, "
           "H*D], v [B, Lk, H*Dv], got ", q.shape().str(), ", ", k.shape().str(), ", ", v.shape().str());
  const int64_t B = q.size(0), Lq = q.size(1), Lk = k.size(1), H = heads;
  ND_CHECK(H >= 1 && q.size(2) % H == 0 && v.size(2) % H == 0, "token_attention: ", H,
           " heads do not divide the widths of q ", q.shape().str(), " and v ", v.shape().str());
  ND_CHECK(k.size(0) == B && v.size(0) == B && v.size(1) == Lk && k.size(2) == q.size(2),
           "token_attention: q ", q.shape().str(), ", k ", k.shape().str(), ", v ", v.shape().str(),
           " do not match");
  const int64_t D = q.size(2) / H, Dv = v.size(2) / H, HD = H * D, HDv = H * Dv, LL = Lq * Lk, nP = B * H * LL;
  if (opt.prev.defined())
    ND_CHECK(opt.prev.shape() == Shape({B * H, Lq, Lk}), "token_attention: prev scores must be [", B * H, ", ", Lq,
             ", ", Lk, "], got ", opt.prev.shape().str());
  ND_CHECK(opt.dropout_p >= 0.0f && opt.dropout_p < 1.0f, "token_attention: dropout_p must be in [0, 1), got ",
           opt.dropout_p);
  const float scale = opt.scale != 0.0f ? opt.scale : 1.0f / std::sqrt(static_cast<float>(D));
  const float p_drop = opt.training ? opt.dropout_p : 0.0f;
  const Dims d{B, Lq, Lk, H, D, Dv};
  const bool rec = g.should_record({q, k, v, opt.prev});
  Arena& ar = g.arena();

  Var scores;
  if (opt.return_scores) scores = g.empty(Shape{B * H, Lq, Lk}, rec);
  Var out = g.empty(Shape{B, Lq, HDv}, rec);
  float* P = nullptr;  // probabilities before dropout [B * H, Lq, Lk], saved for backward
  if (kernels::token_attention_fits(kernel_dims(d))) {
    P = rec ? ar.alloc(nP) : nullptr;
    kernels::token_attention_forward(kernel_dims(d), {scale, p_drop, opt.seed}, q.data(), k.data(), v.data(),
                                     opt.prev.defined() ? opt.prev.data() : nullptr,
                                     opt.return_scores ? scores.data() : nullptr, P, out.data());
  } else {
    float* S = opt.return_scores ? scores.data() : ar.alloc(nP);
    if (opt.prev.defined()) std::memcpy(S, opt.prev.data(), sizeof(float) * static_cast<size_t>(nP));
    heads_gemm(false, true, d, Lq, Lk, D, scale, {q.data(), HD, D, Lq * HD}, {k.data(), HD, D, Lk * HD},
               opt.prev.defined() ? 1.0f : 0.0f, S, Lk, LL, H * LL);
    P = ar.alloc(nP);
    parallel_for(B * H * Lq, 256, [&](int64_t r0, int64_t r1) {
      kernels::softmax_forward(S + r0 * Lk, P + r0 * Lk, r1 - r0, Lk);
    });
    const float* Pd = P;
    if (p_drop > 0.0f) {
      float* t = ar.alloc(nP);
      kernels::dropout(P, opt.seed, p_drop, t, nullptr, nP);
      Pd = t;
    }
    heads_gemm(false, false, d, Lq, Dv, Lk, 1.0f, {Pd, Lk, LL, H * LL}, {v.data(), HDv, Dv, Lk * HDv}, 0.0f,
               out.data(), HDv, Dv, Lq * HDv);
  }
  if (rec) {
    Node& n = opt.return_scores ? g.record(&token_attention_backward, {out, scores}, {q, k, v, opt.prev})
                                : g.record(&token_attention_backward, {out}, {q, k, v, opt.prev});
    n.i[0] = B, n.i[1] = Lq, n.i[2] = Lk, n.i[3] = H, n.i[4] = D, n.i[5] = Dv;
    n.i[6] = static_cast<int64_t>(opt.seed);
    n.i[7] = opt.prev.defined();
    n.f[0] = scale;
    n.f[1] = p_drop;
    n.saved[0] = Tensor(P, Shape{B * H, Lq, Lk});
  }
  return {out, opt.return_scores ? scores : Var()};
}

}  // namespace nd::ops
