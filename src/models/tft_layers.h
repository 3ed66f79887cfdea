// The building blocks of NeuralForecast 3.3's TFT (models/tft.py), under its module names: GLU,
// gated residual network, variable selection network, stacked LSTM / GRU returning every layer's
// final state, interpretable multi-head attention, continuous embeddings. Used by tft.cc only.
#pragma once
#include <algorithm>
#include <array>
#include <cmath>
#include <limits>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "nd/kernels/activation.h"
#include "nd/kernels/gemm.h"
#include "nd/kernels/softmax.h"
#include "nd/nn/layers.h"
#include "nd/ops/activation.h"
#include "nd/ops/attention.h"
#include "nd/ops/elementwise.h"
#include "nd/ops/linear.h"
#include "nd/ops/reduce.h"
#include "nd/ops/rnn.h"
#include "nd/ops/shape.h"

namespace nd::models::tft {

// GRN activations NeuralForecast's tft.get_activation_fn maps (GLU excluded: it halves the width, which the GRN cannot take).
inline const std::vector<std::string>& grn_activations() {
  static const std::vector<std::string> a = {"ReLU", "Softplus", "Tanh", "SELU", "LeakyReLU", "Sigmoid", "ELU", "GELU"};
  return a;
}

struct Activation {
  kernels::Act act = kernels::Act::elu;
  float alpha = 1.0f;  // F.elu alpha / F.leaky_relu slope
  Var operator()(Var x) const { return ops::activation(x, act, alpha); }
};

inline Activation activation_of(const std::string& name) {
  const auto& ok = grn_activations();
  ND_CHECK(name != "GLU", "TFT: grn_activation 'GLU' is not supported (NeuralForecast's GRN cannot use it: GLU halves "
           "the hidden width); supported: ReLU, Softplus, Tanh, SELU, LeakyReLU, Sigmoid, ELU, GELU");
  ND_CHECK(std::find(ok.begin(), ok.end(), name) != ok.end(), "TFT: grn_activation '", name,
           "' is not one of ReLU, Softplus, Tanh, SELU, LeakyReLU, Sigmoid, ELU, GELU");
  Activation a;
  a.act = kernels::act_from_name(name);
  a.alpha = a.act == kernels::Act::leaky_relu ? 0.01f : 1.0f;
  return a;
}

// Linear(in, 2 * out) followed by F.glu: first half * sigmoid(second half).
class GLU : public nn::Module {
 public:
  GLU(nn::ParameterStore& s, const std::string& name, int64_t in, int64_t out)
      : nn::Module(s, name), lin_(s, child_name("lin"), in, 2 * out) {}
  Var forward(Var x) const { return ops::glu(lin_.forward(x)); }

 private:
  nn::Linear lin_;
};

// Gated residual network (TFT §4.1): LN(skip(a) + GLU(dropout(lin_i(act(lin_a(a) + lin_c(c)))))),
// skip = out_proj when out > 0 (then the output has `out` units; LayerNorm is skipped for out == 1,
// NF's MaybeLayerNorm), else the identity.
class GRN : public nn::Module {
 public:
  GRN(nn::ParameterStore& s, const std::string& name, int64_t in, int64_t hidden, int64_t out, bool context,
      float dropout, Activation act, uint64_t seed)
      : nn::Module(s, name), act_(act) {
    const int64_t width = out > 0 ? out : hidden;
    if (out != 1) ln_ = std::make_unique<nn::LayerNorm>(s, child_name("layer_norm.ln"), width, 1e-3f);
    lin_a_ = std::make_unique<nn::Linear>(s, child_name("lin_a"), in, hidden);
    if (context) lin_c_ = std::make_unique<nn::Linear>(s, child_name("lin_c"), hidden, hidden, false);
    lin_i_ = std::make_unique<nn::Linear>(s, child_name("lin_i"), hidden, hidden);
    glu_ = std::make_unique<GLU>(s, child_name("glu"), hidden, width);
    drop_ = std::make_unique<nn::Dropout>(s, child_name("dropout"), dropout, seed);
    register_child(drop_.get());
    if (out > 0) out_proj_ = std::make_unique<nn::Linear>(s, child_name("out_proj"), in, out);
  }

  // a [B, ..., in], c [B, hidden] (broadcast over time for a of rank 3) or undefined (zeros).
  Var forward(Var a, Var c = Var()) {
    Var x = lin_a_->forward(a);
    if (c.defined()) {
      Var cc = lin_c_->forward(c);
      x = ops::add(x, a.rank() == 3 ? ops::unsqueeze(cc, 1) : cc);
    }
    x = glu_->forward(drop_->forward(lin_i_->forward(act_(x))));
    x = ops::add(x, out_proj_ ? out_proj_->forward(a) : a);
    return ln_ ? ln_->forward(x) : x;
  }

 private:
  Activation act_;
  std::unique_ptr<nn::LayerNorm> ln_;
  std::unique_ptr<nn::Linear> lin_a_, lin_c_, lin_i_, out_proj_;
  std::unique_ptr<GLU> glu_;
  std::unique_ptr<nn::Dropout> drop_;
};

// Variable selection network (TFT §4.2): softmax weights from a GRN over all n embeddings
// (+ context), each embedding through its own GRN, weighted sum.
class VSN : public nn::Module {
 public:
  VSN(nn::ParameterStore& s, const std::string& name, int64_t hidden, int64_t n, float dropout, Activation act,
      uint64_t seed)
      : nn::Module(s, name), n_(n), hidden_(hidden) {
    joint_ = std::make_unique<GRN>(s, child_name("joint_grn"), hidden * n, hidden, n, true, 0.0f, act, seed);
    for (int64_t i = 0; i < n; ++i) {
      vars_.push_back(std::make_unique<GRN>(s, child_name("var_grns." + std::to_string(i)), hidden, hidden, 0, false,
                                            dropout, act, seed + 1 + static_cast<uint64_t>(i)));
      register_child(vars_.back().get());
    }
  }

  // x [..., n, hidden] -> {context [..., hidden], weights [..., n]}.
  // One variable: the softmax over one weight is exactly 1 and passes no gradient back (s (g - s g)
  // = 0), so the joint GRN cannot change the output or any gradient; NF computes it anyway, here
  // it is skipped and the weights are ones. The output is the variable's GRN, bit for bit.
  std::pair<Var, Var> forward(Var x, Var context = Var()) {
    const int r = x.rank();
    if (n_ == 1) {
      std::vector<int64_t> ws = x.shape().vec();
      ws.pop_back();  // [..., 1]
      return {vars_[0]->forward(ops::select(x, r - 2, 0)), x.graph().full(Shape(ws), 1.0f)};
    }
    std::vector<int64_t> flat = x.shape().vec();
    flat.pop_back();
    flat.back() = n_ * hidden_;
    Var w = ops::softmax(joint_->forward(ops::reshape(x, Shape(flat)), context), -1);
    std::vector<Var> outs;
    for (int64_t i = 0; i < n_; ++i) outs.push_back(vars_[static_cast<size_t>(i)]->forward(ops::select(x, r - 2, i)));
    Var stacked = n_ == 1 ? ops::unsqueeze(outs[0], r - 2) : ops::stack(outs, r - 2);  // [..., n, hidden]
    return {ops::sum(ops::mul(stacked, ops::unsqueeze(w, r - 1)), {r - 2}), w};
  }

 private:
  int64_t n_, hidden_;
  std::unique_ptr<GRN> joint_;
  std::vector<std::unique_ptr<GRN>> vars_;
};

// torch.nn.LSTM / GRU (batch_first, num_layers) whose final states of every layer are returned
// (nn::Recurrent returns the last layer's only; the future encoder starts from all of them).
class StackedRnn : public nn::Module {
 public:
  StackedRnn(nn::ParameterStore& s, const std::string& name, bool lstm, int64_t hidden, int64_t layers)
      : nn::Module(s, name), lstm_(lstm) {
    const int64_t G = lstm ? 4 : 3;
    const auto init = nn::ParamInit::Uniform(1.0f / std::sqrt(static_cast<float>(hidden)));
    for (int64_t l = 0; l < layers; ++l) {
      const std::string k = std::to_string(l);
      w_.push_back({declare("weight_ih_l" + k, Shape{G * hidden, hidden}, init),
                    declare("weight_hh_l" + k, Shape{G * hidden, hidden}, init),
                    declare("bias_ih_l" + k, Shape{G * hidden}, init),
                    declare("bias_hh_l" + k, Shape{G * hidden}, init)});
    }
  }
  struct State {
    std::vector<Var> h, c;  // per layer [B, hidden]; empty = zeros
  };
  // x [B, T, hidden] -> y [B, T, hidden], final states.
  Var forward(Var x, const State& s0, State* s1) {
    Graph& g = x.graph();
    s1->h.clear(), s1->c.clear();
    for (size_t l = 0; l < w_.size(); ++l) {
      Var h0 = s0.h.empty() ? Var() : s0.h[l], c0 = s0.c.empty() ? Var() : s0.c[l];
      const auto& w = w_[l];
      ops::RnnOut o = lstm_ ? ops::lstm_layer(x, h0, c0, p(g, w[0]), p(g, w[1]), p(g, w[2]), p(g, w[3]))
                            : ops::gru_layer(x, h0, p(g, w[0]), p(g, w[1]), p(g, w[2]), p(g, w[3]));
      x = o.y;
      s1->h.push_back(o.h_n);
      if (lstm_) s1->c.push_back(o.c_n);
    }
    return x;
  }

 private:
  bool lstm_;
  std::vector<std::array<nn::ParamRef, 4>> w_;
};

// Interpretable multi-head attention (TFT §4.4): per-head queries and keys, one value projection
// shared by the heads, so averaging the heads' outputs equals attending with the heads' mean
// attention; causal mask; out_proj back to hidden.
class InterpretableAttention : public nn::Module {
 public:
  InterpretableAttention(nn::ParameterStore& s, const std::string& name, int64_t hidden, int64_t heads,
                         float attn_dropout, float dropout, uint64_t seed)
      : nn::Module(s, name), heads_(heads), d_(hidden / heads), seed_(seed * 7919u + 3u) {
    qkv_ = std::make_unique<nn::Linear>(s, child_name("qkv_linears"), hidden, (2 * heads + 1) * d_, false);
    out_ = std::make_unique<nn::Linear>(s, child_name("out_proj"), d_, hidden, false);
    attn_drop_ = std::make_unique<nn::Dropout>(s, child_name("attn_dropout"), attn_dropout, seed);
    out_drop_ = std::make_unique<nn::Dropout>(s, child_name("out_dropout"), dropout, seed + 1);
    register_child(attn_drop_.get());
    register_child(out_drop_.get());
  }

  // x [B, T, hidden] -> out [B, T, hidden] through the flash-attention op with v repeated over
  // the heads (mean_h(P_h v) = (mean_h P_h) v, so no [T, T] map is materialized). With
  // `attn_sum` ([T * T], zeros or a running sum), the head-averaged attention probabilities of
  // every window are added to it, recomputed outside the tape one window and head at a time.
  Var forward(Var x, std::vector<double>* attn_sum = nullptr) {
    const int64_t B = x.size(0), T = x.size(1), M = heads_, D = d_;
    const float scale = 1.0f / std::sqrt(static_cast<float>(D));
    Var qkv = qkv_->forward(x);  // [B, T, (2M + 1) D]
    auto heads = [&](Var t) {    // [B, T, M D] -> [B, M, T, D]
      return ops::permute(ops::reshape(t, Shape{B, T, M, D}), {0, 2, 1, 3});
    };
    Var q = heads(ops::slice(qkv, 2, 0, M * D));
    Var k = heads(ops::slice(qkv, 2, M * D, 2 * M * D));
    Var v = ops::slice(qkv, 2, 2 * M * D, (2 * M + 1) * D);  // [B, T, D]
    ops::AttentionOptions o;
    o.causal = true, o.scale = scale, o.training = attn_drop_->is_training();
    o.dropout_p = attn_drop_->p(), o.seed = seed_ + calls_++;
    Var vh = ops::gather(ops::unsqueeze(v, 1), 1, std::vector<int64_t>(M, 0));  // [B, M, T, D]
    Var mixed = ops::mean(ops::scaled_dot_product_attention(q, k, vh, o), {1});  // [B, T, D]
    if (attn_sum) add_probabilities(q.data(), k.data(), B, T, scale, attn_sum);
    return out_drop_->forward(out_->forward(mixed));
  }

 private:
  // attn_sum[i, j] += mean over heads of softmax_j(scale q_i . k_j, j <= i), for each window.
  void add_probabilities(const float* q, const float* k, int64_t B, int64_t T, float scale,
                         std::vector<double>* attn_sum) const {
    const int64_t M = heads_, D = d_;
    if (attn_sum->empty()) attn_sum->assign(static_cast<size_t>(T * T), 0.0);
    std::vector<float> s(static_cast<size_t>(T * T));
    for (int64_t bm = 0; bm < B * M; ++bm) {
      kernels::gemm(false, true, T, T, D, scale, q + bm * T * D, D, k + bm * T * D, D, 0.0f, s.data(), T);
      for (int64_t i = 0; i < T; ++i)
        for (int64_t j = i + 1; j < T; ++j) s[i * T + j] = -std::numeric_limits<float>::infinity();
      kernels::softmax_forward(s.data(), s.data(), T, T);
      for (int64_t e = 0; e < T * T; ++e) (*attn_sum)[static_cast<size_t>(e)] += s[e] / static_cast<double>(M);
    }
  }

  int64_t heads_, d_;
  uint64_t seed_, calls_ = 0;
  std::unique_ptr<nn::Linear> qkv_, out_;
  std::unique_ptr<nn::Dropout> attn_drop_, out_drop_;
};

// x [..., n] * vectors [n, hidden] + bias [n, hidden] -> [..., n, hidden] (TFTEmbedding).
struct ContinuousEmbedding {
  nn::ParamRef vectors, bias;
  Var forward(nn::ParameterStore& s, Var x) const {
    Graph& g = x.graph();
    return ops::add(ops::mul(ops::unsqueeze(x, x.rank()), s.var(g, vectors)), s.var(g, bias));
  }
};

}  // namespace nd::models::tft
