// VanillaTransformer: forward parity with NeuralForecast (futr_exog marks, quantile outputs, the
// decoder's unmasked self-attention as NF 3.3 runs it), schema, errors and training.
#include <gtest/gtest.h>

#include "models/model_test_util.h"

namespace nd::models {
namespace {

using testing::error_of;

TEST(ModelsVanillaTransformer, ForwardMatchesNeuralForecast) {
  // Cases: 2 encoder layers / 4 heads; relu, 2 decoder layers, label_len = ceil(0.3 L), futr_exog,
  // 3 quantiles; one head, 3 encoder layers, conv_hidden_size=0 (NF: 4 * hidden_size).
  testing::expect_parity("VanillaTransformer", "vanillatransformer.json");
}

TEST(ModelsVanillaTransformer, SchemaFollowsNeuralForecast) {
  const ModelInfo& info = find_model("VanillaTransformer");
  const json c = resolve_config(info, {{"h", 96}, {"input_size", 96}});
  EXPECT_EQ(c["decoder_input_size_multiplier"], 0.5);
  EXPECT_EQ(c["hidden_size"], 128);
  EXPECT_EQ(c["dropout"], 0.05);
  EXPECT_EQ(c["n_head"], 4);
  EXPECT_EQ(c["conv_hidden_size"], 32);
  EXPECT_EQ(c["activation"], "gelu");
  EXPECT_EQ(c["encoder_layers"], 2);
  EXPECT_EQ(c["decoder_layers"], 1);
  EXPECT_EQ(c["max_steps"], 5000);
  EXPECT_EQ(c["learning_rate"], 1e-4);
  EXPECT_EQ(c["windows_batch_size"], 1024);
  EXPECT_EQ(c["inference_windows_batch_size"], 1024);
  EXPECT_EQ(c["scaler_type"], "identity");
  EXPECT_FALSE(c.contains("factor"));
  EXPECT_TRUE(info.futr_exog);
  EXPECT_FALSE(info.hist_exog);
  EXPECT_FALSE(info.stat_exog);
}

TEST(ModelsVanillaTransformer, RejectsWhatItCannotDo) {
  auto with = [&](json extra) {
    json j = {{"h", 12}, {"input_size", 24}, {"hidden_size", 16}};
    j.update(extra);
    return error_of([&] { make_model("VanillaTransformer", j); });
  };
  EXPECT_NE(with({{"decoder_input_size_multiplier", 1.0}}).find("decoder_input_size_multiplier"), std::string::npos);
  EXPECT_NE(with({{"decoder_input_size_multiplier", 0.0}}).find("range (0, 1)"), std::string::npos);
  EXPECT_NE(with({{"activation", "tanh"}}).find("activation must be 'relu' or 'gelu'"), std::string::npos);
  EXPECT_NE(with({{"hidden_size", 15}}).find("hidden_size must be even"), std::string::npos);
  EXPECT_NE(with({{"hist_exog_list", {"a"}}}).find("does not take hist_exog_list"), std::string::npos);
  EXPECT_NE(with({{"stat_exog_list", {"a"}}}).find("does not take stat_exog_list"), std::string::npos);
  EXPECT_NE(with({{"encoder_layers", 0}}).find("encoder_layers must be >= 1"), std::string::npos);
  EXPECT_NE(with({{"cat_exog_list", {"a"}}}).find("unknown hyperparameter 'cat_exog_list'"), std::string::npos);
}

TEST(ModelsVanillaTransformer, LearnsAirPassengers) {
  const auto r = testing::fit_air_passengers(
      "VanillaTransformer", {{"h", 12}, {"input_size", 24}, {"hidden_size", 16}, {"n_head", 2},
                             {"conv_hidden_size", 16}, {"max_steps", 100}, {"learning_rate", 1e-3}, {"windows_batch_size", 32},
                             {"scaler_type", "standard"}, {"random_seed", 1}});
  EXPECT_LT(r.mae, 2.0 * r.naive_mae);
}

}  // namespace
}  // namespace nd::models
