// The built-in models' registration entry points (one per model file), called in order by the
// registry so that static-library linking cannot drop any of them, and the pieces of
// NeuralForecast's common/_modules.py that several model files share.
#pragma once
#include <memory>
#include <string>
#include <vector>

#include "nd/kernels/activation.h"
#include "nd/models/model.h"
#include "nd/nn/layers.h"

namespace nd::models {

ModelInfo mlp_info();
ModelInfo nlinear_info();
ModelInfo dlinear_info();
ModelInfo nhits_info();
ModelInfo nbeats_info();
ModelInfo rnn_info();
ModelInfo lstm_info();
ModelInfo gru_info();
ModelInfo tcn_info();
ModelInfo patchtst_info();
ModelInfo itransformer_info();
ModelInfo vanillatransformer_info();
ModelInfo informer_info();
ModelInfo autoformer_info();
ModelInfo fedformer_info();
ModelInfo tft_info();
ModelInfo deepnpts_info();

// ---- Shared pieces (defined in rnn.cc) ----

// NeuralForecast's activation names: common/_modules.py ACTIVATIONS, and the shorter list that
// NHITS / NBEATS accept.
const std::vector<std::string>& nf_activations();
const std::vector<std::string>& nf_block_activations();

// getattr(torch.nn, name)() as NeuralForecast builds it. The name must be in `allowed` (exact
// spelling, as NeuralForecast asserts); PReLU owns one learnable slope (torch init 0.25)
// declared as "<name>.weight", e.g. "mlp_decoder.activation.weight".
class NFActivation : public nn::Module {
 public:
  NFActivation(nn::ParameterStore& s, const std::string& name, const std::string& model, const std::string& key,
               const std::string& activation, const std::vector<std::string>& allowed);
  Var forward(Var x) const;

 private:
  kernels::Act act_;
  float alpha_ = 0.0f;
  nn::ParamRef slope_;
};

// common/_modules.py MLP: Sequential(Linear(in, hidden), act, Dropout, [Linear(hidden, hidden),
// act, Dropout] * (num_layers - 2), Linear(hidden, out)), so its Linear layers are
// "<name>.layers.{0, 3, 6, ...}"; num_layers == 1 is one Linear "<name>.layers.0". The one
// activation module is shared by all hidden layers (a PReLU slope is "<name>.activation.weight").
class NFMLP : public nn::Module {
 public:
  NFMLP(nn::ParameterStore& s, const std::string& name, const std::string& model, int64_t in, int64_t out,
        int64_t hidden, int64_t num_layers, const std::string& activation, float dropout, uint64_t seed);
  Var forward(Var x);

 private:
  std::vector<std::unique_ptr<nn::Linear>> layers_;
  std::vector<std::unique_ptr<nn::Dropout>> drops_;
  std::unique_ptr<NFActivation> act_;
};

// [y | hist_exog | stat_exog (repeated over time) | futr_exog[:, :L]] -> [B, L, 1 + X + S + F]:
// the encoder input of NeuralForecast's RNN, LSTM, GRU and TCN (y zeroed by exclude_insample_y).
Var nf_encoder_input(const WindowBatch& w, bool exclude_insample_y);

// The RNN / LSTM / GRU family in NeuralForecast 3.x's direct mode (recurrent=False); `cell` is
// "RNN", "LSTM" or "GRU" and the schema is the per-model file's.
std::unique_ptr<Model> make_nf_recurrent(const std::string& cell, const json& cfg);
// Hyperparameters the three share (NeuralForecast's signature order, after the common ones).
std::vector<HParam> nf_recurrent_params(const std::string& cell);

}  // namespace nd::models
