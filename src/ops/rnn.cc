// Recurrent layers: the input projection for all steps is one GEMM, each step is one GEMM (GEMV
// for a single series) with the recurrent weights plus a fused cell kernel; backward runs the
// steps in reverse and folds the weight gradients of all steps into single GEMMs at the end.
// State is kept time-major ([T, B, ...]) so each step's slice is contiguous.
#include "nd/ops/rnn.h"

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
// i: kind, B, T, I, H.  saved: [0] xt [T, B, I], [1] gates [T, B, G*H] (LSTM: activated;
// GRU: (r, z, n, hn) [T, B, 4H]; RNN: h), [2] hs [T+1, B, H], [3] cs [T+1, B, H] (LSTM).
enum { kX = 0, kH0, kC0, kWih, kWhh, kBih, kBhh };

// out[B, GH] (+)= h[B, H] W_hh^T (W_hh [GH, H])
void recur(const float* h, const float* w_hh, float* out, int64_t B, int64_t GH, int64_t H, float beta) {
  if (B == 1)
    kernels::gemv(false, GH, H, 1.0f, w_hh, h, beta, out);
  else
    kernels::gemm(false, true, B, GH, H, h, w_hh, out, beta);
}

// [B, T, F] <-> [T, B, F]
void swap_bt(const float* src, float* dst, int64_t A, int64_t Bd, int64_t F, bool add) {
  for (int64_t a = 0; a < A; ++a)
    for (int64_t b = 0; b < Bd; ++b) {
      const float* s = src + (a * Bd + b) * F;
      float* d = dst + (b * A + a) * F;
      if (add)
        kernels::axpy(1.0f, s, d, F);
      else
        std::memcpy(d, s, sizeof(float) * F);
    }
}

void bias_grad(Graph& g, int32_t id, const float* dG, int64_t rows, int64_t GH) {
  if (id < 0 || !detail::wants_grad(g, id)) return;
  float* t = g.arena().alloc(GH);
  kernels::reduce_sum(dG, t, 1, rows, GH);
  kernels::axpy(1.0f, t, g.grad_accum(id), GH);
}

void recurrent_backward(Graph& g, const Node& n) {
  const int64_t kind = n.i[0], B = n.i[1], T = n.i[2], I = n.i[3], H = n.i[4];
  const int64_t G = gates_of(kind), GH = G * H, BH = B * H;
  Arena& ar = g.arena();
  const float* xt = n.saved[0].data;
  const float* gates = n.saved[1].data;
  const float* hs = n.saved[2].data;
  const float* cs = n.saved[3].data;
  const float* w_ih = g.value(n.in[kWih]).data;
  const float* w_hh = g.value(n.in[kWhh]).data;
  const float* gy = g.grad_or_null(n.out[0]);
  const float* ghn = g.grad_or_null(n.out[1]);
  const float* gcn = n.out[2] >= 0 ? g.grad_or_null(n.out[2]) : nullptr;

  float* gyt = nullptr;  // [T, B, H]
  if (gy) {
    gyt = ar.alloc(T * BH);
    swap_bt(gy, gyt, B, T, H, false);  // [B, T, H] -> [T, B, H]
  }
  float* dh = ar.alloc_zeroed(BH);
  if (ghn) std::memcpy(dh, ghn, sizeof(float) * BH);
  float* dc = nullptr;
  if (kind == kLstm) {
    dc = ar.alloc_zeroed(BH);
    if (gcn) std::memcpy(dc, gcn, sizeof(float) * BH);
  }
  float* dG = ar.alloc(T * B * GH);                             // w.r.t. input-projection rows
  float* dHG = kind == kGru ? ar.alloc(T * B * GH) : nullptr;  // GRU: w.r.t. h W_hh^T + b_hh
  float* dcp = kind == kLstm ? ar.alloc(BH) : nullptr;
  float* tmp = ar.alloc(BH);
  for (int64_t t = T - 1; t >= 0; --t) {
    if (gyt) kernels::axpy(1.0f, gyt + t * BH, dh, BH);
    float* dGt = dG + t * B * GH;
    const float* hprev = hs + t * BH;
    if (kind == kLstm) {
      kernels::lstm_cell_backward(gates + t * B * GH, cs + t * BH, cs + (t + 1) * BH, dh, dc, dGt, dcp, B, H);
      std::swap(dc, dcp);
      kernels::gemm(false, false, B, H, GH, dGt, w_hh, dh, 0.0f);  // dh_{t-1} = dG W_hh
    } else if (kind == kGru) {
      float* dHGt = dHG + t * B * GH;
      kernels::gru_cell_backward(gates + t * B * 4 * H, hprev, dh, dGt, dHGt, tmp, B, H);
      kernels::gemm(false, false, B, H, GH, dHGt, w_hh, tmp, 1.0f);
      std::swap(dh, tmp);
    } else {
      kernels::rnn_cell_backward(hs + (t + 1) * BH, dh, dGt, BH, kind == kRnnRelu);
      kernels::gemm(false, false, B, H, GH, dGt, w_hh, dh, 0.0f);
    }
  }
  const float* dRec = kind == kGru ? dHG : dG;  // gradient w.r.t. the recurrent products
  if (detail::wants_grad(g, n.in[kWhh]))  // dW_hh += dRec^T [GH, T*B] hs[0:T] [T*B, H]
    kernels::gemm(true, false, GH, H, T * B, dRec, hs, g.grad_accum(n.in[kWhh]), 1.0f);
  if (detail::wants_grad(g, n.in[kWih]))
    kernels::gemm(true, false, GH, I, T * B, dG, xt, g.grad_accum(n.in[kWih]), 1.0f);
  bias_grad(g, n.in[kBih], dG, T * B, GH);
  bias_grad(g, n.in[kBhh], dRec, T * B, GH);
  if (detail::wants_grad(g, n.in[kX])) {
    float* dxt = ar.alloc(T * B * I);
    kernels::gemm(false, false, T * B, I, GH, dG, w_ih, dxt, 0.0f);
    swap_bt(dxt, g.grad_accum(n.in[kX]), T, B, I, true);  // [T, B, I] -> [B, T, I]
  }
  if (n.in[kH0] >= 0 && detail::wants_grad(g, n.in[kH0])) kernels::axpy(1.0f, dh, g.grad_accum(n.in[kH0]), BH);
  if (kind == kLstm && n.in[kC0] >= 0 && detail::wants_grad(g, n.in[kC0]))
    kernels::axpy(1.0f, dc, g.grad_accum(n.in[kC0]), BH);
}

RnnOut recurrent(int64_t kind, Var x, Var h0, Var c0, Var w_ih, Var w_hh, Var b_ih, Var b_hh) {
  Graph& g = detail::graph_of({x, h0, c0, w_ih, w_hh, b_ih, b_hh});
  const char* name = kind == kLstm ? "lstm" : kind == kGru ? "gru" : "rnn";
  ND_CHECK(x.rank() == 3, name, ": input must be [batch, time, features], got ", x.shape().str());
  const int64_t B = x.size(0), T = x.size(1), I = x.size(2), G = gates_of(kind);
  ND_CHECK(w_hh.rank() == 2 && w_hh.size(0) % G == 0, name, ": weight_hh must be [", G, "*hidden, hidden], got ",
           w_hh.shape().str());
  const int64_t H = w_hh.size(1), GH = G * H, BH = B * H;
  ND_CHECK(w_hh.size(0) == GH, name, ": weight_hh ", w_hh.shape().str(), " must be [", G, "*", H, ", ", H, "]");
  ND_CHECK(w_ih.rank() == 2 && w_ih.size(0) == GH && w_ih.size(1) == I, name, ": weight_ih ", w_ih.shape().str(),
           " must be [", GH, ", ", I, "] for input ", x.shape().str());
  for (Var b : {b_ih, b_hh})
    if (b.defined()) ND_CHECK(b.numel() == GH, name, ": bias ", b.shape().str(), " must have ", GH, " elements");
  for (Var s : {h0, c0})
    if (s.defined())
      ND_CHECK(s.numel() == BH, name, ": initial state ", s.shape().str(), " must be [", B, ", ", H, "]");
  ND_CHECK(T >= 1, name, ": empty sequence");

  const Var ins[7] = {x, h0, c0, w_ih, w_hh, b_ih, b_hh};
  const bool rec = g.should_record(ins, 7);
  Arena& ar = g.arena();
  // Time-major input and projection xp[T*B, GH] = xt W_ih^T + b_ih (+ b_hh except for GRU).
  float* xt = ar.alloc(T * B * I);
  swap_bt(x.data(), xt, B, T, I, false);
  const int64_t gate_cols = kind == kGru ? 4 * H : GH;  // GRU saves (r, z, n, hn)
  float* xp = ar.alloc(T * B * GH);
  float* bias = ar.alloc_zeroed(GH);
  if (b_ih.defined()) kernels::axpy(1.0f, b_ih.data(), bias, GH);
  if (b_hh.defined() && kind != kGru) kernels::axpy(1.0f, b_hh.data(), bias, GH);
  for (int64_t r = 0; r < T * B; ++r) std::memcpy(xp + r * GH, bias, sizeof(float) * GH);
  kernels::gemm(false, true, T * B, GH, I, xt, w_ih.data(), xp, 1.0f);

  float* hs = ar.alloc((T + 1) * BH);
  float* cs = kind == kLstm ? ar.alloc((T + 1) * BH) : nullptr;
  if (h0.defined()) std::memcpy(hs, h0.data(), sizeof(float) * BH); else std::memset(hs, 0, sizeof(float) * BH);
  if (cs) {
    if (c0.defined()) std::memcpy(cs, c0.data(), sizeof(float) * BH); else std::memset(cs, 0, sizeof(float) * BH);
  }
  float* saved = kind == kGru ? ar.alloc(T * B * gate_cols) : xp;
  float* hg = kind == kGru ? ar.alloc(B * GH) : nullptr;
  for (int64_t t = 0; t < T; ++t) {
    float* xpt = xp + t * B * GH;
    const float* hprev = hs + t * BH;
    float* hcur = hs + (t + 1) * BH;
    if (kind == kLstm) {
      recur(hprev, w_hh.data(), xpt, B, GH, H, 1.0f);
      kernels::lstm_cell_forward(xpt, cs + t * BH, cs + (t + 1) * BH, hcur, B, H);
    } else if (kind == kGru) {
      for (int64_t b = 0; b < B; ++b) {
        if (b_hh.defined()) std::memcpy(hg + b * GH, b_hh.data(), sizeof(float) * GH);
        else std::memset(hg + b * GH, 0, sizeof(float) * GH);
      }
      recur(hprev, w_hh.data(), hg, B, GH, H, 1.0f);
      kernels::gru_cell_forward(xpt, hg, hprev, hcur, saved + t * B * gate_cols, B, H);
    } else {
      recur(hprev, w_hh.data(), xpt, B, GH, H, 1.0f);
      kernels::rnn_cell_forward(xpt, BH, kind == kRnnRelu);
      std::memcpy(hcur, xpt, sizeof(float) * BH);
    }
  }
  RnnOut out;
  out.y = g.empty(Shape{B, T, H}, rec);
  swap_bt(hs + BH, out.y.data(), T, B, H, false);  // [T, B, H] -> [B, T, H]
  out.h_n = g.alias(Tensor(hs + T * BH, Shape{B, H}), rec);
  if (kind == kLstm) out.c_n = g.alias(Tensor(cs + T * BH, Shape{B, H}), rec);
  if (rec) {
    const Var outs[3] = {out.y, out.h_n, out.c_n};
    Node& n = g.record(&recurrent_backward, outs, kind == kLstm ? 3 : 2, ins, 7);
    n.i[0] = kind, n.i[1] = B, n.i[2] = T, n.i[3] = I, n.i[4] = H;
    n.saved[0] = Tensor(xt, Shape{T, B, I});
    n.saved[1] = Tensor(saved, Shape{T, B, gate_cols});
    n.saved[2] = Tensor(hs, Shape{T + 1, B, H});
    if (cs) n.saved[3] = Tensor(cs, Shape{T + 1, B, H});
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
