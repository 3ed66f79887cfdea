// Multi-head self-attention, BatchNorm1d on tokens and instance statistics for the transformer
// models (see transformer_common.h).
#include "models/transformer_common.h"

#include <cmath>

#include "nd/ops/activation.h"
#include "nd/ops/attention.h"
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

}  // namespace nd::models
