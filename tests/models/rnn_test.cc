// RNN: forward parity with NeuralForecast (direct mode), AirPassengers accuracy, determinism,
// schema and errors.
#include <gtest/gtest.h>

#include "models/model_test_util.h"

namespace nd::models {
namespace {

using testing::error_of;

TEST(ModelsRNN, ForwardMatchesNeuralForecast) {
  testing::expect_parity("RNN", "rnn.json");
}

TEST(ModelsRNN, BeatsSeasonalNaiveOnAirPassengers) {
  const json hp = {{"h", 12}, {"input_size", 24}, {"max_steps", 200}, {"encoder_hidden_size", 32},
                   {"decoder_hidden_size", 32}, {"learning_rate", 5e-3}, {"random_seed", 1}};
  const testing::AirResult r = testing::fit_air_passengers("RNN", hp);
  EXPECT_LT(r.mae, r.naive_mae);
}

TEST(ModelsRNN, SameSeedSameForecast) {
  const json hp = {{"h", 12}, {"input_size", 24}, {"max_steps", 10}, {"encoder_hidden_size", 16},
                   {"encoder_dropout", 0.2}, {"decoder_hidden_size", 16}, {"random_seed", 3}};
  const auto a = testing::fit_air_passengers("RNN", hp), b = testing::fit_air_passengers("RNN", hp);
  EXPECT_EQ(a.forecast, b.forecast);
}

TEST(ModelsRNN, SchemaFollowsNeuralForecast) {
  const json c = resolve_config(find_model("RNN"), {{"h", 12}, {"input_size", 24}});
  EXPECT_EQ(c["encoder_n_layers"], 2);
  EXPECT_EQ(c["encoder_hidden_size"], 128);
  EXPECT_EQ(c["encoder_bias"], true);
  EXPECT_EQ(c["encoder_dropout"], 0.0);
  EXPECT_EQ(c["decoder_hidden_size"], 128);
  EXPECT_EQ(c["decoder_layers"], 2);
  EXPECT_TRUE(c["decoder_activation"].is_null());
  EXPECT_EQ(c["recurrent"], false);
  EXPECT_EQ(c["windows_batch_size"], 128);
  EXPECT_EQ(c["inference_windows_batch_size"], 1024);
  EXPECT_EQ(c["scaler_type"], "robust");
  EXPECT_EQ(c["num_lr_decays"], -1);
  EXPECT_TRUE(find_model("RNN").futr_exog && find_model("RNN").hist_exog && find_model("RNN").stat_exog);
}

TEST(ModelsRNN, RejectsWhatItCannotDo) {
  const json base = {{"h", 12}, {"input_size", 24}};
  auto with = [&](json extra) {
    json j = base;
    j.update(extra);
    return error_of([&] { make_model("RNN", j); });
  };
  EXPECT_NE(with({{"recurrent", true}}).find("recurrent=True (recursive one-step forecasting) is not supported"),
            std::string::npos);
  EXPECT_NE(with({{"inference_input_size", 48}}).find("inference_input_size must equal input_size"),
            std::string::npos);
  EXPECT_NE(with({{"decoder_activation", "Mish"}}).find("'Mish' is not supported yet"), std::string::npos);
  EXPECT_NE(with({{"decoder_activation", "relu"}}).find("not one of NeuralForecast's activations"),
            std::string::npos);
  EXPECT_EQ(make_model("RNN", {{"h", 12}})->input_size(), 36);  // NeuralForecast: input_size -1 -> 3 * h
}

}  // namespace
}  // namespace nd::models
