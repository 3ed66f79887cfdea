// TCN: forward parity with NeuralForecast, causality, AirPassengers accuracy, determinism, schema
// and errors.
#include <gtest/gtest.h>

#include "models/model_test_util.h"
#include "nd/ops/shape.h"

namespace nd::models {
namespace {

using testing::error_of;

TEST(ModelsTCN, ForwardMatchesNeuralForecast) {
  // Cases: kernel 2 with dilations 1, 2, 4; kernel 3, Tanh encoder, GELU 3-layer decoder,
  // 3 quantiles; PReLU encoder with futr / hist / stat exogenous inputs.
  testing::expect_parity("TCN", "tcn.json");
}

// The encoder is causal: changing the last input value changes nothing the convolutions computed
// for earlier steps, so with a context adapter that reads only step 0 the forecast is unchanged.
TEST(ModelsTCN, EncoderIsCausal) {
  auto m = make_model("TCN", {{"h", 3}, {"input_size", 8}, {"encoder_hidden_size", 4}, {"decoder_hidden_size", 4}});
  nn::ParameterStore& s = m->params();
  Tensor ctx = s.value(s.find("context_adapter.weight"));  // [h, L]: keep only column 0
  for (int64_t r = 0; r < 3; ++r)
    for (int64_t c = 1; c < 8; ++c) ctx.data[r * 8 + c] = 0.0f;
  std::vector<float> y = {1, 2, 3, 4, 5, 6, 7, 8}, y2 = y, mask(8, 1.0f);
  y2[7] = 100.0f;
  auto run = [&](std::vector<float>& in) {
    Graph g;
    WindowBatch w;
    w.B = 1, w.L = 8, w.h = 3;
    w.insample_y = g.input(Tensor(in.data(), Shape{1, 8}));
    w.insample_mask = g.input(Tensor(mask.data(), Shape{1, 8}));
    return m->forward(w).value().to_vector();
  };
  EXPECT_EQ(run(y), run(y2));
}

TEST(ModelsTCN, BeatsSeasonalNaiveOnAirPassengers) {
  const json hp = {{"h", 12}, {"input_size", 24}, {"max_steps", 200}, {"encoder_hidden_size", 32},
                   {"decoder_hidden_size", 32}, {"learning_rate", 5e-3}, {"random_seed", 1}};
  const testing::AirResult r = testing::fit_air_passengers("TCN", hp);
  EXPECT_LT(r.mae, r.naive_mae);
}

TEST(ModelsTCN, SameSeedSameForecast) {
  const json hp = {{"h", 12}, {"input_size", 24}, {"max_steps", 10}, {"encoder_hidden_size", 16},
                   {"decoder_hidden_size", 16}, {"random_seed", 3}};
  const auto a = testing::fit_air_passengers("TCN", hp), b = testing::fit_air_passengers("TCN", hp);
  EXPECT_EQ(a.forecast, b.forecast);
}

TEST(ModelsTCN, SchemaFollowsNeuralForecast) {
  const json c = resolve_config(find_model("TCN"), {{"h", 12}, {"input_size", 24}});
  EXPECT_EQ(c["kernel_size"], 2);
  EXPECT_EQ(c["dilations"], json({1, 2, 4, 8, 16}));
  EXPECT_EQ(c["encoder_hidden_size"], 128);
  EXPECT_EQ(c["encoder_activation"], "ReLU");
  EXPECT_EQ(c["context_size"], 10);
  EXPECT_EQ(c["decoder_hidden_size"], 128);
  EXPECT_EQ(c["decoder_layers"], 2);
  EXPECT_EQ(c["windows_batch_size"], 128);
  EXPECT_EQ(c["scaler_type"], "robust");
  EXPECT_EQ(c["num_lr_decays"], -1);
}

TEST(ModelsTCN, RejectsWhatItCannotDo) {
  const json base = {{"h", 12}, {"input_size", 24}};
  auto with = [&](json extra) {
    json j = base;
    j.update(extra);
    return error_of([&] { make_model("TCN", j); });
  };
  EXPECT_NE(with({{"exclude_insample_y", true}}).find("exclude_insample_y=True is not supported"),
            std::string::npos);
  EXPECT_NE(with({{"encoder_activation", "Hardtanh"}}).find("'Hardtanh' is not supported yet"), std::string::npos);
  EXPECT_NE(with({{"dilations", json::array()}}).find("dilations must not be empty"), std::string::npos);
  EXPECT_NE(with({{"inference_input_size", 30}}).find("inference_input_size must equal input_size"),
            std::string::npos);
}

}  // namespace
}  // namespace nd::models
