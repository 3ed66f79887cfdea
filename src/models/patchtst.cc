// PatchTST (Nie et al. 2023, "A Time Series is Worth 64 Words: Long-term Forecasting with
// Transformers"), as NeuralForecast 3.3's models/patchtst.py. Each window (one channel: NF's
// PatchTST is univariate, c_in = 1, which is channel independence) is normalized by RevIN
// (Kim et al. 2022), padded at the end with `stride` copies of its last value and cut into
// overlapping patches of patch_len (§3.1); every patch is a token (Linear patch_len -> hidden,
// plus a learnable position embedding), a Transformer encoder with BatchNorm (NF's fixed
// norm="BatchNorm") mixes the tokens, and a flatten head maps all of them to the h outputs,
// which RevIN maps back.
//
// Attention: NF's default res_attention=True (RealFormer residual attention) adds each layer's
// pre-softmax scores to the next layer's, so the [B, H, P, P] scores must exist; that path is
// composed (bmm -> softmax -> bmm) as NF computes it. res_attention=False is plain scaled
// dot-product attention (NF calls torch's F.scaled_dot_product_attention).
//
// Fixed as NF fixes them: padding_patch="end", pe="zeros" (U(-0.02, 0.02) init), d_k = d_v =
// hidden / heads, head_type="flatten", individual=False, no masks. fc_dropout only feeds NF's
// pretrain head, which PatchTST never builds: accepted and unused, as in NF.
#include <algorithm>
#include <cctype>
#include <memory>
#include <vector>

#include "models/models_internal.h"
#include "models/transformer_common.h"
#include "nd/ops/activation.h"
#include "nd/ops/elementwise.h"
#include "nd/ops/shape.h"

namespace nd::models {

namespace {

// TSTEncoderLayer: [attention, add, norm] then [feed-forward, add, norm] (post-norm), or the
// norms first (pre_norm = batch_normalization).
struct TSTLayer {
  std::unique_ptr<MultiHeadSelfAttention> attn;
  std::unique_ptr<nn::Dropout> proj_drop, drop_attn, ff_drop, drop_ffn;
  std::unique_ptr<BatchNorm> norm_attn, norm_ffn;
  std::unique_ptr<nn::Linear> ff0, ff3;
};

class PatchTSTModel : public Model {
 public:
  explicit PatchTSTModel(const json& cfg) : Model("PatchTST", cfg) {
    const int64_t L = input_size(), h = this->h(), Q = n_outputs();
    const int64_t d = geti("hidden_size"), heads = geti("n_heads"), ff = geti("linear_hidden_size");
    stride_ = geti("stride");
    ND_CHECK(stride_ >= 1, "PatchTST: stride must be >= 1, got ", stride_);
    ND_CHECK(geti("patch_len") >= 1, "PatchTST: patch_len must be >= 1, got ", geti("patch_len"));
    patch_len_ = std::min(L + stride_, geti("patch_len"));  // NF: patch_len = min(input_size + stride, patch_len)
    // NF sizes W_pos with int((L - patch_len) / stride + 1) + 1 patches, which is what unfold
    // makes of the end-padded window since patch_len <= L + stride.
    P_ = (L + stride_ - patch_len_) / stride_ + 1;
    ND_CHECK(geti("encoder_layers") >= 1, "PatchTST: encoder_layers must be >= 1, got ", geti("encoder_layers"));
    ND_CHECK(d >= 1 && ff >= 1, "PatchTST: hidden_size and linear_hidden_size must be >= 1");
    ND_CHECK(heads >= 1 && d % heads == 0, "PatchTST: hidden_size (", d, ") must be divisible by n_heads (", heads, ")");
    const std::string act = lower(gets("activation"));
    ND_CHECK(act == "gelu" || act == "relu", "PatchTST: activation '", gets("activation"),
             "' is not available; use 'relu' or 'gelu'");
    act_ = act == "gelu" ? kernels::Act::gelu : kernels::Act::relu;
    for (const char* k : {"dropout", "fc_dropout", "head_dropout", "attn_dropout"})
      ND_CHECK(getf(k) >= 0.0 && getf(k) < 1.0, "PatchTST: ", k, " must be in [0, 1), got ", getf(k));
    ND_CHECK(!getb("exclude_insample_y"), "PatchTST: exclude_insample_y=True is not supported (the model reads "
             "only insample_y)");
    revin_ = getb("revin");
    affine_ = getb("revin_affine");
    subtract_last_ = getb("revin_subtract_last");
    res_attention_ = getb("res_attention");
    pre_norm_ = getb("batch_normalization");
    const float drop = static_cast<float>(getf("dropout"));
    uint64_t seed = static_cast<uint64_t>(geti("random_seed")) * 1000003u;
    auto dropout = [&](const std::string& name, float p) {
      auto m = std::make_unique<nn::Dropout>(store_, name, p, ++seed);
      modules_.push_back(m.get());
      return m;
    };

    // Declaration order follows NF's state_dict (the initializers draw in this order).
    if (revin_ && affine_) {
      revin_w_ = store_.add("model.revin_layer.affine_weight", Shape{1}, nn::ParamInit::Constant(1.0f));
      revin_b_ = store_.add("model.revin_layer.affine_bias", Shape{1}, nn::ParamInit::Constant(0.0f));
    }
    const std::string bb = "model.backbone.";
    w_p_ = std::make_unique<nn::Linear>(store_, bb + "W_P", patch_len_, d);
    w_pos_ = store_.add(bb + "W_pos", Shape{P_, d}, nn::ParamInit::Uniform(0.02f), getb("learn_pos_embed"));
    emb_drop_ = dropout(bb + "dropout", drop);
    for (int64_t l = 0; l < geti("encoder_layers"); ++l) {
      const std::string n = bb + "encoder.layers." + std::to_string(l) + ".";
      auto ly = std::make_unique<TSTLayer>();
      ly->attn = std::make_unique<MultiHeadSelfAttention>(store_, n + "self_attn", d, heads,
                                                          AttentionNames{"W_Q", "W_K", "W_V", "to_out.0"},
                                                          "sdp_attn.scale", static_cast<float>(getf("attn_dropout")),
                                                          ++seed);
      modules_.push_back(ly->attn.get());
      ly->proj_drop = dropout(n + "self_attn.to_out.1", drop);
      ly->drop_attn = dropout(n + "dropout_attn", drop);
      ly->norm_attn = std::make_unique<BatchNorm>(store_, n + "norm_attn.1", d);
      ly->ff0 = std::make_unique<nn::Linear>(store_, n + "ff.0", d, ff);
      ly->ff_drop = dropout(n + "ff.2", drop);
      ly->ff3 = std::make_unique<nn::Linear>(store_, n + "ff.3", ff, d);
      ly->drop_ffn = dropout(n + "dropout_ffn", drop);
      ly->norm_ffn = std::make_unique<BatchNorm>(store_, n + "norm_ffn.1", d);
      modules_.push_back(ly->norm_attn.get());
      modules_.push_back(ly->norm_ffn.get());
      layers_.push_back(std::move(ly));
    }
    head_ = std::make_unique<nn::Linear>(store_, "model.head.linear", d * P_, h * Q);
    head_drop_ = dropout("model.head.dropout", static_cast<float>(getf("head_dropout")));
    // Patch gather indices: patch p, offset j reads padded position p * stride + j, where the
    // ReplicationPad1d((0, stride)) positions >= L repeat the last value.
    for (int64_t p = 0; p < P_; ++p)
      for (int64_t j = 0; j < patch_len_; ++j) patch_idx_.push_back(std::min(p * stride_ + j, L - 1));
  }

  Var forward(const WindowBatch& w) override {
    Graph& g = w.insample_y.graph();
    const int64_t B = w.B, L = input_size(), h = this->h(), Q = n_outputs(), d = geti("hidden_size");
    Var x = w.insample_y;  // [B, L] (NF's [B, 1, L]: one channel)
    Var loc, scale;
    if (revin_) {  // RevIN "norm": statistics of the input window, detached as NF's
      float* lp = g.arena().alloc(B);
      float* sp = g.arena().alloc(B);
      instance_stats(x.data(), B, L, subtract_last_, 1e-5f, lp, sp);
      loc = g.input(Tensor(lp, Shape{B, 1}));
      scale = g.input(Tensor(sp, Shape{B, 1}));
      x = ops::div(ops::sub(x, loc), scale);
      if (affine_) x = ops::add(ops::mul(x, store_.var(g, revin_w_)), store_.var(g, revin_b_));
    }
    Var z = ops::reshape(ops::gather(x, 1, patch_idx_), Shape{B, P_, patch_len_});  // unfold: [B, P, patch_len]
    z = w_p_->forward(z);                                                          // [B, P, d]
    Var pos = store_.params()[w_pos_.index].trainable ? store_.var(g, w_pos_) : g.input(store_.value(w_pos_));
    z = emb_drop_->forward(ops::add(z, pos));
    Var scores;  // residual attention: [B * H, P, P]
    for (auto& ly : layers_) {
      if (pre_norm_) z = ly->norm_attn->forward(z);
      // NF: z + dropout_attn(to_out.1(attention)), two dropouts in a row: one combined mask.
      z = ly->drop_attn->forward_add_after(*ly->proj_drop, z, ly->attn->forward(z, res_attention_ ? &scores : nullptr));
      if (!pre_norm_) z = ly->norm_attn->forward(z);
      if (pre_norm_) z = ly->norm_ffn->forward(z);
      Var f = ly->ff3->forward(ly->ff_drop->forward_act(ly->ff0->forward(z), act_));
      z = ly->drop_ffn->forward_add(z, f);
      if (!pre_norm_) z = ly->norm_ffn->forward(z);
    }
    // Flatten_Head: NF flattens [B, 1, d, P] (hidden-major) -> [B, d * P] -> Linear -> [B, h * Q].
    Var y = head_drop_->forward(head_->forward(ops::reshape(ops::permute(z, {0, 2, 1}), Shape{B, d * P_})));
    if (revin_) {  // RevIN "denorm"
      if (affine_)
        y = ops::div(ops::sub(y, store_.var(g, revin_b_)), ops::add(store_.var(g, revin_w_), 1e-10f));
      y = ops::add(ops::mul(y, scale), loc);
    }
    return ops::reshape(y, Shape{B, h, Q});
  }

  void set_training(bool on) override {
    for (nn::Module* m : modules_) m->train(on);
  }

 private:
  static std::string lower(std::string s) {
    for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return s;
  }

  int64_t patch_len_ = 0, stride_ = 1, P_ = 0;
  bool revin_ = true, affine_ = false, subtract_last_ = true, res_attention_ = true, pre_norm_ = false;
  kernels::Act act_ = kernels::Act::gelu;
  nn::ParamRef revin_w_, revin_b_, w_pos_;
  std::unique_ptr<nn::Linear> w_p_, head_;
  std::unique_ptr<nn::Dropout> emb_drop_, head_drop_;
  std::vector<std::unique_ptr<TSTLayer>> layers_;
  std::vector<nn::Module*> modules_;  // train / eval switches
  std::vector<int64_t> patch_idx_;
};

}  // namespace

ModelInfo patchtst_info() {
  ModelInfo info;
  info.name = "PatchTST";
  info.description = "Patches of each series as tokens of a Transformer encoder, RevIN (Nie et al. 2023)";
  info.params = common_params({{"max_steps", 5000},
                               {"learning_rate", 1e-4},
                               {"inference_windows_batch_size", 1024}});
  info.params.push_back({"encoder_layers", 3, "number of Transformer encoder layers"});
  info.params.push_back({"n_heads", 16, "attention heads"});
  info.params.push_back({"hidden_size", 128, "token (model) dimension"});
  info.params.push_back({"linear_hidden_size", 256, "units of the feed-forward layers"});
  info.params.push_back({"dropout", 0.2, "dropout on embeddings, residual branches and the feed-forward layers"});
  info.params.push_back({"fc_dropout", 0.2, "dropout of NF's pretrain head (unused, as in NF)"});
  info.params.push_back({"head_dropout", 0.0, "dropout after the flatten head"});
  info.params.push_back({"attn_dropout", 0.0, "dropout on the attention probabilities"});
  info.params.push_back({"patch_len", 16, "patch length (capped at input_size + stride)"});
  info.params.push_back({"stride", 8, "step between patches"});
  info.params.push_back({"revin", true, "reversible instance normalization of each window"});
  info.params.push_back({"revin_affine", false, "learnable RevIN scale and shift"});
  info.params.push_back({"revin_subtract_last", true, "RevIN subtracts the last value instead of the mean"});
  info.params.push_back({"activation", "gelu", "feed-forward activation: gelu or relu"});
  info.params.push_back({"res_attention", true, "residual attention: add the previous layer's scores"});
  info.params.push_back({"batch_normalization", false, "normalize before (not after) each sublayer"});
  info.params.push_back({"learn_pos_embed", true, "learn the position embedding"});
  info.create = [](const json& cfg) { return std::make_unique<PatchTSTModel>(cfg); };
  return info;
}

}  // namespace nd::models
