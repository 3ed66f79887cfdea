// LSTM (NeuralForecast's LSTM): a multi-layer LSTM encoder (Hochreiter & Schmidhuber 1997) over
// the input window with an MLP decoder, direct multi-step output (recurrent=False). The model is
// the RNN family's (src/models/rnn.cc); this file holds its schema.
#include <memory>

#include "models/models_internal.h"

namespace nd::models {

ModelInfo lstm_info() {
  ModelInfo info;
  info.name = "LSTM";
  info.description = "LSTM encoder with an MLP decoder, direct multi-step output (NeuralForecast LSTM)";
  info.params = nf_recurrent_params("LSTM");
  info.futr_exog = info.hist_exog = info.stat_exog = true;
  info.create = [](const json& cfg) { return make_nf_recurrent("LSTM", cfg); };
  return info;
}

}  // namespace nd::models
