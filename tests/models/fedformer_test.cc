// FEDformer: forward parity with NeuralForecast (NF's seeded random modes, all modes, shared
// Fourier blocks, exogenous, MQLoss), schema, errors and an AirPassengers fit.
#include <gtest/gtest.h>

#include "models/model_test_util.h"

namespace nd::models {
namespace {

using testing::error_of;

TEST(ModelsFEDformer, ForwardMatchesNeuralForecast) { testing::expect_parity("FEDformer", "fedformer.json"); }

TEST(ModelsFEDformer, SchemaFollowsNeuralForecast) {
  const json c = resolve_config(find_model("FEDformer"), {{"h", 96}, {"input_size", 96}});
  EXPECT_EQ(c["decoder_input_size_multiplier"], 0.5);
  EXPECT_EQ(c["version"], "Fourier");
  EXPECT_EQ(c["modes"], 64);
  EXPECT_EQ(c["mode_select"], "random");
  EXPECT_EQ(c["hidden_size"], 128);
  EXPECT_EQ(c["dropout"], 0.05);
  EXPECT_EQ(c["n_head"], 8);
  EXPECT_EQ(c["conv_hidden_size"], 32);
  EXPECT_EQ(c["activation"], "gelu");
  EXPECT_EQ(c["encoder_layers"], 2);
  EXPECT_EQ(c["decoder_layers"], 1);
  EXPECT_EQ(c["MovingAvg_window"], 25);
  EXPECT_EQ(c["max_steps"], 5000);
  EXPECT_EQ(c["learning_rate"], 1e-4);
  EXPECT_EQ(c["inference_windows_batch_size"], 1024);
  // One Fourier block per stack, shared by its layers: weights only under layer 0's name.
  auto m = make_model("FEDformer", {{"h", 8}, {"input_size", 16}, {"hidden_size", 16}, {"modes", 4},
                                    {"decoder_layers", 2}});
  const nn::ParameterStore& s = m->params();
  EXPECT_TRUE(s.find("encoder.attn_layers.0.attention.inner_correlation.weights1").defined());
  EXPECT_FALSE(s.find("encoder.attn_layers.1.attention.inner_correlation.weights1").defined());
  EXPECT_FALSE(s.find("decoder.layers.1.cross_attention.inner_correlation.weights1").defined());
  EXPECT_EQ(s.params()[s.find("decoder.layers.0.cross_attention.inner_correlation.weights1").index].shape,
            (Shape{8, 2, 2, 4, 2}));
}

TEST(ModelsFEDformer, RejectsWhatItCannotDo) {
  auto with = [&](json extra) {
    json j = {{"h", 12}, {"input_size", 24}, {"hidden_size", 16}};
    j.update(extra);
    return error_of([&] { make_model("FEDformer", j); });
  };
  EXPECT_NE(with({{"version", "Wavelets"}}).find("version='Wavelets' is not supported"), std::string::npos);
  EXPECT_NE(with({{"n_head", 4}}).find("n_head must be 8"), std::string::npos);
  EXPECT_NE(with({{"hidden_size", 20}}).find("hidden_size must be divisible by 8"), std::string::npos);
  EXPECT_NE(with({{"activation", "tanh"}}).find("check activation=tanh"), std::string::npos);
  EXPECT_NE(with({{"modes", 0}}).find("modes must be >= 1"), std::string::npos);
}

TEST(ModelsFEDformer, BeatsSeasonalNaiveOnAirPassengersAndIsDeterministic) {
  const json hp = {{"h", 12}, {"input_size", 36}, {"max_steps", 150}, {"hidden_size", 16}, {"conv_hidden_size", 16},
                   {"modes", 8}, {"MovingAvg_window", 7}, {"learning_rate", 1e-3}, {"windows_batch_size", 64},
                   {"scaler_type", "standard"}, {"random_seed", 1}};
  const testing::AirResult a = testing::fit_air_passengers("FEDformer", hp);
  EXPECT_LT(a.mae, a.naive_mae);
  json short_hp = hp;
  short_hp["max_steps"] = 5;
  EXPECT_EQ(testing::fit_air_passengers("FEDformer", short_hp).forecast,
            testing::fit_air_passengers("FEDformer", short_hp).forecast);
}

}  // namespace
}  // namespace nd::models
