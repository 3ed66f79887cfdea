// TFT: the Temporal Fusion Transformer (Lim et al. 2021, "Temporal Fusion Transformers for
// interpretable multi-horizon time series forecasting"), as NeuralForecast 3.3's models/tft.py,
// with its module tree and state_dict names. Every input variable (target, static, historic and
// future exogenous) gets a learned per-variable embedding; variable selection networks (gated
// residual networks + softmax weights) mix them; static covariates give the context vectors
// (selection, enrichment, LSTM initial states); an LSTM (or GRU) encodes the input window and a
// second one continues over the horizon; a gated skip connection, static enrichment, interpretable
// multi-head attention (per-head queries and keys, one value projection shared by the heads, head
// outputs averaged, causal mask), a position-wise GRN and a last gated skip lead to the output
// projection of the h future steps.
//
// Differences from NF: unknown grn_activation names are refused (NF silently falls back to ELU)
// and so is "GLU" (NF's GRN fails on it: GLU halves the width); the attention runs through the
// flash-attention op (never materializing the [L + h, L + h] maps of the batch; same result, its
// own dropout stream), and in inference the attention map is recomputed window by window for the
// record. After inference the model keeps attention and variable-selection weights averaged
// over all windows of the last predict (NF keeps those of the last batch only) with the historic
// variables labelled in their true order (NF names the repeated target of a model without future
// exogenous variables "observed_target" and vice versa).
#include <algorithm>
#include <cctype>
#include <cmath>
#include <memory>
#include <string>
#include <vector>

#include "models/models_internal.h"
#include "models/tft_layers.h"
#include "nd/ops/elementwise.h"
#include "nd/ops/shape.h"

namespace nd::models {

namespace {

using namespace tft;  // NOLINT: the model's own building blocks

class TFTModel : public Model {
 public:
  explicit TFTModel(const json& cfg) : Model("TFT", cfg) {
    const int64_t H = geti("hidden_size"), heads = geti("n_head");
    F_ = static_cast<int64_t>(futr_exog_list().size());
    X_ = static_cast<int64_t>(hist_exog_list().size());
    S_ = static_cast<int64_t>(stat_exog_list().size());
    tgt_ = geti("tgt_size");
    layers_ = geti("n_rnn_layers");
    ND_CHECK(H >= 1, "TFT: hidden_size must be >= 1, got ", H);
    ND_CHECK(heads >= 1 && H % heads == 0, "TFT: hidden_size (", H, ") must be divisible by n_head (", heads, ")");
    ND_CHECK(tgt_ >= 1, "TFT: tgt_size must be >= 1, got ", tgt_);
    ND_CHECK(layers_ >= 1, "TFT: n_rnn_layers must be >= 1, got ", layers_);
    std::string rnn = gets("rnn_type");
    std::transform(rnn.begin(), rnn.end(), rnn.begin(), [](unsigned char c) { return std::tolower(c); });
    ND_CHECK(rnn == "lstm" || rnn == "gru", "TFT: rnn_type must be 'lstm' or 'gru', got '", gets("rnn_type"), "'");
    lstm_ = rnn == "lstm";
    ND_CHECK(!getb("exclude_insample_y"), "TFT: exclude_insample_y=True is not supported (NeuralForecast's TFT always "
             "reads the target's past)");
    for (const char* k : {"dropout", "attn_dropout"}) {
      const double p = getf(k);
      ND_CHECK(p >= 0.0 && p < 1.0, "TFT: ", k, " must be in [0, 1), got ", p);
    }
    const float drop = static_cast<float>(getf("dropout"));
    const Activation act = activation_of(gets("grn_activation"));
    const Activation elu = activation_of("ELU");  // NF's context GRNs keep the default ELU
    uint64_t seed = static_cast<uint64_t>(geti("random_seed")) * 1000003u + 11u;
    nn::ParameterStore& s = store_;

    // TFTEmbedding (xavier_normal_ vectors, zero biases); the future embedding always exists:
    // without future exogenous variables NF feeds the last input value repeated over L + h.
    auto embedding = [&](const std::string& what, int64_t n) {
      const float std = std::sqrt(2.0f / static_cast<float>(n + H));
      return ContinuousEmbedding{s.add("embedding." + what + "_vectors", Shape{n, H}, nn::ParamInit::Normal(0.0f, std)),
                                 s.add("embedding." + what + "_bias", Shape{n, H}, nn::ParamInit::Constant(0.0f))};
    };
    if (S_ > 0) stat_emb_ = embedding("stat_exog_embedding", S_);
    futr_emb_ = embedding("futr_exog_embedding", std::max<int64_t>(F_, 1));
    if (X_ > 0) hist_emb_ = embedding("hist_exog_embedding", X_);
    tgt_emb_ = embedding("tgt_embedding", tgt_);

    if (S_ > 0) {
      static_vsn_ = add(std::make_unique<VSN>(s, "static_encoder.vsn", H, S_, drop, act, seed += 100));
      const int64_t n_states = getb("one_rnn_initial_state") ? 1 : layers_;
      const int64_t n_contexts = 2 + (lstm_ ? 2 : 1) * n_states;
      for (int64_t i = 0; i < n_contexts; ++i)
        context_.push_back(add(std::make_unique<GRN>(s, "static_encoder.context_grns." + std::to_string(i), H, H, 0,
                                                     false, drop, elu, ++seed)));
    }
    const int64_t n_hist = X_ + std::max<int64_t>(F_, 1) + tgt_;
    hist_vsn_ = add(std::make_unique<VSN>(s, "temporal_encoder.history_vsn", H, n_hist, drop, act, seed += 100));
    hist_rnn_ = add(std::make_unique<StackedRnn>(s, "temporal_encoder.history_encoder", lstm_, H, layers_));
    futr_rnn_ = add(std::make_unique<StackedRnn>(s, "temporal_encoder.future_encoder", lstm_, H, layers_));
    futr_vsn_ = add(std::make_unique<VSN>(s, "temporal_encoder.future_vsn", H, std::max<int64_t>(F_, 1), drop, act,
                                          seed += 100));
    input_gate_ = add(std::make_unique<GLU>(s, "temporal_encoder.input_gate", H, H));
    input_ln_ = add(std::make_unique<nn::LayerNorm>(s, "temporal_encoder.input_gate_ln", H, 1e-3f));
    const std::string d = "temporal_fusion_decoder.";
    enrich_ = add(std::make_unique<GRN>(s, d + "enrichment_grn", H, H, 0, true, drop, act, ++seed));
    attn_ = add(std::make_unique<InterpretableAttention>(s, d + "attention", H, heads,
                                                         static_cast<float>(getf("attn_dropout")), drop, seed += 2));
    attn_gate_ = add(std::make_unique<GLU>(s, d + "attention_gate", H, H));
    attn_ln_ = add(std::make_unique<nn::LayerNorm>(s, d + "attention_ln", H, 1e-3f));
    ff_ = add(std::make_unique<GRN>(s, d + "positionwise_grn", H, H, 0, false, drop, act, ++seed));
    dec_gate_ = add(std::make_unique<GLU>(s, d + "decoder_gate", H, H));
    dec_ln_ = add(std::make_unique<nn::LayerNorm>(s, d + "decoder_ln", H, 1e-3f));
    out_ = add(std::make_unique<nn::Linear>(s, "output_adapter", H, n_outputs()));
  }

  // insample_y [B, L], futr_exog [B, L + h, F], hist_exog [B, L, X], stat_exog [B, S] -> [B, h, Q].
  Var forward(const WindowBatch& w) override {
    const int64_t L = input_size(), h = this->h(), T = L + h;
    nn::ParameterStore& s = store_;
    ND_CHECK(w.insample_y.rank() == 2 && w.insample_y.size(1) == L, "TFT: expected insample_y [B, ", L, "], got ",
             w.insample_y.shape().str());
    ND_CHECK(F_ == 0 || w.futr_exog.defined(), "TFT: futr_exog missing");
    ND_CHECK(X_ == 0 || w.hist_exog.defined(), "TFT: hist_exog missing");
    ND_CHECK(S_ == 0 || w.stat_exog.defined(), "TFT: stat_exog missing");
    Var y = ops::unsqueeze(w.insample_y, 2);  // [B, L, 1]
    // No future exogenous variables: NF's stand-in is the last input value over all L + h steps.
    Var futr = F_ > 0 ? w.futr_exog : ops::gather(ops::slice(y, 1, L - 1, L), 1, std::vector<int64_t>(T, 0));

    // Embeddings: [B, L, tgt, H], [B, T, F, H], [B, L, X, H], [B, S, H].
    Var tgt = tgt_emb_.forward(s, y);  // every target embedding reads the one target
    Var k_inp = futr_emb_.forward(s, futr);

    // Static covariate encoder: context vectors for selection (cs), enrichment (ce) and the
    // initial LSTM states (all zeros without static variables, which the GRNs' bias-free lin_c
    // and the RNNs treat as absent).
    Var cs, ce, w_stat;
    StackedRnn::State s0;
    if (S_ > 0) {
      auto [ctx, ws] = static_vsn_->forward(stat_emb_.forward(s, w.stat_exog));  // [B, H], [B, S]
      w_stat = ws;
      cs = context_[0]->forward(ctx);
      ce = context_[1]->forward(ctx);
      const int64_t n_states = (static_cast<int64_t>(context_.size()) - 2) / (lstm_ ? 2 : 1);
      for (int64_t i = 0; i < n_states; ++i) {
        s0.h.push_back(context_[static_cast<size_t>(2 + i)]->forward(ctx));
        if (lstm_) s0.c.push_back(context_[static_cast<size_t>(2 + n_states + i)]->forward(ctx));
      }
      for (int64_t l = 1; n_states == 1 && l < layers_; ++l) {  // one_rnn_initial_state: shared by every layer
        s0.h.push_back(s0.h[0]);
        if (lstm_) s0.c.push_back(s0.c[0]);
      }
    }

    // Temporal covariate encoder. Historic variables: [hist exog | futr exog | target].
    std::vector<Var> hist_parts;
    if (X_ > 0) hist_parts.push_back(hist_emb_.forward(s, w.hist_exog));
    hist_parts.push_back(ops::slice(k_inp, 1, 0, L));
    hist_parts.push_back(tgt);
    auto [hist_feat, w_hist] = hist_vsn_->forward(ops::concat(hist_parts, 2), cs);  // [B, L, H], [B, L, n]
    StackedRnn::State s1, unused;
    Var history = hist_rnn_->forward(hist_feat, s0, &s1);
    auto [futr_feat, w_futr] = futr_vsn_->forward(ops::slice(k_inp, 1, L, T), cs);  // [B, h, H], [B, h, F]
    Var future = futr_rnn_->forward(futr_feat, s1, &unused);
    Var temporal = ops::add(input_gate_->forward(ops::concat({history, future}, 1)),
                            ops::concat({hist_feat, futr_feat}, 1));
    temporal = input_ln_->forward(temporal);  // [B, T, H]

    // Temporal fusion decoder: static enrichment, causal attention, gated skips, position-wise GRN
    // over the h future steps. In inference the weights are added to the record of this predict.
    const bool record = !training_;
    if (record && fresh_record_) {
      windows_ = 0;
      for (auto* v : {&hist_sum_, &futr_sum_, &stat_sum_, &attn_sum_}) v->clear();
      fresh_record_ = false;
    }
    Var enriched = enrich_->forward(temporal, ce);
    Var att = ops::slice(attn_->forward(enriched, record ? &attn_sum_ : nullptr), 1, L, T);
    Var x = attn_ln_->forward(ops::add(attn_gate_->forward(att), ops::slice(enriched, 1, L, T)));
    x = ff_->forward(x);
    x = dec_ln_->forward(ops::add(dec_gate_->forward(x), ops::slice(temporal, 1, L, T)));
    if (record) remember(w_hist, w_futr, w_stat);
    return out_->forward(x);  // [B, h, Q]
  }

  void set_training(bool on) override {
    training_ = on;
    if (on) windows_ = 0;   // training changes the weights: the record would be stale
    fresh_record_ = true;  // the next eval forward starts a new record
    for (nn::Module* m : modules_) m->train(on);
  }

  std::vector<NamedArray> interpretability() const override {
    if (windows_ == 0) return {};
    const int64_t L = input_size(), h = this->h(), T = L + h;
    auto mean = [&](const std::string& name, const std::vector<double>& sum, std::vector<int64_t> shape,
                    std::vector<std::string> labels) {
      NamedArray a{name, std::move(shape), {}, std::move(labels)};
      for (double v : sum) a.values.push_back(static_cast<float>(v / static_cast<double>(windows_)));
      return a;
    };
    std::vector<std::string> hist = hist_exog_list(), futr = futr_exog_list();
    hist.insert(hist.end(), futr.begin(), futr.end());
    if (F_ == 0) hist.push_back("repeated_target");
    for (int64_t t = 0; t < tgt_; ++t)
      hist.push_back(tgt_ > 1 ? "observed_target_" + std::to_string(t + 1) : "observed_target");
    std::vector<NamedArray> out = {mean("attn_wts", attn_sum_, {T, T}, {}),
                                   mean("history_vsn_wgts", hist_sum_, {L, static_cast<int64_t>(hist.size())}, hist),
                                   mean("future_vsn_wgts", futr_sum_, {h, std::max<int64_t>(F_, 1)},
                                        F_ > 0 ? futr : std::vector<std::string>{"repeated_target"})};
    if (S_ > 0) out.push_back(mean("static_encoder_sparse_weights", stat_sum_, {S_}, stat_exog_list()));
    return out;
  }

 private:
  template <typename M>
  M* add(std::unique_ptr<M> m) {
    M* raw = m.get();
    modules_.push_back(raw);
    owned_.push_back(std::move(m));
    return raw;
  }

  // Adds this batch's selection weights (summed over its windows) to the record of the current
  // inference (the attention has been added by the attention layer).
  void remember(Var w_hist, Var w_futr, Var w_stat) {
    auto acc = [](std::vector<double>* sum, Var v) {
      if (!v.defined()) return;
      const int64_t B = v.size(0), n = v.numel() / B;
      if (sum->empty()) sum->assign(static_cast<size_t>(n), 0.0);
      const float* p = v.data();
      for (int64_t b = 0; b < B; ++b)
        for (int64_t i = 0; i < n; ++i) (*sum)[static_cast<size_t>(i)] += p[b * n + i];
    };
    acc(&hist_sum_, w_hist);
    acc(&futr_sum_, w_futr);
    acc(&stat_sum_, w_stat);
    windows_ += w_hist.size(0);
  }

  int64_t F_ = 0, X_ = 0, S_ = 0, tgt_ = 1, layers_ = 1;
  bool lstm_ = true, training_ = true, fresh_record_ = true;
  ContinuousEmbedding stat_emb_, futr_emb_, hist_emb_, tgt_emb_;
  VSN *static_vsn_ = nullptr, *hist_vsn_ = nullptr, *futr_vsn_ = nullptr;
  std::vector<GRN*> context_;
  StackedRnn *hist_rnn_ = nullptr, *futr_rnn_ = nullptr;
  GLU *input_gate_ = nullptr, *attn_gate_ = nullptr, *dec_gate_ = nullptr;
  nn::LayerNorm *input_ln_ = nullptr, *attn_ln_ = nullptr, *dec_ln_ = nullptr;
  GRN *enrich_ = nullptr, *ff_ = nullptr;
  InterpretableAttention* attn_ = nullptr;
  nn::Linear* out_ = nullptr;
  std::vector<nn::Module*> modules_;
  std::vector<std::unique_ptr<nn::Module>> owned_;
  // Record of the last inference: sums over its windows.
  int64_t windows_ = 0;
  std::vector<double> hist_sum_, futr_sum_, stat_sum_, attn_sum_;
};

}  // namespace

ModelInfo tft_info() {
  ModelInfo info;
  info.name = "TFT";
  info.description = "Temporal Fusion Transformer: variable selection, LSTM encoder, interpretable attention "
                     "(Lim et al. 2021)";
  info.params = common_params({{"inference_windows_batch_size", 1024}, {"scaler_type", "robust"}});
  info.params.insert(info.params.begin() + 2, {"tgt_size", 1, "number of target embeddings (NF's tgt_size)"});
  info.params.push_back({"hidden_size", 128, "units of the embeddings, GRNs, LSTMs and attention"});
  info.params.push_back({"n_head", 4, "attention heads (hidden_size must be divisible by it)"});
  info.params.push_back({"attn_dropout", 0.0, "dropout on the attention probabilities"});
  info.params.push_back({"grn_activation", "ELU",
                         "GRN activation: ReLU, Softplus, Tanh, SELU, LeakyReLU, Sigmoid, ELU, GELU"});
  info.params.push_back({"n_rnn_layers", 1, "layers of the encoder and decoder RNNs"});
  info.params.push_back({"rnn_type", "lstm", "encoder / decoder RNN: lstm or gru"});
  info.params.push_back({"one_rnn_initial_state", false,
                         "initialize every RNN layer with the same static context state"});
  info.params.push_back({"dropout", 0.1, "dropout of the GRNs and of the attention output"});
  info.futr_exog = info.hist_exog = info.stat_exog = true;
  info.create = [](const json& cfg) { return std::make_unique<TFTModel>(cfg); };
  return info;
}

}  // namespace nd::models
