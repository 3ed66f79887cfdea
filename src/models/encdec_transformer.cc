// Encoder-decoder skeleton of VanillaTransformer and Informer (see encdec_transformer.h).
#include "models/encdec_transformer.h"

#include <cmath>

#include "nd/ops/activation.h"
#include "nd/ops/conv.h"
#include "nd/ops/elementwise.h"
#include "nd/ops/linear.h"
#include "nd/ops/shape.h"

namespace nd::models {

// TransEncoderLayer: x = norm1(x + dropout(attention(x, x, x))); x = norm2(x + FFN(x)).
struct EncDecTransformer::EncoderLayer {
  std::unique_ptr<QKVAttention> attention;
  std::unique_ptr<nn::Conv1d> conv1, conv2;  // kernel 1: per-token linear maps
  std::unique_ptr<nn::LayerNorm> norm1, norm2;
  std::unique_ptr<nn::Dropout> dropout;
};

// TransDecoderLayer: self-attention, cross-attention on the encoder output, FFN; each added to
// its input and layer-normalized.
struct EncDecTransformer::DecoderLayer {
  std::unique_ptr<QKVAttention> self_attention, cross_attention;
  std::unique_ptr<nn::Conv1d> conv1, conv2;
  std::unique_ptr<nn::LayerNorm> norm1, norm2, norm3;
  std::unique_ptr<nn::Dropout> dropout;
};

// Informer's ConvLayer (distilling): Conv1d(d, d, 3, circular padding 2) over time, BatchNorm1d,
// ELU, MaxPool1d(3, stride 2, padding 1): L -> floor((L + 1) / 2) + 1 tokens.
struct EncDecTransformer::DistilLayer {
  std::unique_ptr<nn::Conv1d> downConv;
  std::unique_ptr<BatchNorm> norm;
};

EncDecTransformer::~EncDecTransformer() = default;

std::vector<HParam> encdec_transformer_params(bool informer) {
  std::vector<HParam> p = common_params({{"max_steps", 5000},
                                         {"learning_rate", 1e-4},
                                         {"windows_batch_size", 1024},
                                         {"inference_windows_batch_size", 1024}});
  p.push_back({"decoder_input_size_multiplier", 0.5,
               "the decoder input starts with the last ceil(input_size * this) values, in (0, 1)"});
  p.push_back({"hidden_size", 128, "units of the embeddings, attention and encoder / decoder layers"});
  p.push_back({"dropout", 0.05, "dropout throughout the model"});
  if (informer) p.push_back({"factor", 3, "ProbSparse attention factor: factor * ceil(ln L) queries / sampled keys"});
  p.push_back({"n_head", 4, "attention heads"});
  p.push_back({"conv_hidden_size", 32, "units of the feed-forward (kernel-1 convolution) layers"});
  p.push_back({"activation", "gelu", "feed-forward activation: relu or gelu"});
  p.push_back({"encoder_layers", 2, "encoder layers"});
  p.push_back({"decoder_layers", 1, "decoder layers"});
  if (informer) p.push_back({"distil", true, "distilling ConvLayer (halves the length) between encoder layers"});
  return p;
}

EncDecTransformer::EncDecTransformer(const std::string& model_name, const json& cfg) : Model(model_name, cfg) {
  const std::string& n = name();
  const int64_t L = input_size();
  const double mult = getf("decoder_input_size_multiplier");
  label_len_ = static_cast<int64_t>(std::ceil(static_cast<double>(L) * mult));
  ND_CHECK(label_len_ > 0 && label_len_ < L, n, ": decoder_input_size_multiplier=", mult,
           " must give 0 < ceil(input_size * decoder_input_size_multiplier) < input_size (range (0, 1)); got ",
           label_len_, " with input_size ", L);
  const std::string act = gets("activation");
  ND_CHECK(act == "relu" || act == "gelu", n, ": activation must be 'relu' or 'gelu', got '", act, "'");
  gelu_ = act == "gelu";
  d_ = geti("hidden_size");
  heads_ = geti("n_head");
  ND_CHECK(d_ >= 2 && d_ % 2 == 0, n, ": hidden_size must be even and >= 2 (sinusoidal position embedding), got ", d_);
  ND_CHECK(heads_ >= 1 && heads_ <= d_, n, ": n_head must be in [1, hidden_size], got ", heads_);
  dff_ = geti("conv_hidden_size");
  ND_CHECK(dff_ >= 0, n, ": conv_hidden_size must be >= 0 (0: 4 * hidden_size, as NF), got ", dff_);
  if (dff_ == 0) dff_ = 4 * d_;  // NF: conv_hidden_size or 4 * hidden_size
  ND_CHECK(geti("encoder_layers") >= 1, n, ": encoder_layers must be >= 1, got ", geti("encoder_layers"));
  ND_CHECK(geti("decoder_layers") >= 0, n, ": decoder_layers must be >= 0, got ", geti("decoder_layers"));
  const double p = getf("dropout");
  ND_CHECK(p >= 0.0 && p < 1.0, n, ": dropout must be in [0, 1), got ", p);
  dropout_ = static_cast<float>(p);
}

void EncDecTransformer::build(const AttentionMaker& make_attention, bool distil) {
  const int64_t F = static_cast<int64_t>(futr_exog_list().size()), d = d_;
  uint64_t seed = static_cast<uint64_t>(geti("random_seed")) * 1000003u + 11u;
  enc_embedding_ = std::make_unique<DataEmbedding>(store_, "enc_embedding", 1, F, d, true, dropout_, ++seed);
  dec_embedding_ = std::make_unique<DataEmbedding>(store_, "dec_embedding", 1, F, d, true, dropout_, ++seed);
  modules_ = {enc_embedding_.get(), dec_embedding_.get()};
  const int64_t E = geti("encoder_layers"), D = geti("decoder_layers");
  for (int64_t l = 0; l < E; ++l) {
    const std::string p = "encoder.attn_layers." + std::to_string(l) + ".";
    auto ly = std::make_unique<EncoderLayer>();
    ly->attention = make_attention(p + "attention", AttnRole::encoder_self, ++seed);
    ly->conv1 = std::make_unique<nn::Conv1d>(store_, p + "conv1", d, dff_, 1);
    ly->conv2 = std::make_unique<nn::Conv1d>(store_, p + "conv2", dff_, d, 1);
    ly->norm1 = std::make_unique<nn::LayerNorm>(store_, p + "norm1", d);
    ly->norm2 = std::make_unique<nn::LayerNorm>(store_, p + "norm2", d);
    ly->dropout = std::make_unique<nn::Dropout>(store_, p + "dropout", dropout_, ++seed);
    modules_.push_back(ly->attention.get());
    modules_.push_back(ly->dropout.get());
    enc_.push_back(std::move(ly));
  }
  if (distil)
    for (int64_t l = 0; l + 1 < E; ++l) {
      const std::string p = "encoder.conv_layers." + std::to_string(l) + ".";
      auto c = std::make_unique<DistilLayer>();
      c->downConv = std::make_unique<nn::Conv1d>(store_, p + "downConv", d, d, 3);
      c->norm = std::make_unique<BatchNorm>(store_, p + "norm", d);
      modules_.push_back(c->norm.get());
      distil_.push_back(std::move(c));
    }
  enc_norm_ = std::make_unique<nn::LayerNorm>(store_, "encoder.norm", d);
  for (int64_t l = 0; l < D; ++l) {
    const std::string p = "decoder.layers." + std::to_string(l) + ".";
    auto ly = std::make_unique<DecoderLayer>();
    ly->self_attention = make_attention(p + "self_attention", AttnRole::decoder_self, ++seed);
    ly->cross_attention = make_attention(p + "cross_attention", AttnRole::decoder_cross, ++seed);
    ly->conv1 = std::make_unique<nn::Conv1d>(store_, p + "conv1", d, dff_, 1);
    ly->conv2 = std::make_unique<nn::Conv1d>(store_, p + "conv2", dff_, d, 1);
    ly->norm1 = std::make_unique<nn::LayerNorm>(store_, p + "norm1", d);
    ly->norm2 = std::make_unique<nn::LayerNorm>(store_, p + "norm2", d);
    ly->norm3 = std::make_unique<nn::LayerNorm>(store_, p + "norm3", d);
    ly->dropout = std::make_unique<nn::Dropout>(store_, p + "dropout", dropout_, ++seed);
    modules_.push_back(ly->self_attention.get());
    modules_.push_back(ly->cross_attention.get());
    modules_.push_back(ly->dropout.get());
    dec_.push_back(std::move(ly));
  }
  dec_norm_ = std::make_unique<nn::LayerNorm>(store_, "decoder.norm", d);
  projection_ = std::make_unique<nn::Linear>(store_, "decoder.projection", d, n_outputs());
}

void EncDecTransformer::set_training(bool on) {
  for (nn::Module* m : modules_) m->train(on);
}

// dropout(conv2(dropout(act(conv1(x))))) on tokens [B, T, d]; the kernel-1 convolutions are
// Linear maps with their [out, in, 1] weights.
Var EncDecTransformer::feed_forward(Var x, nn::Conv1d& c1, nn::Conv1d& c2, nn::Dropout& drop) const {
  auto token_linear = [](const nn::Conv1d& c, Var t) {
    Graph& g = t.graph();
    nn::ParameterStore& s = c.store();
    Var w = s.var(g, c.weight);
    return ops::linear(t, ops::reshape(w, Shape{w.size(0), w.size(1)}), s.var(g, c.bias));
  };
  Var y = token_linear(c1, x);
  y = drop.forward_act(y, gelu_ ? kernels::Act::gelu : kernels::Act::relu);
  return drop.forward(token_linear(c2, y));
}

Var EncDecTransformer::forward(const WindowBatch& w) {
  const int64_t B = w.B, L = input_size(), h = this->h(), T = label_len_ + h;
  ND_CHECK(w.insample_y.rank() == 2 && w.insample_y.size(1) == L, name(), ": expected insample_y [B, ", L, "], got ",
           w.insample_y.shape().str());
  Var y = ops::reshape(w.insample_y, Shape{B, L, 1});
  if (getb("exclude_insample_y")) y = ops::mul(y, 0.0f);  // as BaseModel._parse_windows
  Var mark_enc, mark_dec;
  if (!futr_exog_list().empty()) {
    ND_CHECK(w.futr_exog.defined() && w.futr_exog.rank() == 3 && w.futr_exog.size(1) == L + h, name(),
             ": expected futr_exog [B, ", L + h, ", F]");
    mark_enc = ops::slice(w.futr_exog, 1, 0, L);
    mark_dec = ops::slice(w.futr_exog, 1, L + h - T, L + h);
  }
  // Decoder input: the last label_len values, then h zeros.
  Var x_dec = ops::pad(ops::slice(y, 1, L - label_len_, L), 1, 0, h, 0.0f);

  Var enc = enc_embedding_->forward(y, mark_enc);  // [B, L, d]
  for (size_t l = 0; l < enc_.size(); ++l) {
    EncoderLayer& ly = *enc_[l];
    enc = ly.norm1->forward(ly.dropout->forward_add(enc, ly.attention->forward(enc, enc, enc)));
    enc = ly.norm2->forward(ops::add(enc, feed_forward(enc, *ly.conv1, *ly.conv2, *ly.dropout)));
    if (l < distil_.size()) {
      DistilLayer& c = *distil_[l];
      Graph& g = enc.graph();
      nn::ParameterStore& s = c.downConv->store();
      Var z = circular_pad_last(ops::permute(enc, {0, 2, 1}), 2);  // [B, d, T + 4]
      z = ops::conv1d(z, s.var(g, c.downConv->weight), s.var(g, c.downConv->bias), ops::Conv1dArgs{});
      z = ops::elu(c.norm->forward(ops::permute(z, {0, 2, 1})));  // BatchNorm over channels: [B, T + 2, d]
      z = ops::max_pool1d(ops::permute(z, {0, 2, 1}), 3, 2, 1);   // [B, d, T']
      enc = ops::permute(z, {0, 2, 1});
    }
  }
  enc = enc_norm_->forward(enc);

  Var x = dec_embedding_->forward(x_dec, mark_dec);  // [B, T, d]
  for (auto& lp : dec_) {
    DecoderLayer& ly = *lp;
    x = ly.norm1->forward(ly.dropout->forward_add(x, ly.self_attention->forward(x, x, x)));
    x = ly.norm2->forward(ly.dropout->forward_add(x, ly.cross_attention->forward(x, enc, enc)));
    x = ly.norm3->forward(ops::add(x, feed_forward(x, *ly.conv1, *ly.conv2, *ly.dropout)));
  }
  Var out = projection_->forward(dec_norm_->forward(x));  // [B, T, n_outputs]
  return ops::slice(out, 1, T - h, T);
}

}  // namespace nd::models
