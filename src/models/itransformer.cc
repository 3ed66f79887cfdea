// iTransformer (Liu et al. 2024, "iTransformer: Inverted Transformers Are Effective for Time
// Series Forecasting"), as NeuralForecast 3.3's models/itransformer.py. A multivariate model:
// each window holds all n_series series, and every series' whole input window becomes one token
// (Linear input_size -> hidden_size, "inverted" embedding, §3.1), so attention runs across
// variates, not time. Windows are normalized per series (Non-stationary Transformer statistics,
// use_norm), encoded by Transformer layers (NF's TransEncoderLayer: attention, add & LayerNorm,
// two kernel-1 convolutions with GELU, add & LayerNorm; then a final LayerNorm), and each token is
// projected to the h * n_outputs forecasts.
//
// Future exogenous variables (NF 3.3's futr_exog_list) become tokens too: each (series, feature)
// pair's whole window of input_size + h values goes through its own Linear (input_size + h ->
// hidden_size) and dropout, and those N * F tokens join the N series tokens in every attention;
// only the series tokens are projected to forecasts.
//
// Attention is plain full attention over the variate tokens (NF's FullAttention, mask_flag
// False, through torch's scaled_dot_product_attention); factor and d_layers are accepted and
// unused, as in NF.
#include <memory>
#include <vector>

#include "models/models_internal.h"
#include "models/transformer_common.h"
#include "nd/ops/activation.h"
#include "nd/ops/elementwise.h"
#include "nd/ops/linear.h"
#include "nd/ops/shape.h"

namespace nd::models {

namespace {

struct EncLayer {
  std::unique_ptr<MultiHeadSelfAttention> attn;
  std::unique_ptr<nn::Conv1d> conv1, conv2;  // kernel 1: per-token linear maps (weights [out, in, 1])
  std::unique_ptr<nn::LayerNorm> norm1, norm2;
  std::unique_ptr<nn::Dropout> drop;
};

class ITransformerModel : public Model {
 public:
  explicit ITransformerModel(const json& cfg) : Model("iTransformer", cfg) {
    const json& ns = config()["n_series"];
    ND_CHECK(ns.is_number_integer() && ns.get<int64_t>() >= 1, "iTransformer is a multivariate model: set n_series "
             "to the number of series in the data (got ", ns.dump(), ")");
    N_ = ns.get<int64_t>();
    const int64_t L = input_size(), h = this->h(), Q = n_outputs();
    const int64_t d = geti("hidden_size"), heads = geti("n_heads"), dff = geti("d_ff");
    ND_CHECK(d >= 1 && dff >= 1, "iTransformer: hidden_size and d_ff must be >= 1");
    ND_CHECK(heads >= 1 && d % heads == 0, "iTransformer: hidden_size (", d, ") must be divisible by n_heads (",
             heads, ")");
    ND_CHECK(geti("e_layers") >= 1, "iTransformer: e_layers must be >= 1, got ", geti("e_layers"));
    const double p = getf("dropout");
    ND_CHECK(p >= 0.0 && p < 1.0, "iTransformer: dropout must be in [0, 1), got ", p);
    ND_CHECK(!getb("exclude_insample_y"), "iTransformer: exclude_insample_y=True is not supported");
    use_norm_ = getb("use_norm");
    const float drop = static_cast<float>(p);
    uint64_t seed = static_cast<uint64_t>(geti("random_seed")) * 1000003u + 7u;
    embed_ = std::make_unique<nn::Linear>(store_, "enc_embedding.value_embedding", L, d);
    embed_drop_ = std::make_unique<nn::Dropout>(store_, "enc_embedding.dropout", drop, ++seed);
    modules_.push_back(embed_drop_.get());
    F_ = static_cast<int64_t>(futr_exog_list().size());
    if (F_ > 0) {
      futr_embed_ = std::make_unique<nn::Linear>(store_, "futr_embedding", L + h, d);
      futr_drop_ = std::make_unique<nn::Dropout>(store_, "futr_dropout", drop, ++seed);
      modules_.push_back(futr_drop_.get());
    }
    for (int64_t l = 0; l < geti("e_layers"); ++l) {
      const std::string n = "encoder.attn_layers." + std::to_string(l) + ".";
      auto ly = std::make_unique<EncLayer>();
      ly->attn = std::make_unique<MultiHeadSelfAttention>(
          store_, n + "attention", d, heads,
          AttentionNames{"query_projection", "key_projection", "value_projection", "out_projection"}, "", drop,
          ++seed);
      ly->conv1 = std::make_unique<nn::Conv1d>(store_, n + "conv1", d, dff, 1);
      ly->conv2 = std::make_unique<nn::Conv1d>(store_, n + "conv2", dff, d, 1);
      ly->norm1 = std::make_unique<nn::LayerNorm>(store_, n + "norm1", d);
      ly->norm2 = std::make_unique<nn::LayerNorm>(store_, n + "norm2", d);
      ly->drop = std::make_unique<nn::Dropout>(store_, n + "dropout", drop, ++seed);
      modules_.push_back(ly->attn.get());
      modules_.push_back(ly->drop.get());
      layers_.push_back(std::move(ly));
    }
    norm_ = std::make_unique<nn::LayerNorm>(store_, "encoder.norm", d);
    proj_ = std::make_unique<nn::Linear>(store_, "projector", d, h * Q);
  }

  bool multivariate() const override { return true; }
  int64_t n_series() const override { return N_; }

  // insample_y [B, L, N] (futr_exog [B, F, L + h, N] when futr_exog_list is set) -> [B, h, Q * N]
  // (NF's layout: dec_out [B, h * Q, N] reshaped).
  Var forward(const WindowBatch& w) override {
    Graph& g = w.insample_y.graph();
    const int64_t B = w.B, L = input_size(), h = this->h(), Q = n_outputs(), N = N_;
    ND_CHECK(w.insample_y.rank() == 3 && w.insample_y.size(2) == N, "iTransformer: expected insample_y [B, L, ",
             N, "], got ", w.insample_y.shape().str());
    Var x = ops::permute(w.insample_y, {0, 2, 1});  // [B, N, L]: one token per series
    Var loc, scale;
    if (use_norm_) {  // per-series mean and biased std over the window, detached
      float* lp = g.arena().alloc(B * N);
      float* sp = g.arena().alloc(B * N);
      instance_stats(x.data(), B * N, L, false, 1e-5f, lp, sp);
      loc = g.input(Tensor(lp, Shape{B, N, 1}));
      scale = g.input(Tensor(sp, Shape{B, N, 1}));
      x = ops::div(ops::sub(x, loc), scale);
    }
    Var z = embed_drop_->forward(embed_->forward(x));  // [B, N, d]
    if (F_ > 0) {
      ND_CHECK(w.futr_exog.defined() && w.futr_exog.shape() == Shape({B, F_, L + h, N}),
               "iTransformer: expected futr_exog [", B, ", ", F_, ", ", L + h, ", ", N, "], got ",
               w.futr_exog.defined() ? w.futr_exog.shape().str() : std::string("none"));
      // [B, F, L + h, N] -> [B, N, F, L + h] -> [B, N * F, L + h]: one token per (series, feature).
      Var f = ops::reshape(ops::permute(w.futr_exog, {0, 3, 1, 2}), Shape{B, N * F_, L + h});
      z = ops::concat({z, futr_drop_->forward(futr_embed_->forward(f))}, 1);  // [B, N + N * F, d]
    }
    for (auto& ly : layers_) {
      z = ly->norm1->forward(ly->drop->forward_add(z, ly->attn->forward(z)));
      Var y = ly->drop->forward_act(token_linear(*ly->conv1, z), kernels::Act::gelu);  // [B, N, d_ff]
      z = ly->norm2->forward(ly->drop->forward_add(z, token_linear(*ly->conv2, y)));  // [B, N, d]
    }
    if (F_ > 0) z = ops::slice(z, 1, 0, N);  // the series tokens
    Var out = proj_->forward(norm_->forward(z));  // [B, N, h * Q]
    if (use_norm_) out = ops::add(ops::mul(out, scale), loc);
    // NF: permute to [B, h * Q, N], reshape to [B, h, Q * N].
    return ops::reshape(ops::permute(out, {0, 2, 1}), Shape{B, h, Q * N});
  }

  void set_training(bool on) override {
    for (nn::Module* m : modules_) m->train(on);
  }

 private:
  // A kernel-1 Conv1d over tokens [B, T, C_in] is a Linear with the [C_out, C_in, 1] weight.
  static Var token_linear(const nn::Conv1d& c, Var x) {
    Graph& g = x.graph();
    nn::ParameterStore& s = c.store();
    Var w = s.var(g, c.weight);
    return ops::linear(x, ops::reshape(w, Shape{w.size(0), w.size(1)}), s.var(g, c.bias));
  }

  int64_t N_ = 1, F_ = 0;
  bool use_norm_ = true;
  std::unique_ptr<nn::Linear> embed_, proj_, futr_embed_;
  std::unique_ptr<nn::Dropout> embed_drop_, futr_drop_;
  std::vector<std::unique_ptr<EncLayer>> layers_;
  std::unique_ptr<nn::LayerNorm> norm_;
  std::vector<nn::Module*> modules_;
};

}  // namespace

ModelInfo itransformer_info() {
  ModelInfo info;
  info.name = "iTransformer";
  info.description = "Multivariate: each series' window is a token, attention across series (Liu et al. 2024)";
  info.params = common_params({{"windows_batch_size", 32}, {"inference_windows_batch_size", 32}});
  // n_series follows input_size in NF's signature.
  info.params.insert(info.params.begin() + 2, {"n_series", nullptr, "number of series (required: multivariate)"});
  info.params.push_back({"hidden_size", 512, "token (model) dimension"});
  info.params.push_back({"n_heads", 8, "attention heads"});
  info.params.push_back({"e_layers", 2, "encoder layers"});
  info.params.push_back({"d_layers", 1, "decoder layers (unused, as in NF)"});
  info.params.push_back({"d_ff", 2048, "units of the feed-forward (kernel-1 convolution) layers"});
  info.params.push_back({"factor", 1, "attention factor (unused by full attention, as in NF)"});
  info.params.push_back({"dropout", 0.1, "dropout rate"});
  info.params.push_back({"use_norm", true, "normalize each series' window (and restore the forecasts)"});
  info.multivariate = true;
  info.futr_exog = true;
  info.create = [](const json& cfg) { return std::make_unique<ITransformerModel>(cfg); };
  return info;
}

}  // namespace nd::models
