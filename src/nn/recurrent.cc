// Multi-layer recurrent module: stacks the fused single-layer ops with dropout between layers
// (as torch.nn.LSTM's `dropout` argument).
#include "nd/nn/recurrent.h"

#include <cmath>

#include "nd/ops/shape.h"

namespace nd::nn {

Recurrent::Recurrent(ParameterStore& s, const std::string& name, Cell cell, int64_t input_size, int64_t hidden_size,
                     int64_t num_layers, bool bias, float dropout, uint64_t seed)
    : Module(s, name), cell_(cell), hidden_(hidden_size) {
  ND_CHECK(input_size >= 1 && hidden_size >= 1 && num_layers >= 1, "recurrent layer '", name,
           "': input_size, hidden_size and num_layers must be >= 1 (got ", input_size, ", ", hidden_size, ", ",
           num_layers, ")");
  const int64_t G = cell == Cell::lstm ? 4 : cell == Cell::gru ? 3 : 1;
  const float bound = 1.0f / std::sqrt(static_cast<float>(hidden_size));
  for (int64_t l = 0; l < num_layers; ++l) {
    const std::string k = std::to_string(l);
    const int64_t in = l == 0 ? input_size : hidden_size;
    w_ih_.push_back(declare("weight_ih_l" + k, Shape{G * hidden_size, in}, ParamInit::Uniform(bound)));
    w_hh_.push_back(declare("weight_hh_l" + k, Shape{G * hidden_size, hidden_size}, ParamInit::Uniform(bound)));
    b_ih_.push_back(bias ? declare("bias_ih_l" + k, Shape{G * hidden_size}, ParamInit::Uniform(bound)) : ParamRef{});
    b_hh_.push_back(bias ? declare("bias_hh_l" + k, Shape{G * hidden_size}, ParamInit::Uniform(bound)) : ParamRef{});
  }
  drop_ = std::make_unique<Dropout>(s, child_name("dropout"), dropout, seed);
  register_child(drop_.get());
}

ops::RnnOut Recurrent::forward(Var x, Var h0, Var c0) {
  Graph& g = x.graph();
  const int64_t L = num_layers();
  for (Var s : {h0, c0})
    if (s.defined())
      ND_CHECK(s.rank() == 3 && s.size(0) == L, "recurrent layer '", name(), "': initial state ", s.shape().str(),
               " must be [num_layers=", L, ", batch, hidden]");
  ops::RnnOut out;
  for (int64_t l = 0; l < L; ++l) {
    if (l > 0) x = drop_->forward(out.y);
    Var h = h0.defined() ? ops::select(h0, 0, l) : Var();
    Var c = c0.defined() ? ops::select(c0, 0, l) : Var();
    Var wih = p(g, w_ih_[l]), whh = p(g, w_hh_[l]), bih = p(g, b_ih_[l]), bhh = p(g, b_hh_[l]);
    switch (cell_) {
      case Cell::lstm: out = ops::lstm_layer(x, h, c, wih, whh, bih, bhh); break;
      case Cell::gru: out = ops::gru_layer(x, h, wih, whh, bih, bhh); break;
      case Cell::rnn_tanh: out = ops::rnn_layer(x, h, wih, whh, bih, bhh, false); break;
      case Cell::rnn_relu: out = ops::rnn_layer(x, h, wih, whh, bih, bhh, true); break;
    }
  }
  return out;
}

}  // namespace nd::nn
