// Multi-head self-attention, BatchNorm1d on tokens and instance statistics for the transformer
// models (see transformer_common.h).
#include "models/transformer_common.h"

#include <cmath>

#include "nd/ops/activation.h"
#include "nd/ops/attention.h"
#include "nd/ops/conv.h"
#include "nd/ops/elementwise.h"
#include "nd/ops/linear.h"
#include "nd/ops/shape.h"

namespace nd::models {

MultiHeadSelfAttention::MultiHeadSelfAttention(nn::ParameterStore& s, const std::string& name, int64_t d_model,
                                               int64_t n_heads, const AttentionNames& names,
                                               const std::string& scale_name, float attn_dropout, uint64_t seed)
    : nn::Module(s, name), d_(d_model), heads_(n_heads), attn_dropout_(attn_dropout), seed_(seed) {
  ND_CHECK(n_heads >= 1 && d_model % n_heads == 0, "hidden_size (", d_model, ") must be divisible by n_heads (",
           n_heads, ")");
  wq_ = std::make_unique<nn::Linear>(s, child_name(names.q), d_model, d_model);
  wk_ = std::make_unique<nn::Linear>(s, child_name(names.k), d_model, d_model);
  wv_ = std::make_unique<nn::Linear>(s, child_name(names.v), d_model, d_model);
  wo_ = std::make_unique<nn::Linear>(s, child_name(names.out), d_model, d_model);
  if (!scale_name.empty())
    scale_ = s.add(child_name(scale_name), Shape{},
                   nn::ParamInit::Constant(1.0f / std::sqrt(static_cast<float>(d_model / n_heads))), false);
}

Var MultiHeadSelfAttention::forward(Var x, Var* scores) {
  const int64_t D = d_ / heads_;
  const float scale = scale_.defined() ? *store().value(scale_).data : 1.0f / std::sqrt(static_cast<float>(D));
  // One op on the token-major projections (no head permutes); the [B * H, L, L] scores are
  // materialized, which residual attention needs and short token sequences afford.
  ops::TokenAttentionOptions opt;
  opt.scale = scale;
  if (scores && scores->defined()) opt.prev = *scores;
  opt.return_scores = scores != nullptr;
  opt.dropout_p = attn_dropout_;
  opt.training = is_training();
  if (opt.training && attn_dropout_ > 0.0f) opt.seed = seed_ * 0x9E3779B97F4A7C15ull + ++calls_;
  auto r = ops::token_attention(wq_->forward(x), wk_->forward(x), wv_->forward(x), heads_, opt);
  if (scores) *scores = r.scores;
  return wo_->forward(r.out);
}

BatchNorm::BatchNorm(nn::ParameterStore& s, const std::string& name, int64_t c) : nn::Module(s, name) {
  weight_ = s.add(child_name("weight"), Shape{c}, nn::ParamInit::Constant(1.0f));
  bias_ = s.add(child_name("bias"), Shape{c}, nn::ParamInit::Constant(0.0f));
  mean_ = s.add(child_name("running_mean"), Shape{c}, nn::ParamInit::Constant(0.0f), false);
  var_ = s.add(child_name("running_var"), Shape{c}, nn::ParamInit::Constant(1.0f), false);
}

Var BatchNorm::forward(Var x) {
  Graph& g = x.graph();
  ops::BatchNormState st;
  st.running_mean = store().value(mean_).data;
  st.running_var = store().value(var_).data;
  st.training = is_training();
  return ops::batch_norm(x, p(g, weight_), p(g, bias_), st);
}

void instance_stats(const float* x, int64_t R, int64_t L, bool subtract_last, float eps, float* loc, float* scale) {
  for (int64_t r = 0; r < R; ++r) {
    const float* row = x + r * L;
    double m = 0.0;
    for (int64_t t = 0; t < L; ++t) m += row[t];
    m /= static_cast<double>(L);
    double v = 0.0;
    for (int64_t t = 0; t < L; ++t) v += (row[t] - m) * (row[t] - m);
    v /= static_cast<double>(L);
    loc[r] = subtract_last ? row[L - 1] : static_cast<float>(m);
    scale[r] = std::sqrt(static_cast<float>(v) + eps);
  }
}

// ---- DataEmbedding ----

Var circular_pad_last(Var x, int64_t pad) {
  const int axis = static_cast<int>(x.rank()) - 1;
  const int64_t L = x.size(axis);
  ND_CHECK(pad >= 0 && pad <= L, "circular padding of ", pad, " needs a length >= ", pad, ", got ", L);
  if (pad == 0) return x;
  return ops::concat({ops::slice(x, axis, L - pad, L), x, ops::slice(x, axis, 0, pad)}, axis);
}

Var sinusoidal_positions(Graph& g, int64_t L, int64_t d) {
  ND_CHECK(d % 2 == 0, "the sinusoidal position embedding needs an even hidden_size, got ", d);
  float* pe = g.arena().alloc(L * d);
  const float step = static_cast<float>(-(std::log(10000.0) / static_cast<double>(d)));
  for (int64_t i = 0; i < d; i += 2) {
    const float div = std::exp(static_cast<float>(i) * step);
    for (int64_t t = 0; t < L; ++t) {
      const float a = static_cast<float>(t) * div;
      pe[t * d + i] = std::sin(a);
      pe[t * d + i + 1] = std::cos(a);
    }
  }
  return g.input(Tensor(pe, Shape{1, L, d}));
}

DataEmbedding::DataEmbedding(nn::ParameterStore& s, const std::string& name, int64_t c_in, int64_t exog_size,
                             int64_t hidden_size, bool pos_embedding, float dropout, uint64_t seed)
    : nn::Module(s, name), c_in_(c_in), exog_(exog_size), d_(hidden_size), pos_(pos_embedding) {
  ND_CHECK(c_in >= 1 && hidden_size >= 1 && exog_size >= 0, "DataEmbedding '", name, "': bad sizes");
  // torch.nn.init.kaiming_normal_(mode="fan_in", nonlinearity="leaky_relu"): gain sqrt(2 / (1 + 0.01^2)).
  const float stdv = static_cast<float>(std::sqrt(2.0 / (1.0 + 0.01 * 0.01)) / std::sqrt(3.0 * c_in));
  token_w_ = s.add(child_name("value_embedding.tokenConv.weight"), Shape{hidden_size, c_in, 3},
                   nn::ParamInit::Normal(0.0f, stdv));
  if (exog_size > 0)
    temporal_w_ = s.add(child_name("temporal_embedding.embed.weight"), Shape{hidden_size, exog_size},
                        nn::ParamInit::Uniform(1.0f / std::sqrt(static_cast<float>(exog_size))));
  drop_ = std::make_unique<nn::Dropout>(s, child_name("dropout"), dropout, seed);
  register_child(drop_.get());
}

Var DataEmbedding::forward(Var x, Var x_mark) {
  Graph& g = x.graph();
  ND_CHECK(x.rank() == 3 && x.size(2) == c_in_, "DataEmbedding '", name(), "': expected [B, L, ", c_in_, "], got ",
           x.shape().str());
  const int64_t L = x.size(1);
  Var z = ops::conv1d(circular_pad_last(ops::permute(x, {0, 2, 1}), 1), p(g, token_w_), Var(), ops::Conv1dArgs{});
  z = ops::permute(z, {0, 2, 1});  // [B, L, d]
  if (pos_) z = ops::add(z, sinusoidal_positions(g, L, d_));
  if (exog_ > 0) {
    ND_CHECK(x_mark.defined() && x_mark.rank() == 3 && x_mark.size(1) == L && x_mark.size(2) == exog_,
             "DataEmbedding '", name(), "': expected x_mark [B, ", L, ", ", exog_, "]");
    z = ops::add(z, ops::linear(x_mark, p(g, temporal_w_)));
  }
  return drop_->forward(z);
}

}  // namespace nd::models
