// NHITS: forward parity with NeuralForecast, AirPassengers accuracy, determinism, schema and errors.
#include <gtest/gtest.h>

#include "models/model_test_util.h"

namespace nd::models {
namespace {

using testing::error_of;

TEST(ModelsNHITS, ForwardMatchesNeuralForecast) {
  // Cases: default layout; AvgPool1d + nearest + PReLU + 3 quantiles + ceil-mode pooling; dropout
  // (eval: identity) with Tanh; futr / hist / stat exogenous inputs.
  testing::expect_parity("NHITS", "nhits.json");
}

TEST(ModelsNHITS, BeatsSeasonalNaiveOnAirPassengers) {
  const json hp = {{"h", 12},         {"input_size", 24},        {"max_steps", 150},
                   {"mlp_units", {{128, 128}, {128, 128}}},     {"windows_batch_size", 128},
                   {"scaler_type", "robust"}, {"learning_rate", 1e-3}, {"random_seed", 1}};
  const testing::AirResult r = testing::fit_air_passengers("NHITS", hp);
  EXPECT_LT(r.mae, r.naive_mae);
}

TEST(ModelsNHITS, SameSeedSameForecast) {
  const json hp = {{"h", 12}, {"input_size", 24}, {"max_steps", 20}, {"mlp_units", {{32, 32}}},
                   {"dropout_prob_theta", 0.2}, {"windows_batch_size", 64}, {"random_seed", 3}};
  const auto a = testing::fit_air_passengers("NHITS", hp), b = testing::fit_air_passengers("NHITS", hp);
  EXPECT_EQ(a.forecast, b.forecast);
  json other = hp;
  other["random_seed"] = 4;
  EXPECT_NE(testing::fit_air_passengers("NHITS", other).forecast, a.forecast);
}

TEST(ModelsNHITS, SchemaFollowsNeuralForecast) {
  const json c = resolve_config(find_model("NHITS"), {{"h", 12}, {"input_size", 24}});
  EXPECT_EQ(c["stack_types"], json({"identity", "identity", "identity"}));
  EXPECT_EQ(c["n_blocks"], json({1, 1, 1}));
  EXPECT_EQ(c["mlp_units"], json({{512, 512}, {512, 512}, {512, 512}}));
  EXPECT_EQ(c["n_pool_kernel_size"], json({2, 2, 1}));
  EXPECT_EQ(c["n_freq_downsample"], json({4, 2, 1}));
  EXPECT_EQ(c["pooling_mode"], "MaxPool1d");
  EXPECT_EQ(c["interpolation_mode"], "linear");
  EXPECT_EQ(c["activation"], "ReLU");
  EXPECT_EQ(c["num_lr_decays"], 3);
  EXPECT_EQ(c["windows_batch_size"], 1024);
  EXPECT_TRUE(find_model("nhits").futr_exog && find_model("nhits").hist_exog && find_model("nhits").stat_exog);
  // Default sizes: 3 blocks of Linear(12 | 24, 512), 3 x Linear(512, 512), Linear(512, 24 + 12 / f).
  auto m = make_model("NHITS", {{"h", 12}, {"input_size", 24}});
  int64_t n = 0;
  for (int64_t f : {4, 2, 1}) {
    const int64_t in = (f == 1 ? 24 : 12);
    n += (in + 1) * 512 + 3 * 513 * 512 + 513 * (24 + 12 / f);
  }
  EXPECT_EQ(m->params().num_parameters(), n);
}

TEST(ModelsNHITS, RejectsWhatItCannotDo) {
  const json base = {{"h", 12}, {"input_size", 24}};
  auto with = [&](json extra) {
    json j = base;
    j.update(extra);
    return error_of([&] { make_model("NHITS", j); });
  };
  EXPECT_NE(with({{"interpolation_mode", "cubic"}}).find("interpolation_mode 'cubic' is not supported"),
            std::string::npos);
  EXPECT_NE(with({{"pooling_mode", "LPPool1d"}}).find("pooling_mode must be"), std::string::npos);
  EXPECT_NE(with({{"activation", "relu"}}).find("is not one of NeuralForecast's activations"), std::string::npos);
  EXPECT_NE(with({{"stack_types", {"identity", "trend", "identity"}}}).find("stack type 'trend'"), std::string::npos);
  EXPECT_NE(with({{"n_blocks", {1, 1}}}).find("same length"), std::string::npos);
  EXPECT_NE(with({{"mlp_units", {{16, 16}, {8, 8}}}}).find("chain"), std::string::npos);
}

}  // namespace
}  // namespace nd::models
