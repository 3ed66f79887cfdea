// RNN (NeuralForecast's RNN: a multi-layer Elman network encoder with an MLP decoder), and the
// pieces its LSTM / GRU siblings and TCN share: the RNN-family model itself, NeuralForecast's
// activation modules, the common/_modules.py MLP decoder and the exogenous encoder input.
//
// NeuralForecast 3.x runs these models "direct" by default (recurrent=False): the encoder reads
// the input window, the hidden states of the last h steps (or, when h > input_size, the hidden
// sequence mapped to h steps by a linear layer over time) are decoded by the MLP into all h
// forecasts at once. The recursive mode (recurrent=True) is not implemented.
#include <algorithm>
#include <memory>
#include <vector>

#include "models/models_internal.h"
#include "nd/nn/recurrent.h"
#include "nd/ops/activation.h"
#include "nd/ops/elementwise.h"
#include "nd/ops/shape.h"

namespace nd::models {

namespace {

std::string join(const std::vector<std::string>& v) {
  std::string s;
  for (const std::string& x : v) s += (s.empty() ? "" : ", ") + x;
  return s;
}

}  // namespace

const std::vector<std::string>& nf_activations() {
  static const std::vector<std::string> a = {
      "ReLU", "Softplus", "Tanh",      "SELU",       "LeakyReLU", "PReLU", "Sigmoid", "GELU",       "ELU",      "SiLU",     "Mish",
      "GLU",  "Softsign", "Hardshrink", "Softshrink", "Threshold", "RReLU", "CELU",    "LogSigmoid", "Hardtanh", "Hardswish", "Identity"};
  return a;
}

const std::vector<std::string>& nf_block_activations() {
  static const std::vector<std::string> a = {"ReLU", "Softplus", "Tanh", "SELU", "LeakyReLU", "PReLU", "Sigmoid"};
  return a;
}

NFActivation::NFActivation(nn::ParameterStore& s, const std::string& name, const std::string& model,
                           const std::string& key, const std::string& activation,
                           const std::vector<std::string>& allowed)
    : nn::Module(s, name) {
  ND_CHECK(std::find(allowed.begin(), allowed.end(), activation) != allowed.end(), model, ": ", key, " '",
           activation, "' is not one of NeuralForecast's activations: ", join(allowed));
  // Everything NeuralForecast lists except these has a kernel (nd/kernels/activation.h).
  static const std::vector<std::string> missing = {"Mish",      "GLU",   "Hardshrink", "Softshrink", "Threshold",
                                                   "RReLU",     "CELU",  "LogSigmoid", "Hardtanh",   "Hardswish"};
  ND_CHECK(std::find(missing.begin(), missing.end(), activation) == missing.end(), model, ": ", key, " '",
           activation, "' is not supported yet; supported: Identity, ReLU, LeakyReLU, PReLU, ELU, SELU, GELU, SiLU, "
           "Tanh, Sigmoid, Softplus, Softsign");
  act_ = kernels::act_from_name(activation);
  if (act_ == kernels::Act::leaky_relu) alpha_ = 0.01f;  // torch.nn.LeakyReLU() default slope
  if (act_ == kernels::Act::elu) alpha_ = 1.0f;          // torch.nn.ELU() default alpha
  if (act_ == kernels::Act::prelu) slope_ = declare("weight", Shape{1}, nn::ParamInit::Constant(0.25f));
}

Var NFActivation::forward(Var x) const {
  if (act_ == kernels::Act::prelu) return ops::prelu(x, p(x.graph(), slope_));
  if (act_ == kernels::Act::identity) return x;
  return ops::activation(x, act_, alpha_);
}

NFMLP::NFMLP(nn::ParameterStore& s, const std::string& name, const std::string& model, int64_t in, int64_t out,
             int64_t hidden, int64_t num_layers, const std::string& activation, float dropout, uint64_t seed)
    : nn::Module(s, name) {
  ND_CHECK(num_layers >= 1, model, ": decoder_layers must be >= 1, got ", num_layers);
  // Validated even when unused (one layer), as NeuralForecast's resolve_decoder_activation does.
  ND_CHECK(std::find(nf_activations().begin(), nf_activations().end(), activation) != nf_activations().end(), model,
           ": decoder_activation '", activation, "' is not one of NeuralForecast's activations: ",
           join(nf_activations()));
  auto linear = [&](int64_t idx, int64_t a, int64_t b) {
    layers_.push_back(std::make_unique<nn::Linear>(s, child_name("layers." + std::to_string(idx)), a, b));
  };
  if (num_layers == 1) {  // a direct projection: no hidden layer, no activation
    linear(0, in, out);
    return;
  }
  ND_CHECK(hidden >= 1, model, ": decoder_hidden_size must be positive when decoder_layers >= 2, got ", hidden);
  // torch registers the shared activation module first (self.activation), then the Sequential.
  act_ = std::make_unique<NFActivation>(s, child_name("activation"), model, "decoder_activation", activation,
                                        nf_activations());
  for (int64_t k = 0; k < num_layers - 1; ++k) {
    linear(3 * k, k == 0 ? in : hidden, hidden);
    drops_.push_back(std::make_unique<nn::Dropout>(s, child_name("layers." + std::to_string(3 * k + 2)), dropout,
                                                   seed + static_cast<uint64_t>(k)));
    register_child(drops_.back().get());
  }
  linear(3 * (num_layers - 1), hidden, out);
}

Var NFMLP::forward(Var x) {
  for (size_t k = 0; k + 1 < layers_.size(); ++k) x = drops_[k]->forward(act_->forward(layers_[k]->forward(x)));
  return layers_.back()->forward(x);
}

Var nf_encoder_input(const WindowBatch& w, bool exclude_insample_y) {
  Var y = ops::unsqueeze(w.insample_y, 2);  // [B, L, 1]
  if (exclude_insample_y) y = ops::mul(y, 0.0f);  // as BaseModel._parse_windows: insample_y * 0
  std::vector<Var> parts = {y};
  if (w.hist_exog.defined()) parts.push_back(w.hist_exog);
  if (w.stat_exog.defined())  // [B, S] -> [B, L, S]
    parts.push_back(ops::gather(ops::unsqueeze(w.stat_exog, 1), 1, std::vector<int64_t>(w.L, 0)));
  if (w.futr_exog.defined()) parts.push_back(ops::slice(w.futr_exog, 1, 0, w.L));
  return parts.size() == 1 ? y : ops::concat(parts, 2);
}

namespace {

class RecurrentModel : public Model {
 public:
  RecurrentModel(const std::string& cell, const json& cfg) : Model(cell, cfg) {
    ND_CHECK(!getb("recurrent"), cell, ": recurrent=True (recursive one-step forecasting) is not supported yet; "
             "use recurrent=False (the default: direct multi-step forecasting)");
    const json& iis = config()["inference_input_size"];
    ND_CHECK(iis.is_null() || iis.is_number_integer(), cell, ": inference_input_size must be an integer or None, got ",
             iis.dump());
    ND_CHECK(iis.is_null() || iis.get<int64_t>() < 1 || iis.get<int64_t>() == input_size(), cell,
             ": inference_input_size must equal input_size (", input_size(), ") in direct mode, got ", iis.dump());
    const int64_t L = input_size(), h = this->h();
    const int64_t F = static_cast<int64_t>(futr_exog_list().size());
    const int64_t X = static_cast<int64_t>(hist_exog_list().size()), S = static_cast<int64_t>(stat_exog_list().size());
    const int64_t H = geti("encoder_hidden_size"), layers = geti("encoder_n_layers");
    ND_CHECK(H >= 1 && layers >= 1, cell, ": encoder_hidden_size and encoder_n_layers must be >= 1, got ", H, " and ",
             layers);
    const double drop = getf("encoder_dropout");
    ND_CHECK(drop >= 0.0 && drop < 1.0, cell, ": encoder_dropout must be in [0, 1), got ", drop);
    nn::Recurrent::Cell c = nn::Recurrent::Cell::lstm;
    if (cell == "GRU") c = nn::Recurrent::Cell::gru;
    if (cell == "RNN") {
      // NeuralForecast 3.3 stores encoder_activation but never passes it to torch.nn.RNN, whose
      // nonlinearity therefore stays tanh; we do the same so that trained weights carry over.
      const std::string a = gets("encoder_activation");
      ND_CHECK(a == "tanh" || a == "relu", cell, ": encoder_activation must be 'tanh' or 'relu', got '", a, "'");
      c = nn::Recurrent::Cell::rnn_tanh;
    }
    const uint64_t seed = static_cast<uint64_t>(geti("random_seed"));
    encoder_ = std::make_unique<nn::Recurrent>(store_, "hist_encoder", c, 1 + X + S + F, H, layers,
                                               getb("encoder_bias"), static_cast<float>(drop), seed * 31 + 7);
    const json& da = config()["decoder_activation"];
    ND_CHECK(da.is_null() || da.is_string(), cell, ": decoder_activation must be a name like \"ReLU\" or None, got ",
             da.dump());
    const std::string act = da.is_null() ? "ReLU" : da.get<std::string>();
    decoder_ = std::make_unique<NFMLP>(store_, "mlp_decoder", cell, H + F, n_outputs(), geti("decoder_hidden_size"),
                                       geti("decoder_layers"), act, 0.0f, seed);
    if (h > L) upsample_ = std::make_unique<nn::Linear>(store_, "upsample_sequence", L, h);
  }

  Var forward(const WindowBatch& w) override {
    const int64_t L = input_size(), h = this->h();
    Var hs = encoder_->forward(nf_encoder_input(w, getb("exclude_insample_y"))).y;  // [B, L, H]
    if (upsample_)  // [B, L, H] -> [B, H, L] -> [B, H, h] -> [B, h, H]
      hs = ops::permute(upsample_->forward(ops::permute(hs, {0, 2, 1})), {0, 2, 1});
    else
      hs = ops::slice(hs, 1, L - h, L);
    if (w.futr_exog.defined()) hs = ops::concat({hs, ops::slice(w.futr_exog, 1, L, L + h)}, 2);
    return decoder_->forward(hs);  // [B, h, n_outputs]
  }

  void set_training(bool on) override {
    encoder_->train(on);
    decoder_->train(on);
  }

 private:
  std::unique_ptr<nn::Recurrent> encoder_;
  std::unique_ptr<NFMLP> decoder_;
  std::unique_ptr<nn::Linear> upsample_;
};

}  // namespace

std::unique_ptr<Model> make_nf_recurrent(const std::string& cell, const json& cfg) {
  return std::make_unique<RecurrentModel>(cell, cfg);
}

std::vector<HParam> nf_recurrent_params(const std::string& cell) {
  std::vector<HParam> p = common_params({{"windows_batch_size", 128},
                                         {"inference_windows_batch_size", 1024},
                                         {"scaler_type", "robust"},
                                         {"input_size", -1}});
  p.push_back({"inference_input_size", nullptr, "inference window length (None: input_size; must equal it here)"});
  p.push_back({"h_train", 1, "training horizon of the recursive mode (unused with recurrent=False)"});
  p.push_back({"encoder_n_layers", 2, "number of stacked " + cell + " layers"});
  p.push_back({"encoder_hidden_size", cell == "GRU" ? 200 : 128, "units of the " + cell + " hidden state"});
  if (cell == "RNN") p.push_back({"encoder_activation", "tanh", "tanh or relu (as NeuralForecast 3.3: tanh is used)"});
  if (cell == "GRU") p.push_back({"encoder_activation", nullptr, "deprecated and ignored (as NeuralForecast)"});
  p.push_back({"encoder_bias", true, "biases b_ih, b_hh in the " + cell + " cells"});
  p.push_back({"encoder_dropout", 0.0, "dropout between stacked " + cell + " layers"});
  p.push_back({"context_size", nullptr, "deprecated and ignored (as NeuralForecast)"});
  p.push_back({"decoder_hidden_size", 128, "units per hidden layer of the MLP decoder"});
  p.push_back({"decoder_layers", 2, "layers of the MLP decoder (1: a linear projection)"});
  p.push_back({"decoder_activation", nullptr, "activation of the MLP decoder (None: ReLU)"});
  p.push_back({"recurrent", false, "recursive forecasting (only False, direct, is supported)"});
  return p;
}

ModelInfo rnn_info() {
  ModelInfo info;
  info.name = "RNN";
  info.description = "Elman RNN encoder with an MLP decoder, direct multi-step output (NeuralForecast RNN)";
  info.params = nf_recurrent_params("RNN");
  info.futr_exog = info.hist_exog = info.stat_exog = true;
  info.create = [](const json& cfg) { return make_nf_recurrent("RNN", cfg); };
  return info;
}

}  // namespace nd::models
