// Multi-head attention as NeuralForecast's AttentionLayer + FullAttention
// (neuralforecast/common/_modules.py, NF 3.3): query/key/value projections to n_heads heads,
// scaled dot-product attention (the flash op in nd/ops/attention.h), out projection. Parameter
// names are that module's state_dict keys (query_projection.weight, ..., out_projection.bias), so
// NF weights load by name.
#pragma once
#include <memory>

#include "nd/nn/layers.h"
#include "nd/ops/attention.h"

namespace nd::nn {

class AttentionLayer : public Module {
 public:
  // d_keys / d_values per head; 0 => hidden_size / n_heads (NF's default). causal: mask future keys
  // (FullAttention's mask_flag *with* a TriangularCausalMask; note that NF 3.3's SDPA path, taken
  // when output_attention=False, applies no mask when attn_mask is None). dropout: NF's
  // attention_dropout, applied to the probabilities in train() mode only. scale: 0 => 1/sqrt(d_keys).
  AttentionLayer(ParameterStore& s, const std::string& name, int64_t hidden_size, int64_t n_heads,
                 int64_t d_keys = 0, int64_t d_values = 0, bool causal = false, float dropout = 0.0f,
                 float scale = 0.0f, uint64_t seed = 0);

  // queries [B, L, hidden], keys / values [B, S, hidden] -> [B, L, hidden]. key_padding_mask:
  // optional [B, S], nonzero = attend. Each training-mode call draws a fresh dropout seed.
  Var forward(Var queries, Var keys, Var values, const uint8_t* key_padding_mask = nullptr);

  int64_t n_heads() const { return n_heads_; }
  Linear query_projection, key_projection, value_projection, out_projection;

 private:
  int64_t n_heads_, d_keys_, d_values_;
  bool causal_;
  float dropout_, scale_;
  Rng rng_;
};

}  // namespace nd::nn
