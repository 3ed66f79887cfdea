// Recurrent layers. Internally every per-step tensor is feature-major: x_t [I, B], gates_t
// [G*H, B], h_t / c_t [H, B]. The products are then W [G*H, K] @ s [K, B], which BLAS runs about
// twice as fast as the batch-major s [B, K] @ W^T for the small shapes of forecasting models
// (measured with OpenBLAS 0.3.21 at 32 x 512 x 128), and each gate block [H, B] is contiguous, so
// the fused cell kernels see [G, H*B] arrays. Backward runs the steps in reverse and accumulates
// the weight gradients of each step while its gate gradients are still in cache.
//
// Batch elements are independent, so with several threads the batch is cut into one block per
// thread, each running the whole recurrence on its own contiguous state with single-threaded BLAS;
// per-block weight gradients are summed in block order afterwards (deterministic for a given
// thread count).
#include "nd/ops/rnn.h"

#include <algorithm>
#include <cstring>

#include "nd/core/parallel.h"
#include "nd/kernels/gemm.h"
#include "nd/kernels/reduce.h"
#include "nd/kernels/rnn_cells.h"
#include "nd/kernels/transpose.h"
#include "ops/op_util.h"

namespace nd::ops {

namespace {

enum Kind : int64_t { kRnnTanh = 0, kRnnRelu = 1, kLstm = 2, kGru = 3 };
int gates_of(int64_t kind) { return kind == kLstm ? 4 : kind == kGru ? 3 : 1; }

// Node inputs: x, h0, c0, w_ih, w_hh, b_ih, b_hh; outputs y, h_n, c_n.
enum { kX = 0, kH0, kC0, kWih, kWhh, kBih, kBhh };

struct Dims {
  int64_t kind, B, T, I, H, G, GH, rows;  // rows: saved gate rows per step (GRU: 4H for r, z, n, hn)
};
Dims make_dims(int64_t kind, int64_t B, int64_t T, int64_t I, int64_t H) {
  const int64_t G = gates_of(kind);
  return {kind, B, T, I, H, G, G * H, kind == kGru ? 4 * H : G * H};
}

// Batch blocks: one per thread when each gets a worthwhile slice of the batch.
int64_t num_blocks(int64_t B) { return std::max<int64_t>(1, std::min<int64_t>(num_threads(), B / 8)); }
int64_t block_start(int64_t k, int64_t B, int64_t P) { return k * B / P; }

// C[M, N] (+)= op(A) op(B) with M split into row blocks of at most ~1e6 multiply-adds each: small
// products take OpenBLAS's unpacked small-matrix path, which is markedly faster at these sizes.
// Where such blocks would be thinner than kMinSplitRows (large batches: N * K > 1e6 / 16) the
// product is one call: blocks of a few rows re-read all of B per block (one row is a GEMV that
// streams B from L3 once per row of C), and a product that large runs at full rate as a whole.
// tb: B is stored [N, K] (row stride K) and used transposed.
constexpr int64_t kMinSplitRows = 16;
void gemm_split(bool ta, int64_t M, int64_t N, int64_t K, const float* a, int64_t lda, const float* b,
                float* c, float beta, bool tb = false) {
  int64_t per = std::max<int64_t>(1, 1000000 / std::max<int64_t>(N * K, 1));
  if (per < kMinSplitRows) per = std::max<int64_t>(M, 1);  // one block
  const int64_t blocks = (M + per - 1) / per;
  const int64_t rows = (M + blocks - 1) / blocks;
  for (int64_t r0 = 0; r0 < M; r0 += rows) {
    const int64_t m = std::min(rows, M - r0);
    const float* ab = ta ? a + r0 : a + r0 * lda;
    kernels::gemm(ta, tb, m, N, K, 1.0f, ab, lda, b, tb ? K : N, beta, c + r0 * N, N);
  }
}

// Rows [b0, b0 + nb) of a batch-first [B, T, F] array <-> per-step blocks [T][F, nb]: per step, a
// transpose of the [nb, F] rows (row stride T F) into [F, nb].
void bt_to_steps(const float* src, float* dst, int64_t nb, int64_t T, int64_t F) {
  for (int64_t t = 0; t < T; ++t) kernels::transpose(src + t * F, T * F, dst + t * F * nb, nb, nb, F);
}
void steps_to_bt(const float* src, float* dst, int64_t nb, int64_t T, int64_t F, bool add) {
  for (int64_t t = 0; t < T; ++t) kernels::transpose(src + t * F * nb, nb, dst + t * F, T * F, F, nb, add);
}
// [R, C] -> [C, R] (optionally adding into dst).
void transpose2(const float* src, float* dst, int64_t R, int64_t C, bool add) {
  kernels::transpose(src, C, dst, R, R, C, add);
}

// Saved state of one batch block, all feature-major per step.
struct Block {
  int64_t b0, nb;
  float* xs;     // [T, I, nb]
  float* gates;  // [T, rows, nb]
  float* hs;     // [T+1, H, nb]
  float* cs;     // [T+1, H, nb] (LSTM)
};
Block block_view(const Dims& d, float* xs, float* gates, float* hs, float* cs, int64_t b0, int64_t nb) {
  return {b0, nb, xs + d.T * d.I * b0, gates + d.T * d.rows * b0, hs + (d.T + 1) * d.H * b0,
          cs ? cs + (d.T + 1) * d.H * b0 : nullptr};
}

struct Weights {
  const float *w_ih, *w_hh, *b_ih, *b_hh;
};

// Forward scratch of one block: bias blocks and step buffers.
struct FwdScratch {
  float *bias_x, *bias_h, *step, *xp;
};

void forward_block(const Dims& d, const Weights& w, const Block& bk, const FwdScratch& s, const float* x,
                   const float* h0, const float* c0, float* y, float* hn, float* cn) {
  const int64_t nb = bk.nb, H = d.H, GH = d.GH, I = d.I, T = d.T, HB = H * nb;
  bt_to_steps(x + bk.b0 * T * I, bk.xs, nb, T, I);
  // Each step's gates start from the bias block [GH, nb]: b_ih (+ b_hh except for GRU, where b_hh
  // sits inside r * (W_hn h + b_hn)).
  for (int64_t r = 0; r < GH; ++r) {
    float bx = w.b_ih ? w.b_ih[r] : 0.0f;
    const float bh = w.b_hh ? w.b_hh[r] : 0.0f;
    if (d.kind == kGru)
      kernels::fill(bh, s.bias_h + r * nb, nb);
    else
      bx += bh;
    kernels::fill(bx, s.bias_x + r * nb, nb);
  }
  if (h0) transpose2(h0 + bk.b0 * H, bk.hs, nb, H, false); else std::memset(bk.hs, 0, sizeof(float) * HB);
  if (bk.cs) {
    if (c0) transpose2(c0 + bk.b0 * H, bk.cs, nb, H, false); else std::memset(bk.cs, 0, sizeof(float) * HB);
  }
  // A single series (inference): one GEMM projects every step's input at once, so W_ih is
  // streamed once instead of once per step; per-step products win for real batches.
  if (s.xp) kernels::gemm(false, true, GH, T, I, w.w_ih, bk.xs, s.xp, 0.0f);  // xs is [T, I] when nb == 1
  for (int64_t t = 0; t < T; ++t) {
    const float* hprev = bk.hs + t * HB;
    float* hcur = bk.hs + (t + 1) * HB;
    float* gx = d.kind == kGru ? s.step : bk.gates + t * GH * nb;
    if (s.xp) {
      for (int64_t r = 0; r < GH; ++r) gx[r] = s.bias_x[r] + s.xp[r * T + t];
    } else {
      std::memcpy(gx, s.bias_x, sizeof(float) * GH * nb);
      gemm_split(false, GH, nb, I, w.w_ih, I, bk.xs + t * I * nb, gx, 1.0f);  // + W_ih x_t
    }
    if (d.kind == kGru) {
      float* hg = s.step + GH * nb;
      std::memcpy(hg, s.bias_h, sizeof(float) * GH * nb);
      gemm_split(false, GH, nb, H, w.w_hh, H, hprev, hg, 1.0f);
      kernels::gru_cell_forward(gx, hg, hprev, hcur, bk.gates + t * d.rows * nb, 1, HB);
      continue;
    }
    gemm_split(false, GH, nb, H, w.w_hh, H, hprev, gx, 1.0f);  // + W_hh h_{t-1}
    if (d.kind == kLstm) {
      kernels::lstm_cell_forward(gx, bk.cs + t * HB, bk.cs + (t + 1) * HB, hcur, 1, HB);
    } else {
      kernels::rnn_cell_forward(gx, HB, d.kind == kRnnRelu);
      std::memcpy(hcur, gx, sizeof(float) * HB);
    }
  }
  steps_to_bt(bk.hs + HB, y + bk.b0 * T * H, nb, T, H, false);
  transpose2(bk.hs + T * HB, hn + bk.b0 * H, H, nb, false);
  if (cn) transpose2(bk.cs + T * HB, cn + bk.b0 * H, H, nb, false);
}

// Gradient sinks of one block: weight gradients (the parameter buffers themselves with one block,
// per-block scratch otherwise) and batch-indexed input gradients.
struct BwdOut {
  float *gw_ih, *gw_hh, *gb_ih, *gb_hh;  // may be null
  float *gx, *gh0, *gc0;                 // batch-first, may be null
};

// Scratch floats backward_block needs for a block of nb series.
int64_t backward_scratch(const Dims& d, int64_t nb) {
  const int64_t HB = d.H * nb;
  return d.T * HB /*gys*/ + 4 * HB /*dh, dc, dcp, tmp*/ + 2 * d.GH * nb /*dG, dHG*/ + 2 * d.GH /*db rows*/ +
         d.GH /*row*/ + d.T * d.I * nb /*dxs*/;
}

void backward_block(const Dims& d, const Weights& w, const Block& bk, const float* gy,
                    const float* ghn, const float* gcn, const BwdOut& o, float* scratch) {
  const int64_t nb = bk.nb, H = d.H, GH = d.GH, I = d.I, T = d.T, HB = H * nb;
  float* p = scratch;
  auto take = [&](int64_t n) {
    float* r = p;
    p += n;
    return r;
  };
  float* gys = take(T * HB);
  float* dh = take(HB);
  float* dc = take(HB);
  float* dcp = take(HB);
  float* tmp = take(HB);
  float* dG = take(GH * nb);
  float* dHG = take(GH * nb);
  float* db_ih = take(GH);
  float* db_hh = take(GH);
  float* row = take(GH);
  float* dxs = take(T * I * nb);
  if (gy) bt_to_steps(gy + bk.b0 * T * H, gys, nb, T, H);
  std::memset(dh, 0, sizeof(float) * HB);
  std::memset(dc, 0, sizeof(float) * HB);
  if (ghn) transpose2(ghn + bk.b0 * H, dh, nb, H, false);
  if (gcn) transpose2(gcn + bk.b0 * H, dc, nb, H, false);
  std::memset(db_ih, 0, sizeof(float) * GH);
  std::memset(db_hh, 0, sizeof(float) * GH);
  for (int64_t t = T - 1; t >= 0; --t) {
    if (gy) kernels::axpy(1.0f, gys + t * HB, dh, HB);
    const float* hprev = bk.hs + t * HB;
    const float* xt = bk.xs + t * I * nb;
    if (d.kind == kLstm) {
      kernels::lstm_cell_backward(bk.gates + t * GH * nb, bk.cs + t * HB, bk.cs + (t + 1) * HB, dh, dc, dG, dcp, 1,
                                  HB);
      std::swap(dc, dcp);
    } else if (d.kind == kGru) {
      kernels::gru_cell_backward(bk.gates + t * d.rows * nb, hprev, dh, dG, dHG, tmp, 1, HB);
    } else {
      kernels::rnn_cell_backward(bk.hs + (t + 1) * HB, dh, dG, HB, d.kind == kRnnRelu);
    }
    const float* dR = d.kind == kGru ? dHG : dG;  // gradient w.r.t. the recurrent product
    // Weight gradients of this step while dG is in cache: dW_hh += dR h_{t-1}^T, dW_ih += dG x_t^T.
    if (o.gw_hh) gemm_split(false, GH, H, nb, dR, nb, hprev, o.gw_hh, 1.0f, true);
    if (o.gw_ih) gemm_split(false, GH, I, nb, dG, nb, xt, o.gw_ih, 1.0f, true);
    if (o.gb_ih) {
      kernels::reduce_sum(dG, row, GH, nb, 1);
      kernels::axpy(1.0f, row, db_ih, GH);
    }
    if (o.gb_hh) {
      if (d.kind == kGru || !o.gb_ih) kernels::reduce_sum(dR, row, GH, nb, 1);
      kernels::axpy(1.0f, row, db_hh, GH);
    }
    if (o.gx) gemm_split(true, I, nb, GH, w.w_ih, I, dG, dxs + t * I * nb, 0.0f);  // dx_t = W_ih^T dG
    if (d.kind == kGru) {
      gemm_split(true, H, nb, GH, w.w_hh, H, dHG, tmp, 1.0f);  // dh_{t-1} = z dh + W_hh^T dHG
      std::swap(dh, tmp);
    } else {
      gemm_split(true, H, nb, GH, w.w_hh, H, dG, dh, 0.0f);  // dh_{t-1} = W_hh^T dG
    }
  }
  if (o.gb_ih) kernels::axpy(1.0f, db_ih, o.gb_ih, GH);
  if (o.gb_hh) kernels::axpy(1.0f, db_hh, o.gb_hh, GH);
  if (o.gx) steps_to_bt(dxs, o.gx + bk.b0 * T * I, nb, T, I, true);
  if (o.gh0) transpose2(dh, o.gh0 + bk.b0 * H, H, nb, true);
  if (o.gc0) transpose2(dc, o.gc0 + bk.b0 * H, H, nb, true);
}

// i: kind, B, T, I, H, P (blocks). saved: [0] xs, [1] gates, [2] hs, [3] cs, each the blocks'
// feature-major state laid out block after block.
void recurrent_backward(Graph& g, const Node& n) {
  const Dims d = make_dims(n.i[0], n.i[1], n.i[2], n.i[3], n.i[4]);
  const int64_t P = n.i[5];
  Arena& ar = g.arena();
  const Weights w{g.value(n.in[kWih]).data, g.value(n.in[kWhh]).data, nullptr, nullptr};
  const float* gy = g.grad_or_null(n.out[0]);
  const float* ghn = g.grad_or_null(n.out[1]);
  const float* gcn = n.out[2] >= 0 ? g.grad_or_null(n.out[2]) : nullptr;
  auto want = [&](int slot) { return n.in[slot] >= 0 && detail::wants_grad(g, n.in[slot]); };
  BwdOut shared{want(kWih) ? g.grad_accum(n.in[kWih]) : nullptr, want(kWhh) ? g.grad_accum(n.in[kWhh]) : nullptr,
                want(kBih) ? g.grad_accum(n.in[kBih]) : nullptr, want(kBhh) ? g.grad_accum(n.in[kBhh]) : nullptr,
                want(kX) ? g.grad_accum(n.in[kX]) : nullptr, want(kH0) ? g.grad_accum(n.in[kH0]) : nullptr,
                d.kind == kLstm && want(kC0) ? g.grad_accum(n.in[kC0]) : nullptr};
  const int64_t wsize = d.GH * d.I + d.GH * d.H + 2 * d.GH;  // per-block weight-gradient scratch
  const int64_t max_nb = (d.B + P - 1) / P;
  const int64_t per_block = backward_scratch(d, max_nb) + (P > 1 ? wsize : 0);
  float* scratch = ar.alloc(P * per_block);  // all arena work before the parallel region
  parallel_for(P, 1, [&](int64_t k0, int64_t k1) {
    for (int64_t k = k0; k < k1; ++k) {
      const int64_t b0 = block_start(k, d.B, P), nb = block_start(k + 1, d.B, P) - b0;
      const Block bk = block_view(d, n.saved[0].data, n.saved[1].data, n.saved[2].data, n.saved[3].data, b0, nb);
      float* mine = scratch + k * per_block;
      BwdOut o = shared;
      if (P > 1) {  // private weight gradients, reduced below
        float* wg = mine + backward_scratch(d, max_nb);
        std::memset(wg, 0, sizeof(float) * wsize);
        o.gw_ih = shared.gw_ih ? wg : nullptr;
        o.gw_hh = shared.gw_hh ? wg + d.GH * d.I : nullptr;
        o.gb_ih = shared.gb_ih ? wg + d.GH * d.I + d.GH * d.H : nullptr;
        o.gb_hh = shared.gb_hh ? wg + d.GH * d.I + d.GH * d.H + d.GH : nullptr;
      }
      backward_block(d, w, bk, gy, ghn, gcn, o, mine);
    }
  });
  if (P > 1) {
    for (int64_t k = 0; k < P; ++k) {  // fixed order: deterministic
      const float* wg = scratch + k * per_block + backward_scratch(d, max_nb);
      if (shared.gw_ih) kernels::axpy(1.0f, wg, shared.gw_ih, d.GH * d.I);
      if (shared.gw_hh) kernels::axpy(1.0f, wg + d.GH * d.I, shared.gw_hh, d.GH * d.H);
      if (shared.gb_ih) kernels::axpy(1.0f, wg + d.GH * d.I + d.GH * d.H, shared.gb_ih, d.GH);
      if (shared.gb_hh) kernels::axpy(1.0f, wg + d.GH * d.I + d.GH * d.H + d.GH, shared.gb_hh, d.GH);
    }
  }
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
  const Dims d = make_dims(kind, B, T, I, H);
  const int64_t P = num_blocks(B);
  Arena& ar = g.arena();
  // All arena allocations happen here, before any parallel region.
  float* xs = ar.alloc(T * I * B);
  float* gates = ar.alloc(T * d.rows * B);
  float* hs = ar.alloc((T + 1) * HB);
  float* cs = kind == kLstm ? ar.alloc((T + 1) * HB) : nullptr;
  RnnOut out;
  out.y = g.empty(Shape{B, T, H}, rec);
  out.h_n = g.empty(Shape{B, H}, rec);
  if (kind == kLstm) out.c_n = g.empty(Shape{B, H}, rec);
  const int64_t max_nb = (B + P - 1) / P;
  const int64_t scratch_per = 2 * GH * max_nb + 2 * GH * max_nb;  // bias_x, bias_h, step (2 GH nb)
  float* scratch = ar.alloc(P * scratch_per);
  float* xp = (B == 1 && T > 1) ? ar.alloc(GH * T) : nullptr;
  const Weights w{w_ih.data(), w_hh.data(), b_ih.defined() ? b_ih.data() : nullptr,
                  b_hh.defined() ? b_hh.data() : nullptr};
  const float* xd = x.data();
  const float* h0d = h0.defined() ? h0.data() : nullptr;
  const float* c0d = c0.defined() ? c0.data() : nullptr;
  float* cn = kind == kLstm ? out.c_n.data() : nullptr;
  parallel_for(P, 1, [&](int64_t k0, int64_t k1) {
    for (int64_t k = k0; k < k1; ++k) {
      const int64_t b0 = block_start(k, B, P), nb = block_start(k + 1, B, P) - b0;
      float* sc = scratch + k * scratch_per;
      const FwdScratch s{sc, sc + GH * max_nb, sc + 2 * GH * max_nb, xp};
      forward_block(d, w, block_view(d, xs, gates, hs, cs, b0, nb), s, xd, h0d, c0d, out.y.data(),
                    out.h_n.data(), cn);
    }
  });
  if (rec) {
    const Var outs[3] = {out.y, out.h_n, out.c_n};
    Node& n = g.record(&recurrent_backward, outs, kind == kLstm ? 3 : 2, ins, 7);
    n.i[0] = kind, n.i[1] = B, n.i[2] = T, n.i[3] = I, n.i[4] = H, n.i[5] = P;
    n.saved[0] = Tensor(xs, Shape{T * I * B});
    n.saved[1] = Tensor(gates, Shape{T * d.rows * B});
    n.saved[2] = Tensor(hs, Shape{(T + 1) * HB});
    if (cs) n.saved[3] = Tensor(cs, Shape{(T + 1) * HB});
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
