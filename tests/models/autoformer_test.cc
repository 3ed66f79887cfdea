// Autoformer: forward parity with NeuralForecast (eval-mode per-sample delays, train-mode
// batch-shared delays, odd windows, exogenous, MQLoss), schema, errors and an AirPassengers fit.
#include <gtest/gtest.h>

#include "models/model_test_util.h"

namespace nd::models {
namespace {

using testing::error_of;

TEST(ModelsAutoformer, ForwardMatchesNeuralForecast) { testing::expect_parity("Autoformer", "autoformer.json"); }

TEST(ModelsAutoformer, SchemaFollowsNeuralForecast) {
  const json c = resolve_config(find_model("Autoformer"), {{"h", 96}, {"input_size", 96}});
  EXPECT_EQ(c["decoder_input_size_multiplier"], 0.5);
  EXPECT_EQ(c["hidden_size"], 128);
  EXPECT_EQ(c["dropout"], 0.05);
  EXPECT_EQ(c["factor"], 3);
  EXPECT_EQ(c["n_head"], 4);
  EXPECT_EQ(c["conv_hidden_size"], 32);
  EXPECT_EQ(c["activation"], "gelu");
  EXPECT_EQ(c["encoder_layers"], 2);
  EXPECT_EQ(c["decoder_layers"], 1);
  EXPECT_EQ(c["MovingAvg_window"], 25);
  EXPECT_EQ(c["max_steps"], 5000);
  EXPECT_EQ(c["learning_rate"], 1e-4);
  EXPECT_EQ(c["inference_windows_batch_size"], 1024);
  EXPECT_TRUE(find_model("Autoformer").futr_exog);
  EXPECT_FALSE(find_model("Autoformer").hist_exog);
}

TEST(ModelsAutoformer, RejectsWhatItCannotDo) {
  auto with = [&](json extra) {
    json j = {{"h", 12}, {"input_size", 24}, {"hidden_size", 16}};
    j.update(extra);
    return error_of([&] { make_model("Autoformer", j); });
  };
  EXPECT_NE(with({{"activation", "tanh"}}).find("check activation=tanh"), std::string::npos);
  EXPECT_NE(with({{"decoder_input_size_multiplier", 1.0}}).find("decoder_input_size_multiplier"), std::string::npos);
  EXPECT_NE(with({{"MovingAvg_window", 4}}).find("MovingAvg_window must be odd"), std::string::npos);
  EXPECT_NE(with({{"hist_exog_list", {"a"}}}).find("hist_exog_list"), std::string::npos);
  EXPECT_NE(with({{"exclude_insample_y", true}}).find("exclude_insample_y=True is not supported"), std::string::npos);
}

TEST(ModelsAutoformer, BeatsSeasonalNaiveOnAirPassengersAndIsDeterministic) {
  const json hp = {{"h", 12}, {"input_size", 36}, {"max_steps", 150}, {"hidden_size", 16}, {"conv_hidden_size", 16},
                   {"MovingAvg_window", 7}, {"learning_rate", 1e-3}, {"windows_batch_size", 64},
                   {"scaler_type", "standard"}, {"random_seed", 1}};
  const testing::AirResult a = testing::fit_air_passengers("Autoformer", hp);
  EXPECT_LT(a.mae, a.naive_mae);
  json short_hp = hp;
  short_hp["max_steps"] = 5;
  EXPECT_EQ(testing::fit_air_passengers("Autoformer", short_hp).forecast,
            testing::fit_air_passengers("Autoformer", short_hp).forecast);
}

}  // namespace
}  // namespace nd::models
