// Single-layer recurrent ops over a whole sequence (one coarse node each): Elman RNN, LSTM, GRU.
// Weights use PyTorch's layout and gate order, so torch.nn.LSTM / GRU / RNN weights load as-is.
#pragma once
#include "nd/autograd/graph.h"

namespace nd::ops {

struct RnnOut {
  Var y;    // [B, T, H] hidden state at every step
  Var h_n;  // [B, H] last hidden state
  Var c_n;  // [B, H] last cell state (LSTM only)
};

// x [B, T, I] (batch first); h0, c0 [B, H] or undefined (zeros); w_ih [4H, I], w_hh [4H, H],
// b_ih, b_hh [4H] (either may be undefined).
RnnOut lstm_layer(Var x, Var h0, Var c0, Var w_ih, Var w_hh, Var b_ih, Var b_hh);
// w_ih [3H, I], w_hh [3H, H], b_ih, b_hh [3H]; gates (r, z, n).
RnnOut gru_layer(Var x, Var h0, Var w_ih, Var w_hh, Var b_ih, Var b_hh);
// h_t = act(x W_ih^T + b_ih + h_{t-1} W_hh^T + b_hh), act = tanh or relu.
RnnOut rnn_layer(Var x, Var h0, Var w_ih, Var w_hh, Var b_ih, Var b_hh, bool relu = false);

}  // namespace nd::ops
