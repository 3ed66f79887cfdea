// The Autoformer / FEDformer encoder-decoder (see decomp_transformer.h).
#include "models/decomp_transformer.h"

#include <cmath>

#include "nd/ops/activation.h"
#include "nd/ops/conv.h"
#include "nd/ops/elementwise.h"
#include "nd/ops/linear.h"
#include "nd/ops/reduce.h"
#include "nd/ops/series.h"
#include "nd/ops/shape.h"

namespace nd::models {

namespace {

// A kernel-1 Conv1d without bias over tokens [B, T, C_in]: a Linear with the [C_out, C_in, 1] weight.
Var token_linear(const nn::Conv1d& c, Var x) {
  Graph& g = x.graph();
  Var w = c.store().var(g, c.weight);
  return ops::linear(x, ops::reshape(w, Shape{w.size(0), w.size(1)}));
}

// Conv1d(C_in, C_out, kernel 3, padding 1, padding_mode "circular", no bias) over tokens:
// x [B, T, C_in], w [C_out, C_in, 3] -> [B, T, C_out]. The three circular neighbours of each step
// are gathered into [B, T, 3 * C_in] (tap-major) and multiplied by the matching weight layout.
Var circular_conv3(Var x, Var w) {
  const int64_t B = x.size(0), T = x.size(1), C = x.size(2), O = w.size(0);
  std::vector<int64_t> idx(static_cast<size_t>(3 * T));
  for (int64_t t = 0; t < T; ++t)
    for (int64_t k = 0; k < 3; ++k) idx[t * 3 + k] = ((t - 1 + k) % T + T) % T;
  Var taps = ops::reshape(ops::gather(x, 1, idx), Shape{B, T, 3 * C});
  Var wm = ops::reshape(ops::permute(w, {0, 2, 1}), Shape{O, 3 * C});  // [O, 3, C_in]
  return ops::linear(taps, wm);
}

// NF's my_Layernorm: LayerNorm over channels, then the mean over time removed.
Var seasonal_layernorm(const nn::LayerNorm& ln, Var x) {
  Var xh = ln.forward(x);
  return ops::sub(xh, ops::mean(xh, {1}, true));
}

}  // namespace

CorrelationLayer::CorrelationLayer(nn::ParameterStore& s, const std::string& name, int64_t d, int64_t heads,
                                   std::shared_ptr<InnerCorrelation> inner)
    : inner_(std::move(inner)) {
  const int64_t c = (d / heads) * heads;  // d_keys = d_values = d // n_head
  q_ = std::make_unique<nn::Linear>(s, name + ".query_projection", d, c);
  k_ = std::make_unique<nn::Linear>(s, name + ".key_projection", d, c);
  v_ = std::make_unique<nn::Linear>(s, name + ".value_projection", d, c);
  o_ = std::make_unique<nn::Linear>(s, name + ".out_projection", c, d);
}

Var CorrelationLayer::forward(Var queries, Var keys, Var values) const {
  return o_->forward(inner_->forward(q_->forward(queries), k_->forward(keys), v_->forward(values)));
}

std::vector<HParam> decomp_transformer_params(int64_t n_head) {
  return {
      {"decoder_input_size_multiplier", 0.5, "decoder input (label) length as a fraction of input_size, in (0, 1)"},
      {"hidden_size", 128, "units of the embeddings, encoder and decoder"},
      {"dropout", 0.05, "dropout rate"},
      {"n_head", n_head, "attention heads"},
      {"conv_hidden_size", 32, "channels of the kernel-1 feed-forward convolutions"},
      {"activation", "gelu", "feed-forward activation: relu or gelu"},
      {"encoder_layers", 2, "encoder layers"},
      {"decoder_layers", 1, "decoder layers"},
      {"MovingAvg_window", 25, "moving-average window of the series decomposition (odd)"},
  };
}

DecompTransformer::DecompTransformer(const std::string& name, const json& cfg) : Model(name, cfg) {
  const int64_t L = input_size();
  const double mult = getf("decoder_input_size_multiplier");
  label_len_ = static_cast<int64_t>(std::ceil(L * mult));
  ND_CHECK(label_len_ > 0 && label_len_ < L, name, ": check decoder_input_size_multiplier=", mult,
           ", range (0, 1) (label length ceil(input_size * multiplier) = ", label_len_, ")");
  const std::string a = gets("activation");
  ND_CHECK(a == "relu" || a == "gelu", name, ": check activation=", a, " (relu or gelu)");
  gelu_ = a == "gelu";
  d_ = geti("hidden_size");
  heads_ = geti("n_head");
  ND_CHECK(d_ >= 1 && heads_ >= 1 && d_ >= heads_, name, ": hidden_size (", d_, ") must be >= n_head (", heads_,
           ") >= 1");
  ND_CHECK(geti("conv_hidden_size") >= 1, name, ": conv_hidden_size must be >= 1");
  ND_CHECK(geti("encoder_layers") >= 0 && geti("decoder_layers") >= 0, name, ": layer counts must be >= 0");
  kernel_ = geti("MovingAvg_window");
  ND_CHECK(kernel_ >= 1 && kernel_ % 2 == 1, name, ": MovingAvg_window must be odd (NF's decomposition keeps the "
           "length only then), got ", kernel_);
  const double p = getf("dropout");
  ND_CHECK(p >= 0.0 && p < 1.0, name, ": dropout must be in [0, 1), got ", p);
  ND_CHECK(!getb("exclude_insample_y"), name, ": exclude_insample_y=True is not supported");
}

void DecompTransformer::make_embedding(Embedding& e, const std::string& name, int64_t F, float p, uint64_t seed) {
  // TokenEmbedding's kaiming_normal_(fan_in, leaky_relu): std = sqrt(2 / (1 + 0.01^2)) / sqrt(3).
  const float std = static_cast<float>(std::sqrt(2.0 / (1.0 + 1e-4)) / std::sqrt(3.0));
  e.token = store_.add(name + ".value_embedding.tokenConv.weight", Shape{d_, 1, 3}, nn::ParamInit::Normal(0.0f, std));
  if (F > 0) e.temporal = std::make_unique<nn::Linear>(store_, name + ".temporal_embedding.embed", F, d_, false);
  e.drop = std::make_unique<nn::Dropout>(store_, name + ".dropout", p, seed);
}

void DecompTransformer::build() {
  const int64_t F = static_cast<int64_t>(futr_exog_list().size()), dff = geti("conv_hidden_size");
  const int64_t c_out = n_outputs();
  const float p = static_cast<float>(getf("dropout"));
  uint64_t seed = static_cast<uint64_t>(geti("random_seed")) * 1000003u + 11u;
  make_embedding(enc_emb_, "enc_embedding", F, p, ++seed);
  make_embedding(dec_emb_, "dec_embedding", F, p, ++seed);
  for (int64_t l = 0; l < geti("encoder_layers"); ++l) {
    const std::string n = "encoder.attn_layers." + std::to_string(l) + ".";
    auto ly = std::make_unique<EncLayer>();
    ly->attn = std::make_unique<CorrelationLayer>(store_, n + "attention", d_, heads_, encoder_inner(l));
    ly->conv1 = std::make_unique<nn::Conv1d>(store_, n + "conv1", d_, dff, 1, 1, 0, 1, false);
    ly->conv2 = std::make_unique<nn::Conv1d>(store_, n + "conv2", dff, d_, 1, 1, 0, 1, false);
    ly->drop = std::make_unique<nn::Dropout>(store_, n + "dropout", p, ++seed);
    inners_.push_back(&ly->attn->inner());
    enc_.push_back(std::move(ly));
  }
  enc_norm_ = std::make_unique<nn::LayerNorm>(store_, "encoder.norm.layernorm", d_);
  for (int64_t l = 0; l < geti("decoder_layers"); ++l) {
    const std::string n = "decoder.layers." + std::to_string(l) + ".";
    auto ly = std::make_unique<DecLayer>();
    ly->self_attn = std::make_unique<CorrelationLayer>(store_, n + "self_attention", d_, heads_, decoder_self_inner(l));
    ly->cross_attn =
        std::make_unique<CorrelationLayer>(store_, n + "cross_attention", d_, heads_, decoder_cross_inner(l));
    ly->conv1 = std::make_unique<nn::Conv1d>(store_, n + "conv1", d_, dff, 1, 1, 0, 1, false);
    ly->conv2 = std::make_unique<nn::Conv1d>(store_, n + "conv2", dff, d_, 1, 1, 0, 1, false);
    ly->projection = std::make_unique<nn::Conv1d>(store_, n + "projection", d_, c_out, 3, 1, 1, 1, false);
    ly->drop = std::make_unique<nn::Dropout>(store_, n + "dropout", p, ++seed);
    inners_.push_back(&ly->self_attn->inner());
    inners_.push_back(&ly->cross_attn->inner());
    dec_.push_back(std::move(ly));
  }
  dec_norm_ = std::make_unique<nn::LayerNorm>(store_, "decoder.norm.layernorm", d_);
  dec_proj_ = std::make_unique<nn::Linear>(store_, "decoder.projection", d_, c_out);
}

void DecompTransformer::set_training(bool on) {
  for (Embedding* e : {&enc_emb_, &dec_emb_}) e->drop->train(on);
  for (auto& l : enc_) l->drop->train(on);
  for (auto& l : dec_) l->drop->train(on);
  for (InnerCorrelation* i : inners_) i->train(on);
}

kernels::Act DecompTransformer::act_kind() const { return gelu_ ? kernels::Act::gelu : kernels::Act::relu; }

// x [B, T, C] -> seasonal x - trend; trend (the moving average, replicate-padded) to *trend.
Var DecompTransformer::decomp(Var x, Var* trend) const {
  Var t = ops::moving_average(x, kernel_);
  if (trend != nullptr) *trend = t;
  return ops::sub(x, t);
}

// DataEmbedding(pos_embedding=False): circular value convolution (+ temporal Linear), dropout.
Var DecompTransformer::embed(Embedding& e, Var x, Var mark) {
  Graph& g = x.graph();
  Var out = circular_conv3(x, store_.var(g, e.token));
  if (e.temporal) out = ops::add(out, e.temporal->forward(mark));
  return e.drop->forward(out);
}

Var DecompTransformer::forward(const WindowBatch& w) {
  Graph& g = w.insample_y.graph();
  const int64_t B = w.B, L = input_size(), h = this->h(), T = label_len_ + h;
  ND_CHECK(w.insample_y.rank() == 2 && w.insample_y.size(1) == L, name(), ": expected insample_y [B, ", L,
           "], got ", w.insample_y.shape().str());
  Var y = ops::unsqueeze(w.insample_y, 2);  // [B, L, 1]
  Var mark_enc, mark_dec;
  if (enc_emb_.temporal) {
    ND_CHECK(w.futr_exog.defined() && w.futr_exog.size(1) == L + h, name(), ": futr_exog [B, ", L + h,
             ", F] expected");
    mark_enc = ops::slice(w.futr_exog, 1, 0, L);
    mark_dec = ops::slice(w.futr_exog, 1, L + h - T, L + h);
  }
  // Decoder initialization: the last label_len steps of the decomposed window, then the window
  // mean (trend) and zeros (seasonal) over the horizon.
  Var trend_all;
  Var seasonal_all = decomp(y, &trend_all);
  Var mean = ops::repeat_interleave(ops::mean(y, {1}, true), 1, h);  // [B, h, 1]
  Var trend = ops::concat({ops::slice(trend_all, 1, L - label_len_, L), mean}, 1);
  Var seasonal = ops::concat({ops::slice(seasonal_all, 1, L - label_len_, L), g.full(Shape{B, h, 1}, 0.0f)}, 1);

  Var x = embed(enc_emb_, y, mark_enc);  // [B, L, d]
  for (auto& ly : enc_) {
    x = decomp(ly->drop->forward_add(x, ly->attn->forward(x, x, x)), nullptr);
    Var f = ly->drop->forward_act(token_linear(*ly->conv1, x), act_kind());
    x = decomp(ly->drop->forward_add(x, token_linear(*ly->conv2, f)), nullptr);
  }
  const Var cross = seasonal_layernorm(*enc_norm_, x);

  Var z = embed(dec_emb_, seasonal, mark_dec);  // [B, T, d]
  for (auto& ly : dec_) {
    Var t1, t2, t3;
    z = decomp(ly->drop->forward_add(z, ly->self_attn->forward(z, z, z)), &t1);
    z = decomp(ly->drop->forward_add(z, ly->cross_attn->forward(z, cross, cross)), &t2);
    Var f = ly->drop->forward_act(token_linear(*ly->conv1, z), act_kind());
    z = decomp(ly->drop->forward_add(z, token_linear(*ly->conv2, f)), &t3);
    Var rt = circular_conv3(ops::add(ops::add(t1, t2), t3), store_.var(g, ly->projection->weight));
    trend = ops::add(trend, rt);  // [B, T, c_out] (broadcast from [B, T, 1] on the first layer)
  }
  z = dec_proj_->forward(seasonal_layernorm(*dec_norm_, z));  // [B, T, c_out]
  Var out = ops::add(trend, z);
  return ops::slice(out, 1, label_len_, T);  // [B, h, n_outputs]
}

}  // namespace nd::models
