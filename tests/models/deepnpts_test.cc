// DeepNPTS: forward parity with NeuralForecast (eval and training-mode BatchNorm), AirPassengers
// accuracy, determinism, schema and errors. (ETTh1 and save -> load: forecast/etth1_models_test.)
#include <gtest/gtest.h>

#include "models/model_test_util.h"

namespace nd::models {
namespace {

using testing::error_of;

TEST(ModelsDeepNPTS, ForwardMatchesNeuralForecast) {
  // Cases: BatchNorm with perturbed running statistics; training mode (batch statistics, updated
  // running statistics); futr / hist / stat exogenous inputs without BatchNorm.
  testing::expect_parity("DeepNPTS", "deepnpts.json");
}

TEST(ModelsDeepNPTS, BeatsSeasonalNaiveOnAirPassengers) {
  const json hp = {{"h", 12}, {"input_size", 24}, {"max_steps", 300}, {"hidden_size", 64}, {"random_seed", 1}};
  const testing::AirResult r = testing::fit_air_passengers("DeepNPTS", hp);
  EXPECT_LT(r.mae, r.naive_mae);
}

TEST(ModelsDeepNPTS, SameSeedSameForecast) {
  const json hp = {{"h", 12}, {"input_size", 24}, {"max_steps", 20}, {"random_seed", 3}};
  const auto a = testing::fit_air_passengers("DeepNPTS", hp), b = testing::fit_air_passengers("DeepNPTS", hp);
  EXPECT_EQ(a.forecast, b.forecast);
  json other = hp;
  other["random_seed"] = 4;
  EXPECT_NE(testing::fit_air_passengers("DeepNPTS", other).forecast, a.forecast);
}

TEST(ModelsDeepNPTS, SchemaFollowsNeuralForecast) {
  const json c = resolve_config(find_model("DeepNPTS"), {{"h", 12}, {"input_size", 24}});
  EXPECT_EQ(c["hidden_size"], 32);
  EXPECT_EQ(c["batch_norm"], true);
  EXPECT_EQ(c["dropout"], 0.1);
  EXPECT_EQ(c["n_layers"], 2);
  EXPECT_EQ(c["valid_loss"], "MAE");
  EXPECT_EQ(c["num_lr_decays"], 3);
  EXPECT_EQ(c["inference_windows_batch_size"], 1024);
  EXPECT_EQ(c["scaler_type"], "standard");
  // Linear(24, 32), BatchNorm(32), Linear(32, 32), BatchNorm(32), Linear(32, 24 * 12).
  auto m = make_model("DeepNPTS", {{"h", 12}, {"input_size", 24}});
  EXPECT_EQ(m->params().num_parameters(), 25 * 32 + 2 * 32 + 33 * 32 + 2 * 32 + 33 * 288);
}

TEST(ModelsDeepNPTS, RejectsWhatNeuralForecastRejects) {
  const json base = {{"h", 12}, {"input_size", 24}};
  auto with = [&](json extra) {
    json hp = base;
    hp.update(extra);
    return error_of([&] { make_model("DeepNPTS", hp); });
  };
  EXPECT_NE(with({{"loss", {{"name", "MQLoss"}}}, {"valid_loss", {{"name", "MQLoss"}}}}).find("only supports point loss"),
            std::string::npos);
  EXPECT_NE(with({{"exclude_insample_y", true}}).find("no possibility for excluding y"), std::string::npos);
  EXPECT_NE(with({{"dropout", 1.0}}).find("dropout must be in [0, 1)"), std::string::npos);
}

}  // namespace
}  // namespace nd::models
