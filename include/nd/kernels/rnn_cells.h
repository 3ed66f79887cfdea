// Fused recurrent cells: the elementwise part of one time step (gate nonlinearities and state
// update) in one pass; the matrix products around them go to BLAS in src/ops/rnn.cc.
// Gate order follows PyTorch: LSTM (i, f, g, o), GRU (r, z, n).
#pragma once
#include <cstdint>

namespace nd::kernels {

// gates: [B, 4H] pre-activations (x W_ih^T + b_ih + h W_hh^T + b_hh); overwritten with the
// activated gates (sigmoid i, f, o; tanh g). c_prev: [B, H]. Writes c, h: [B, H].
// c = f * c_prev + i * g;  h = o * tanh(c).
void lstm_cell_forward(float* gates, const float* c_prev, float* c, float* h, int64_t B, int64_t H);
// gates: activated gates saved by forward. dh: [B, H] gradient w.r.t. h; dc: [B, H] gradient
// flowing into c from step t+1 (null at the last step). Writes dgates: [B, 4H] (w.r.t. the
// pre-activations) and dc_prev: [B, H].
void lstm_cell_backward(const float* gates, const float* c_prev, const float* c, const float* dh, const float* dc,
                        float* dgates, float* dc_prev, int64_t B, int64_t H);

// xg: [B, 3H] = x W_ih^T + b_ih; hg: [B, 3H] = h_prev W_hh^T + b_hh. h_prev, h: [B, H].
// r = s(xr + hr), z = s(xz + hz), n = tanh(xn + r * hn), h = (1 - z) * n + z * h_prev.
// saved: [B, 4H] = (r, z, n, hn) for backward.
void gru_cell_forward(const float* xg, const float* hg, const float* h_prev, float* h, float* saved, int64_t B,
                      int64_t H);
// dh: [B, H]. Writes dxg: [B, 3H] (w.r.t. xg), dhg: [B, 3H] (w.r.t. hg) and dh_prev: [B, H]
// (only the direct z * dh path; the caller adds dhg @ W_hh).
void gru_cell_backward(const float* saved, const float* h_prev, const float* dh, float* dxg, float* dhg,
                       float* dh_prev, int64_t B, int64_t H);

// Elman RNN: a: [B, H] pre-activations overwritten with h = act(a) (tanh or relu).
// Backward: da = dh * act'(h) computed from h.
void rnn_cell_forward(float* a, int64_t n, bool relu);
void rnn_cell_backward(const float* h, const float* dh, float* da, int64_t n, bool relu);

}  // namespace nd::kernels
