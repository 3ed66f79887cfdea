// Pieces NeuralForecast's transformer models share (common/_modules.py and models/patchtst.py):
// multi-head self-attention with PyTorch-named projections, the residual-attention score path
// of PatchTST, BatchNorm1d over token channels, and RevIN-style instance statistics.
#pragma once
#include <memory>
#include <string>
#include <vector>

#include "nd/models/model.h"
#include "nd/nn/layers.h"
#include "nd/ops/batch_norm.h"

namespace nd::models {

// State-dict names of the four projections: PatchTST's _MultiheadAttention uses W_Q, W_K, W_V,
// to_out.0; common/_modules.py AttentionLayer uses query_projection, ..., out_projection.
struct AttentionNames {
  std::string q, k, v, out;
};

// Multi-head self-attention over tokens x [B, L, d] -> [B, L, d] with H heads of d / H, through
// ops::token_attention (heads read in place from the projections, scores materialized):
//   plain (scores == nullptr): softmax(q k^T / sqrt(D)) v per head, torch's
//     scaled_dot_product_attention (NF's FullAttention and PatchTST with res_attention=False).
//   residual attention (scores != nullptr; RealFormer, He et al. 2020, as NF's PatchTST
//     _ScaledDotProductAttention with res_attention=True): the pre-softmax scores
//     s = q k^T * scale + prev are handed to the next layer [B * H, L, L]. `*scores` is prev on
//     entry (undefined for the first layer) and s on exit.
// `scale` (PatchTST's sdp_attn.scale, a frozen parameter) is declared when `scale_name` is not
// empty; otherwise 1 / sqrt(D) is used. Attention dropout (train mode) draws a fresh seed per call.
class MultiHeadSelfAttention : public nn::Module {
 public:
  MultiHeadSelfAttention(nn::ParameterStore& s, const std::string& name, int64_t d_model, int64_t n_heads,
                         const AttentionNames& names, const std::string& scale_name, float attn_dropout,
                         uint64_t seed);
  Var forward(Var x, Var* scores = nullptr);

 private:
  int64_t d_, heads_;
  float attn_dropout_;
  uint64_t seed_, calls_ = 0;
  std::unique_ptr<nn::Linear> wq_, wk_, wv_, wo_;
  nn::ParamRef scale_;
};

// torch.nn.BatchNorm1d(C) applied to [..., C] tokens (NF's Transpose(1, 2) / BatchNorm1d /
// Transpose(1, 2) around it): weight, bias trainable; running_mean, running_var saved buffers.
class BatchNorm : public nn::Module {
 public:
  BatchNorm(nn::ParameterStore& s, const std::string& name, int64_t channels);
  Var forward(Var x);  // batch statistics (and a running-statistics update) in train mode

 private:
  nn::ParamRef weight_, bias_, mean_, var_;
};

// Per-row statistics of x [R, L] (no gradient: NF detaches them): loc = mean or the last value,
// scale = sqrt(biased variance + eps). Written to loc[R], scale[R].
void instance_stats(const float* x, int64_t R, int64_t L, bool subtract_last, float eps, float* loc, float* scale);

// ---- NeuralForecast's DataEmbedding (common/_modules.py), for the encoder-decoder transformers ----

// x [..., L] (axis = last) padded circularly with `pad` values on each side (torch's
// padding_mode="circular"): [x[L - pad:], x, x[:pad]]. Needs pad <= L.
Var circular_pad_last(Var x, int64_t pad);

// The sinusoidal PositionalEmbedding table rows 0..L-1 as a constant [1, L, d] (float32 maths as
// torch builds its buffer: pe[t, 2i] = sin(t * exp(2i * -ln(10000) / d)), pe[t, 2i + 1] = cos(...)).
// d must be even (NF's table assignment fails otherwise). Not a parameter: NF's "pe" buffer is
// recomputed, not saved.
Var sinusoidal_positions(Graph& g, int64_t L, int64_t d);

// DataEmbedding(c_in, exog_input_size, hidden_size, pos_embedding, dropout):
//   value_embedding.tokenConv.weight [d, c_in, 3]: Conv1d(kernel 3, circular padding 1, no bias,
//     Kaiming-normal init with torch's leaky_relu gain), over time;
//   position embedding (optional, sinusoidal, no parameters);
//   temporal_embedding.embed.weight [d, exog] (Linear without bias on x_mark, when exog > 0);
//   dropout on the sum.
class DataEmbedding : public nn::Module {
 public:
  DataEmbedding(nn::ParameterStore& s, const std::string& name, int64_t c_in, int64_t exog_size, int64_t hidden_size,
                bool pos_embedding, float dropout, uint64_t seed);
  // x [B, L, c_in], x_mark [B, L, exog] (undefined when exog_size == 0) -> [B, L, hidden_size].
  Var forward(Var x, Var x_mark);

 private:
  int64_t c_in_, exog_, d_;
  bool pos_;
  nn::ParamRef token_w_, temporal_w_;
  std::unique_ptr<nn::Dropout> drop_;
};

}  // namespace nd::models
