// TCN (NeuralForecast's TCN; Bai et al. 2018, "An Empirical Evaluation of Generic Convolutional
// and Recurrent Networks for Sequence Modeling"): a stack of causal dilated 1-d convolutions
// (each followed by its activation; no residual blocks, as NeuralForecast's
// TemporalConvolutionEncoder) encodes the input window, a linear "context adapter" maps its L
// time steps to the h forecast steps, and the common MLP decoder maps each step's channels
// (plus the future exogenous values) to the outputs.
#include <memory>
#include <vector>

#include "models/models_internal.h"
#include "nd/nn/layers.h"
#include "nd/ops/shape.h"

namespace nd::models {

namespace {

class TCNModel : public Model {
 public:
  explicit TCNModel(const json& cfg) : Model("TCN", cfg) {
    // NeuralForecast's TCN does not take exclude_insample_y (it is not in its signature).
    ND_CHECK(!getb("exclude_insample_y"), "TCN: exclude_insample_y=True is not supported (NeuralForecast's TCN has "
             "no such option)");
    const json& iis = config()["inference_input_size"];
    ND_CHECK(iis.is_null() || iis.is_number_integer(), "TCN: inference_input_size must be an integer or None, got ",
             iis.dump());
    // The context adapter is a Linear(input_size, h), so inference windows must be input_size long.
    ND_CHECK(iis.is_null() || iis.get<int64_t>() < 1 || iis.get<int64_t>() == input_size(),
             "TCN: inference_input_size must equal input_size (", input_size(), "), got ", iis.dump());
    const int64_t F = static_cast<int64_t>(futr_exog_list().size());
    const int64_t X = static_cast<int64_t>(hist_exog_list().size()), S = static_cast<int64_t>(stat_exog_list().size());
    const int64_t K = geti("kernel_size"), C = geti("encoder_hidden_size");
    ND_CHECK(K >= 1, "TCN: kernel_size must be >= 1, got ", K);
    ND_CHECK(C >= 1, "TCN: encoder_hidden_size must be >= 1, got ", C);
    const std::vector<int64_t> dil = getiv("dilations");
    ND_CHECK(!dil.empty(), "TCN: dilations must not be empty");
    int64_t cin = 1 + X + S + F;
    for (size_t k = 0; k < dil.size(); ++k) {
      ND_CHECK(dil[k] >= 1, "TCN: dilations must be >= 1, got ", dil[k]);
      const std::string name = "hist_encoder.tcn." + std::to_string(k);
      // Causal: NeuralForecast pads (K - 1) * d on both sides and chomps the right end, which is
      // a left padding of (K - 1) * d: output t sees inputs t, t - d, ..., t - (K - 1) d only.
      convs_.push_back(std::make_unique<nn::Conv1d>(store_, name + ".conv", cin, C, K, 1, 0, dil[k], true, true));
      acts_.push_back(std::make_unique<NFActivation>(store_, name + ".activation", "TCN", "encoder_activation",
                                                     gets("encoder_activation"), nf_activations()));
      cin = C;
    }
    context_ = std::make_unique<nn::Linear>(store_, "context_adapter", input_size(), h());
    const json& da = config()["decoder_activation"];
    ND_CHECK(da.is_null() || da.is_string(), "TCN: decoder_activation must be a name like \"ReLU\" or None, got ",
             da.dump());
    decoder_ = std::make_unique<NFMLP>(store_, "mlp_decoder", "TCN", C + F, n_outputs(), geti("decoder_hidden_size"),
                                       geti("decoder_layers"), da.is_null() ? "ReLU" : da.get<std::string>(), 0.0f,
                                       static_cast<uint64_t>(geti("random_seed")));
  }

  Var forward(const WindowBatch& w) override {
    const int64_t L = input_size(), h = this->h();
    Var x = ops::permute(nf_encoder_input(w, false), {0, 2, 1});  // [B, L, C_in] -> [B, C_in, L]
    for (size_t k = 0; k < convs_.size(); ++k) x = acts_[k]->forward(convs_[k]->forward(x));  // [B, C, L]
    Var ctx = context_->forward(x);                                                             // [B, C, h]
    if (w.futr_exog.defined())  // [B, L + h, F] -> [B, F, h]
      ctx = ops::concat({ctx, ops::permute(ops::slice(w.futr_exog, 1, L, L + h), {0, 2, 1})}, 1);
    return decoder_->forward(ops::permute(ctx, {0, 2, 1}));  // [B, h, C + F] -> [B, h, n_outputs]
  }

 private:
  std::vector<std::unique_ptr<nn::Conv1d>> convs_;
  std::vector<std::unique_ptr<NFActivation>> acts_;
  std::unique_ptr<nn::Linear> context_;
  std::unique_ptr<NFMLP> decoder_;
};

}  // namespace

ModelInfo tcn_info() {
  ModelInfo info;
  info.name = "TCN";
  info.description = "Causal dilated convolutions, a linear context adapter and an MLP decoder (Bai et al. 2018)";
  info.params = common_params({{"windows_batch_size", 128},
                               {"inference_windows_batch_size", 1024},
                               {"scaler_type", "robust"},
                                         {"input_size", -1}});
  info.params.push_back({"inference_input_size", nullptr, "inference window length (None: input_size; must equal it)"});
  info.params.push_back({"kernel_size", 2, "size of the convolution kernels"});
  info.params.push_back({"dilations", json::array({1, 2, 4, 8, 16}), "dilation of each causal convolution layer"});
  info.params.push_back({"encoder_hidden_size", 128, "channels of the convolution layers"});
  info.params.push_back({"encoder_activation", "ReLU", "activation after each convolution"});
  info.params.push_back({"context_size", 10, "deprecated and ignored (as NeuralForecast)"});
  info.params.push_back({"decoder_hidden_size", 128, "units per hidden layer of the MLP decoder"});
  info.params.push_back({"decoder_layers", 2, "layers of the MLP decoder (1: a linear projection)"});
  info.params.push_back({"decoder_activation", nullptr, "activation of the MLP decoder (None: ReLU)"});
  info.futr_exog = info.hist_exog = info.stat_exog = true;
  info.create = [](const json& cfg) { return std::make_unique<TCNModel>(cfg); };
  return info;
}

}  // namespace nd::models
