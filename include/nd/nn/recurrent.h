// Multi-layer RNN / LSTM / GRU modules over the fused single-layer ops (batch_first, PyTorch
// parameter names weight_ih_l{k}, weight_hh_l{k}, bias_ih_l{k}, bias_hh_l{k}; init
// U(-1/sqrt(hidden), 1/sqrt(hidden)) as torch.nn.LSTM).
#pragma once
#include <memory>
#include <vector>

#include "nd/nn/layers.h"
#include "nd/ops/rnn.h"

namespace nd::nn {

class Recurrent : public Module {
 public:
  enum class Cell { rnn_tanh, rnn_relu, lstm, gru };
  Recurrent(ParameterStore& s, const std::string& name, Cell cell, int64_t input_size, int64_t hidden_size,
            int64_t num_layers = 1, bool bias = true, float dropout = 0.0f, uint64_t seed = 0);
  // x [B, T, input_size] -> y [B, T, hidden], h_n / c_n [B, hidden] of the last layer.
  // h0 / c0: optional initial states [num_layers, B, hidden] (PyTorch layout).
  ops::RnnOut forward(Var x, Var h0 = Var(), Var c0 = Var());
  int64_t hidden_size() const { return hidden_; }
  int64_t num_layers() const { return static_cast<int64_t>(w_ih_.size()); }

 private:
  Cell cell_;
  int64_t hidden_;
  std::vector<ParamRef> w_ih_, w_hh_, b_ih_, b_hh_;
  std::unique_ptr<Dropout> drop_;
};

class RNN : public Recurrent {
 public:
  RNN(ParameterStore& s, const std::string& name, int64_t input_size, int64_t hidden_size, int64_t num_layers = 1,
      bool relu = false, bool bias = true, float dropout = 0.0f, uint64_t seed = 0)
      : Recurrent(s, name, relu ? Cell::rnn_relu : Cell::rnn_tanh, input_size, hidden_size, num_layers, bias, dropout,
                  seed) {}
};
class LSTM : public Recurrent {
 public:
  LSTM(ParameterStore& s, const std::string& name, int64_t input_size, int64_t hidden_size, int64_t num_layers = 1,
       bool bias = true, float dropout = 0.0f, uint64_t seed = 0)
      : Recurrent(s, name, Cell::lstm, input_size, hidden_size, num_layers, bias, dropout, seed) {}
};
class GRU : public Recurrent {
 public:
  GRU(ParameterStore& s, const std::string& name, int64_t input_size, int64_t hidden_size, int64_t num_layers = 1,
      bool bias = true, float dropout = 0.0f, uint64_t seed = 0)
      : Recurrent(s, name, Cell::gru, input_size, hidden_size, num_layers, bias, dropout, seed) {}
};

}  // namespace nd::nn
