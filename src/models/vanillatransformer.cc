// VanillaTransformer, as NeuralForecast 3.3's models/vanillatransformer.py: the full-attention
// encoder-decoder Transformer (Vaswani et al. 2017) in the form the Informer paper (Zhou et al.
// 2021) used as its baseline. The window is embedded by NF's DataEmbedding (circular kernel-3
// convolution of the values, sinusoidal positions, a bias-free Linear of the future exogenous
// variables as calendar marks when futr_exog_list is given), encoded by encoder_layers
// Transformer layers, and a decoder fed the last label_len = ceil(input_size *
// decoder_input_size_multiplier) values followed by h zeros (embedded the same way, with the
// futr_exog marks of those label_len + h steps) attends to itself and to the encoder output; a
// Linear maps its last h steps to the forecasts (one per loss output). See encdec_transformer.h.
//
// Attention is NF's AttentionLayer + FullAttention on the flash op (nn::AttentionLayer), with
// attention dropout in training. Like NF 3.3 the decoder's self-attention is *not* causal: its
// FullAttention has mask_flag=True, but the SDPA path NF takes (output_attention=False) applies a
// mask only when one is passed, and the model passes x_mask=None, so every decoder position
// attends to every other. We match that behaviour. hist_exog_list / stat_exog_list are refused
// (NF's EXOGENOUS_HIST / STAT are False); categorical exogenous variables are not supported.
#include <memory>

#include "models/encdec_transformer.h"
#include "models/models_internal.h"
#include "nd/nn/attention.h"

namespace nd::models {

namespace {

class FullAttentionLayer : public QKVAttention {
 public:
  FullAttentionLayer(nn::ParameterStore& s, const std::string& name, int64_t d, int64_t heads, float dropout,
                     uint64_t seed)
      : QKVAttention(s, name), layer_(s, name, d, heads, 0, 0, /*causal=*/false, dropout, 0.0f, seed) {
    register_child(&layer_);
  }
  Var forward(Var q, Var k, Var v) override { return layer_.forward(q, k, v); }

 private:
  nn::AttentionLayer layer_;
};

class VanillaTransformerModel : public EncDecTransformer {
 public:
  explicit VanillaTransformerModel(const json& cfg) : EncDecTransformer("VanillaTransformer", cfg) {
    build([&](const std::string& name, AttnRole, uint64_t seed) -> std::unique_ptr<QKVAttention> {
      return std::make_unique<FullAttentionLayer>(store_, name, hidden(), heads(), dropout(), seed);
    }, /*distil=*/false);
  }
};

}  // namespace

ModelInfo vanillatransformer_info() {
  ModelInfo info;
  info.name = "VanillaTransformer";
  info.description = "Encoder-decoder Transformer with full attention, Informer's baseline (Vaswani et al. 2017)";
  info.params = encdec_transformer_params(false);
  info.futr_exog = true;
  info.create = [](const json& cfg) { return std::make_unique<VanillaTransformerModel>(cfg); };
  return info;
}

}  // namespace nd::models
