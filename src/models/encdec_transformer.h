// The encoder-decoder skeleton NeuralForecast 3.3's VanillaTransformer and Informer share
// (models/vanillatransformer.py, models/informer.py, common/_modules.py TransEncoder /
// TransDecoder): DataEmbedding of the window (and of the decoder input: the last label_len values
// followed by h zeros), encoder layers (optionally with Informer's distilling ConvLayer between
// them) and a final LayerNorm, decoder layers (self-attention, cross-attention on the encoder
// output, feed-forward) with a final LayerNorm and a Linear projection to the loss' outputs; the
// forecast is the decoder's last h steps. The two models differ only in their attention, which
// the derived model supplies.
#pragma once
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "models/transformer_common.h"
#include "nd/core/rng.h"
#include "nd/models/model.h"
#include "nd/nn/layers.h"

namespace nd::models {

// Attention with the signature of NF's AttentionLayer: queries [B, L, d], keys and values
// [B, S, d] -> [B, L, d].
class QKVAttention : public nn::Module {
 public:
  using nn::Module::Module;
  virtual Var forward(Var queries, Var keys, Var values) = 0;
};

enum class AttnRole { encoder_self, decoder_self, decoder_cross };

// The hyperparameters both models add to the common ones (NF's names, defaults and order, up to
// decoder_layers; Informer inserts factor after dropout and appends distil).
std::vector<HParam> encdec_transformer_params(bool informer);

class EncDecTransformer : public Model {
 public:
  // Makes the attention module registered as `name` (e.g. "decoder.layers.0.cross_attention").
  using AttentionMaker = std::function<std::unique_ptr<QKVAttention>(const std::string& name, AttnRole role,
                                                                      uint64_t seed)>;
  EncDecTransformer(const std::string& model_name, const json& cfg);
  ~EncDecTransformer() override;  // out of line: the layer structs are defined in the .cc
  Var forward(const WindowBatch& w) override;
  void set_training(bool on) override;

 protected:
  // Builds every layer; `distil`: Informer's ConvLayer between consecutive encoder layers.
  void build(const AttentionMaker& make_attention, bool distil);
  int64_t hidden() const { return d_; }
  int64_t heads() const { return heads_; }
  float dropout() const { return dropout_; }

 private:
  struct EncoderLayer;
  struct DecoderLayer;
  struct DistilLayer;
  Var feed_forward(Var x, nn::Conv1d& c1, nn::Conv1d& c2, nn::Dropout& drop) const;

  int64_t d_ = 0, heads_ = 0, dff_ = 0, label_len_ = 0;
  float dropout_ = 0.0f;
  bool gelu_ = true;
  std::unique_ptr<DataEmbedding> enc_embedding_, dec_embedding_;
  std::vector<std::unique_ptr<EncoderLayer>> enc_;
  std::vector<std::unique_ptr<DistilLayer>> distil_;
  std::vector<std::unique_ptr<DecoderLayer>> dec_;
  std::unique_ptr<nn::LayerNorm> enc_norm_, dec_norm_;
  std::unique_ptr<nn::Linear> projection_;
  std::vector<nn::Module*> modules_;  // everything whose behaviour depends on train / eval
};

// ---- Informer's ProbSparse attention (defined in informer.cc) ----

// NF's ProbAttention query selection on one (window, head) pair per row block: q [BH, LQ, E],
// k [BH, LK, E] (contiguous), index_sample [LQ, sample_k] key indices shared by all pairs. The
// measurement M(i) = max_s q_i.k_idx(i,s) - sum_s q_i.k_idx(i,s) / LK ranks the queries; returns the
// n_top best of each pair, ascending, [BH, n_top].
std::vector<int64_t> prob_sparse_top_queries(const float* q, const float* k, int64_t BH, int64_t LQ, int64_t LK,
                                             int64_t E, const int64_t* index_sample, int64_t sample_k,
                                             int64_t n_top);

// NF's ProbAttention.forward on q [B, H, LQ, E], k [B, H, LK, E], v [B, H, LK, D] -> [B, H, LQ, D]:
// u = factor * ceil(ln LQ) queries (capped at LQ), chosen with U = factor * ceil(ln LK) sampled keys
// per query (capped at LK), attend to every key (causal: keys j <= i) with scale 1 / sqrt(E); the
// others get mean(V) (causal: the cumulative sum of V up to their position). The key sample is
// drawn from `rng` unless `index_sample` [LQ, U] is given.
Var prob_attention(Var q, Var k, Var v, int64_t factor, bool causal, Rng& rng,
                   const int64_t* index_sample = nullptr);

}  // namespace nd::models
