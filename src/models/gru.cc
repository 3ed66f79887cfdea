// GRU (NeuralForecast's GRU): a multi-layer gated recurrent unit encoder (Cho et al. 2014) over
// the input window with an MLP decoder, direct multi-step output (recurrent=False). The model is
// the RNN family's (src/models/rnn.cc); this file holds its schema (hidden size 200 by default,
// encoder_activation accepted but ignored, as in NeuralForecast).
#include <memory>

#include "models/models_internal.h"

namespace nd::models {

ModelInfo gru_info() {
  ModelInfo info;
  info.name = "GRU";
  info.description = "GRU encoder with an MLP decoder, direct multi-step output (NeuralForecast GRU)";
  info.params = nf_recurrent_params("GRU");
  info.futr_exog = info.hist_exog = info.stat_exog = true;
  info.create = [](const json& cfg) { return make_nf_recurrent("GRU", cfg); };
  return info;
}

}  // namespace nd::models
