// The encoder-decoder skeleton that NeuralForecast's Autoformer and FEDformer share
// (models/autoformer.py, models/fedformer.py; Wu et al. 2021, Zhou et al. 2022): series
// decomposition by a replicate-padded moving average, DataEmbedding without positions (a circular
// kernel-3 convolution of the values plus a linear map of the future exogenous), encoder layers
// (attention, decomposition, kernel-1 feed-forward, decomposition), decoder layers accumulating
// the trend through a circular kernel-3 projection, and the "my_Layernorm" of the seasonal part.
// The models differ only in the inner mechanism of their AutoCorrelationLayer, supplied by the
// subclass. Names are NF's state_dict keys.
#pragma once
#include <memory>
#include <string>
#include <vector>

#include "models/models_internal.h"
#include "nd/nn/layers.h"

namespace nd::models {

// The mechanism inside an AutoCorrelationLayer: projected queries [B, L, C], keys and values
// [B, S, C] (C = n_head * E, heads contiguous) -> [B, L, C], laid out as NF's
// AutoCorrelationLayer reads it (out.view(B, L, -1)).
class InnerCorrelation {
 public:
  virtual ~InnerCorrelation() = default;
  virtual Var forward(Var q, Var k, Var v) = 0;
  virtual void train(bool on) { training_ = on; }

 protected:
  bool training_ = true;
};

// common/_modules.py AutoCorrelationLayer: query / key / value / out projections around an inner
// mechanism (which may be shared between layers, as FEDformer's Fourier blocks are).
class CorrelationLayer {
 public:
  CorrelationLayer(nn::ParameterStore& s, const std::string& name, int64_t d, int64_t heads,
                   std::shared_ptr<InnerCorrelation> inner);
  Var forward(Var queries, Var keys, Var values) const;
  InnerCorrelation& inner() const { return *inner_; }

 private:
  std::unique_ptr<nn::Linear> q_, k_, v_, o_;
  std::shared_ptr<InnerCorrelation> inner_;
};

// Hyperparameters both models have after the common ones (NF's names and defaults).
std::vector<HParam> decomp_transformer_params(int64_t n_head);

class DecompTransformer : public Model {
 public:
  DecompTransformer(const std::string& name, const json& cfg);
  Var forward(const WindowBatch& w) override;
  void set_training(bool on) override;

 protected:
  // Builds every layer (call at the end of the subclass constructor; the makers below are called
  // in NF's construction order: per encoder layer, then per decoder layer self then cross).
  void build();
  virtual std::shared_ptr<InnerCorrelation> encoder_inner(int64_t layer) = 0;
  virtual std::shared_ptr<InnerCorrelation> decoder_self_inner(int64_t layer) = 0;
  virtual std::shared_ptr<InnerCorrelation> decoder_cross_inner(int64_t layer) = 0;

  int64_t d_ = 0, heads_ = 0, label_len_ = 0;

 private:
  struct Embedding {
    nn::ParamRef token;                   // value_embedding.tokenConv.weight [d, 1, 3]
    std::unique_ptr<nn::Linear> temporal;  // temporal_embedding.embed (no bias), with futr_exog
    std::unique_ptr<nn::Dropout> drop;
  };
  struct EncLayer {
    std::unique_ptr<CorrelationLayer> attn;
    std::unique_ptr<nn::Conv1d> conv1, conv2;
    std::unique_ptr<nn::Dropout> drop;
  };
  struct DecLayer {
    std::unique_ptr<CorrelationLayer> self_attn, cross_attn;
    std::unique_ptr<nn::Conv1d> conv1, conv2, projection;
    std::unique_ptr<nn::Dropout> drop;
  };
  void make_embedding(Embedding& e, const std::string& name, int64_t F, float p, uint64_t seed);
  Var embed(Embedding& e, Var x, Var mark);
  Var decomp(Var x, Var* trend) const;
  kernels::Act act_kind() const;  // the feed-forward activation (gelu or relu)

  int64_t kernel_ = 25;
  bool gelu_ = true;
  Embedding enc_emb_, dec_emb_;
  std::vector<std::unique_ptr<EncLayer>> enc_;
  std::vector<std::unique_ptr<DecLayer>> dec_;
  std::unique_ptr<nn::LayerNorm> enc_norm_, dec_norm_;
  std::unique_ptr<nn::Linear> dec_proj_;
  std::vector<InnerCorrelation*> inners_;
};

}  // namespace nd::models
