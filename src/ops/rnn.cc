// Recurrent layers. Internally every per-step tensor is feature-major: x_t [I, B], gates_t
// [G*H, B], h_t / c_t [H, B]. The products are then W [G*H, K] @ s [K, B], which BLAS runs about
// twice as fast as the batch-major s [B, K] @ W^T for the small shapes of forecasting models
// (measured with OpenBLAS 0.3.21 at 32 x 512 x 128), and each gate block [H, B] is contiguous, so
// the fused cell kernels see [G, H*B] arrays. Backward runs the steps in reverse and accumulates
// the weight gradients of each step while its gate gradients are still in cache.
#include "nd/ops/rnn.h"

#include <algorithm>
#include <cstring>

#include "nd/kernels/gemm.h"
#include "nd/kernels/reduce.h"
#include "nd/kernels/rnn_cells.h"
#include "ops/op_util.h"

namespace nd::ops {

namespace {

enum Kind : int64_t { kRnnTanh = 0, kRnnRelu = 1, kLstm = 2, kGru = 3 };
int gates_of(int64_t kind) { return kind == kLstm ? 4 : kind == kGru ? 3 : 1; }

// Node inputs: x, h0, c0, w_ih, w_hh, b_ih, b_hh; outputs y, h_n, c_n.
enum { kX = 0, kH0, kC0, kWih, kWhh, kBih, kBhh };

// C[M, N] (+)= op(A) B with M split into row blocks of at most ~1e6 multiply-adds each: small
// products take OpenBLAS's unpacked small-matrix path, which is markedly faster at these sizes.
// tb: B is stored [N, K] (row stride K) and used transposed.
void gemm_split(bool ta, int64_t M, int64_t N, int64_t K, const float* a, int64_t lda, const float* b,
                float* c, float beta, bool tb = false) {
  const int64_t per = std::max<int64_t>(1, 1000000 / std::max<int64_t>(N * K, 1));
  const int64_t blocks = (M + per - 1) / per;
  const int64_t rows = (M + blocks - 1) / blocks;
  for (int64_t r0 = 0; r0 < M; r0 += rows) {
    const int64_t m = std::min(rows, M - r0);
    const float* ab = ta ? a + r0 : a + r0 * lda;
    kernels::gemm(ta, tb, m, N, K, 1.0f, ab, lda, b, tb ? K : N, beta, c + r0 * N, N);
  }
}

// [B, T, F] <-> per-step feature-major blocks [T][F, B].
void bt_to_steps(const float* src, float* dst, int64_t B, int64_t T, int64_t F) {
  for (int64_t b = 0; b < B; ++b)
    for (int64_t t = 0; t < T; ++t) {
      const float* s = src + (b * T + t) * F;
      float* d = dst + t * F * B + b;
      for (int64_t f = 0; f < F; ++f) d[f * B] = s[f];
    }
}
void steps_to_bt(const float* src, float* dst, int64_t B, int64_t T, int64_t F, bool add) {
  for (int64_t b = 0; b < B; ++b)
    for (int64_t t = 0; t < T; ++t) {
      const float* s = src + t * F * B + b;
      float* d = dst + (b * T + t) * F;
      if (add)
        for (int64_t f = 0; f < F; ++f) d[f] += s[f * B];
      else
        for (int64_t f = 0; f < F; ++f) d[f] = s[f * B];
    }
}
// [R, C] -> [C, R] (optionally adding into dst).
void transpose2(const float* src, float* dst, int64_t R, int64_t C, bool add) {
  for (int64_t r = 0; r < R; ++r)
    for (int64_t c = 0; c < C; ++c) {
      if (add)
        dst[c * R + r] += src[r * C + c];
      else
        dst[c * R + r] = src[r * C + c];
    }
}

// i: kind, B, T, I, H. saved: [0] x per step [T, I, B], [1] gates per step [T, G*H, B] (LSTM:
// activated gates; GRU: (r, z, n, hn) [T, 4H, B]; RNN: h), [2] hs [T+1, H, B], [3] cs [T+1, H, B].
void recurrent_backward(Graph& g, const Node& n) {
  const int64_t kind = n.i[0], B = n.i[1], T = n.i[2], I = n.i[3], H = n.i[4];
  const int64_t G = gates_of(kind), GH = G * H, HB = H * B;
  const int64_t gate_rows = kind == kGru ? 4 * H : GH;
  Arena& ar = g.arena();
  const float* xs = n.saved[0].data;
  const float* gates = n.saved[1].data;
  const float* hs = n.saved[2].data;
  const float* cs = n.saved[3].data;
  const float* w_ih = g.value(n.in[kWih]).data;
  const float* w_hh = g.value(n.in[kWhh]).data;
  const float* gy = g.grad_or_null(n.out[0]);
  const float* ghn = g.grad_or_null(n.out[1]);
  const float* gcn = n.out[2] >= 0 ? g.grad_or_null(n.out[2]) : nullptr;
  float* gw_ih = detail::wants_grad(g, n.in[kWih]) ? g.grad_accum(n.in[kWih]) : nullptr;
  float* gw_hh = detail::wants_grad(g, n.in[kWhh]) ? g.grad_accum(n.in[kWhh]) : nullptr;
  const bool want_bih = n.in[kBih] >= 0 && detail::wants_grad(g, n.in[kBih]);
  const bool want_bhh = n.in[kBhh] >= 0 && detail::wants_grad(g, n.in[kBhh]);
  const bool want_x = detail::wants_grad(g, n.in[kX]);

  float* gys = nullptr;  // [T, H, B]
  if (gy) {
    gys = ar.alloc(T * HB);
    bt_to_steps(gy, gys, B, T, H);
  }
  float* dh = ar.alloc_zeroed(HB);
  if (ghn) transpose2(ghn, dh, B, H, false);
  float* dc = nullptr;
  if (kind == kLstm) {
    dc = ar.alloc_zeroed(HB);
    if (gcn) transpose2(gcn, dc, B, H, false);
  }
  float* dG = ar.alloc(GH * B);                             // w.r.t. the input projection
  float* dHG = kind == kGru ? ar.alloc(GH * B) : nullptr;  // GRU: w.r.t. W_hh h + b_hh
  float* dcp = kind == kLstm ? ar.alloc(HB) : nullptr;
  float* tmp = ar.alloc(HB);
  float* db_ih = ar.alloc_zeroed(GH);  // summed over steps and batch
  float* db_hh = ar.alloc_zeroed(GH);
  float* row = ar.alloc(GH);
  float* dxs = want_x ? ar.alloc(T * I * B) : nullptr;  // [T, I, B]
  for (int64_t t = T - 1; t >= 0; --t) {
    if (gys) kernels::axpy(1.0f, gys + t * HB, dh, HB);
    const float* hprev = hs + t * HB;
    const float* xt = xs + t * I * B;
    if (kind == kLstm) {
      kernels::lstm_cell_backward(gates + t * GH * B, cs + t * HB, cs + (t + 1) * HB, dh, dc, dG, dcp, 1, HB);
      std::swap(dc, dcp);
    } else if (kind == kGru) {
      kernels::gru_cell_backward(gates + t * gate_rows * B, hprev, dh, dG, dHG, tmp, 1, HB);
    } else {
      kernels::rnn_cell_backward(hs + (t + 1) * HB, dh, dG, HB, kind == kRnnRelu);
    }
    const float* dR = kind == kGru ? dHG : dG;  // gradient w.r.t. the recurrent product
    // Weight gradients of this step while dG is in cache: dW_hh += dR h_{t-1}^T, dW_ih += dG x_t^T.
    if (gw_hh) gemm_split(false, GH, H, B, dR, B, hprev, gw_hh, 1.0f, true);
    if (gw_ih) gemm_split(false, GH, I, B, dG, B, xt, gw_ih, 1.0f, true);
    if (want_bih) {
      kernels::reduce_sum(dG, row, GH, B, 1);
      kernels::axpy(1.0f, row, db_ih, GH);
    }
    if (want_bhh) {
      if (kind == kGru || !want_bih) kernels::reduce_sum(dR, row, GH, B, 1);
      kernels::axpy(1.0f, row, db_hh, GH);
    }
    if (dxs) gemm_split(true, I, B, GH, w_ih, I, dG, dxs + t * I * B, 0.0f);  // dx_t = W_ih^T dG
    if (kind == kGru) {
      gemm_split(true, H, B, GH, w_hh, H, dHG, tmp, 1.0f);  // dh_{t-1} = z dh + W_hh^T dHG
      std::swap(dh, tmp);
    } else {
      gemm_split(true, H, B, GH, w_hh, H, dG, dh, 0.0f);  // dh_{t-1} = W_hh^T dG
    }
  }
  if (want_bih) kernels::axpy(1.0f, db_ih, g.grad_accum(n.in[kBih]), GH);
  if (want_bhh) kernels::axpy(1.0f, db_hh, g.grad_accum(n.in[kBhh]), GH);
  if (dxs) steps_to_bt(dxs, g.grad_accum(n.in[kX]), B, T, I, true);
  if (n.in[kH0] >= 0 && detail::wants_grad(g, n.in[kH0])) transpose2(dh, g.grad_accum(n.in[kH0]), H, B, true);
  if (kind == kLstm && n.in[kC0] >= 0 && detail::wants_grad(g, n.in[kC0]))
    transpose2(dc, g.grad_accum(n.in[kC0]), H, B, true);
}

RnnOut recurrent(int64_t kind, Var x, Var h0, Var c0, Var w_ih, Var w_hh, Var b_ih, Var b_hh) {
  Graph& g = detail::graph_of({x, h0, c0, w_ih, w_hh, b_ih, b_hh});
  const char* name = kind == kLstm ? "lstm" : kind == kGru ? "gru" : "rnn";
  ND_CHECK(x.rank() == 3, name, ": input must be [batch, time, features], got ", x.shape().str());
  const int64_t B = x.size(0), T = x.size(1), I = x.size(2), G = gates_of(kind);
  ND_CHECK(w_hh.rank() == 2 && w_hh.size(0) % G == 0, name, ": weight_hh must be [", G, "*hidden, hidden], got ",
           w_hh.shape().str());
  const int64_t H = w_hh.size(1), GH = G * H, HB = H * B;
  ND_CHECK(w_hh.size(0) == GH, name, ": weight_hh ", w_hh.shape().str(), " must be [", G, "*", H, ", ", H, "]");
  ND_CHECK(w_ih.rank() == 2 && w_ih.size(0) == GH && w_ih.size(1) == I, name, ": weight_ih ", w_ih.shape().str(),
           " must be [", GH, ", ", I, "] for input ", x.shape().str());
  for (Var b : {b_ih, b_hh})
    if (b.defined()) ND_CHECK(b.numel() == GH, name, ": bias ", b.shape().str(), " must have ", GH, " elements");
  for (Var s : {h0, c0})
    if (s.defined())
      ND_CHECK(s.numel() == HB, name, ": initial state ", s.shape().str(), " must be [", B, ", ", H, "]");
  ND_CHECK(T >= 1, name, ": empty sequence");

  const Var ins[7] = {x, h0, c0, w_ih, w_hh, b_ih, b_hh};
  const bool rec = g.should_record(ins, 7);
  Arena& ar = g.arena();
  float* xs = ar.alloc(T * I * B);  // per step [I, B]
  bt_to_steps(x.data(), xs, B, T, I);
  // Each step's gates start from the bias block [GH, B]: b_ih (+ b_hh except for GRU, where b_hh
  // sits inside r * (W_hn h + b_hn)).
  float* bias_x = ar.alloc(GH * B);
  float* bias_h = kind == kGru ? ar.alloc(GH * B) : nullptr;
  for (int64_t r = 0; r < GH; ++r) {
    float bx = b_ih.defined() ? b_ih.data()[r] : 0.0f;
    const float bh = b_hh.defined() ? b_hh.data()[r] : 0.0f;
    if (kind == kGru)
      kernels::fill(bh, bias_h + r * B, B);
    else
      bx += bh;
    kernels::fill(bx, bias_x + r * B, B);
  }

  const int64_t gate_rows = kind == kGru ? 4 * H : GH;  // GRU saves (r, z, n, hn)
  float* hs = ar.alloc((T + 1) * HB);
  float* cs = kind == kLstm ? ar.alloc((T + 1) * HB) : nullptr;
  if (h0.defined()) transpose2(h0.data(), hs, B, H, false); else std::memset(hs, 0, sizeof(float) * HB);
  if (cs) {
    if (c0.defined()) transpose2(c0.data(), cs, B, H, false); else std::memset(cs, 0, sizeof(float) * HB);
  }
  float* gates = ar.alloc(T * gate_rows * B);  // kept for backward
  float* step = kind == kGru ? ar.alloc(2 * GH * B) : nullptr;
  // A single series (inference): one GEMM projects every step's input at once, so W_ih is
  // streamed once instead of once per step; per-step products win for real batches.
  const bool project_all = B == 1 && T > 1;
  float* xp = nullptr;  // [GH, T]
  if (project_all) {
    xp = ar.alloc(GH * T);
    kernels::gemm(false, true, GH, T, I, w_ih.data(), xs, xp, 0.0f);  // xs is [T, I] when B == 1
  }
  for (int64_t t = 0; t < T; ++t) {
    const float* hprev = hs + t * HB;
    const float* xt = xs + t * I * B;
    float* hcur = hs + (t + 1) * HB;
    float* gx = kind == kGru ? step : gates + t * GH * B;
    if (project_all) {
      for (int64_t r = 0; r < GH; ++r) gx[r] = bias_x[r] + xp[r * T + t];
    } else {
      std::memcpy(gx, bias_x, sizeof(float) * GH * B);
      gemm_split(false, GH, B, I, w_ih.data(), I, xt, gx, 1.0f);  // + W_ih x_t
    }
    if (kind == kGru) {
      float* hg = step + GH * B;
      std::memcpy(hg, bias_h, sizeof(float) * GH * B);
      gemm_split(false, GH, B, H, w_hh.data(), H, hprev, hg, 1.0f);
      kernels::gru_cell_forward(gx, hg, hprev, hcur, gates + t * gate_rows * B, 1, HB);
      continue;
    }
    gemm_split(false, GH, B, H, w_hh.data(), H, hprev, gx, 1.0f);  // + W_hh h_{t-1}
    if (kind == kLstm) {
      kernels::lstm_cell_forward(gx, cs + t * HB, cs + (t + 1) * HB, hcur, 1, HB);
    } else {
      kernels::rnn_cell_forward(gx, HB, kind == kRnnRelu);
      std::memcpy(hcur, gx, sizeof(float) * HB);
    }
  }
  RnnOut out;
  out.y = g.empty(Shape{B, T, H}, rec);
  steps_to_bt(hs + HB, out.y.data(), B, T, H, false);
  out.h_n = g.empty(Shape{B, H}, rec);
  transpose2(hs + T * HB, out.h_n.data(), H, B, false);
  if (kind == kLstm) {
    out.c_n = g.empty(Shape{B, H}, rec);
    transpose2(cs + T * HB, out.c_n.data(), H, B, false);
  }
  if (rec) {
    const Var outs[3] = {out.y, out.h_n, out.c_n};
    Node& n = g.record(&recurrent_backward, outs, kind == kLstm ? 3 : 2, ins, 7);
    n.i[0] = kind, n.i[1] = B, n.i[2] = T, n.i[3] = I, n.i[4] = H;
    n.saved[0] = Tensor(xs, Shape{T, I, B});
    n.saved[1] = Tensor(gates, Shape{T, gate_rows, B});
    n.saved[2] = Tensor(hs, Shape{T + 1, H, B});
    if (cs) n.saved[3] = Tensor(cs, Shape{T + 1, H, B});
  }
  return out;
}

}  // namespace

RnnOut lstm_layer(Var x, Var h0, Var c0, Var w_ih, Var w_hh, Var b_ih, Var b_hh) {
  return recurrent(kLstm, x, h0, c0, w_ih, w_hh, b_ih, b_hh);
}
RnnOut gru_layer(Var x, Var h0, Var w_ih, Var w_hh, Var b_ih, Var b_hh) {
  return recurrent(kGru, x, h0, Var(), w_ih, w_hh, b_ih, b_hh);
}
RnnOut rnn_layer(Var x, Var h0, Var w_ih, Var w_hh, Var b_ih, Var b_hh, bool relu) {
  return recurrent(relu ? kRnnRelu : kRnnTanh, x, h0, Var(), w_ih, w_hh, b_ih, b_hh);
}

}  // namespace nd::ops
