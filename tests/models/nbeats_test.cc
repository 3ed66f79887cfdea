// NBEATS: forward parity with NeuralForecast (every trend basis, seasonality, shared weights),
// AirPassengers accuracy, determinism, schema and errors.
#include <gtest/gtest.h>

#include "models/model_test_util.h"

namespace nd::models {
namespace {

using testing::error_of;

TEST(ModelsNBEATS, ForwardMatchesNeuralForecast) {
  // Cases: identity + trend + seasonality; shared weights + PReLU + 3 quantiles with
  // n_harmonics 3; one trend stack per basis family (legendre, chebyshev, changepoint,
  // piecewise_linear, linear_hat, spline).
  testing::expect_parity("NBEATS", "nbeats.json");
}

TEST(ModelsNBEATS, BeatsSeasonalNaiveOnAirPassengers) {
  const json hp = {{"h", 12},         {"input_size", 24},         {"max_steps", 150},
                   {"mlp_units", {{128, 128}, {128, 128}}},      {"windows_batch_size", 128},
                   {"scaler_type", "robust"}, {"learning_rate", 1e-3}, {"random_seed", 1}};
  const testing::AirResult r = testing::fit_air_passengers("NBEATS", hp);
  EXPECT_LT(r.mae, r.naive_mae);
}

TEST(ModelsNBEATS, SameSeedSameForecast) {
  const json hp = {{"h", 12}, {"input_size", 24}, {"max_steps", 20}, {"mlp_units", {{32, 32}}},
                   {"windows_batch_size", 64}, {"random_seed", 3}};
  const auto a = testing::fit_air_passengers("NBEATS", hp), b = testing::fit_air_passengers("NBEATS", hp);
  EXPECT_EQ(a.forecast, b.forecast);
}

TEST(ModelsNBEATS, SchemaFollowsNeuralForecast) {
  const json c = resolve_config(find_model("NBEATS"), {{"h", 12}, {"input_size", 24}});
  EXPECT_EQ(c["stack_types"], json({"identity", "trend", "seasonality"}));
  EXPECT_EQ(c["n_blocks"], json({1, 1, 1}));
  EXPECT_EQ(c["mlp_units"], json({{512, 512}, {512, 512}, {512, 512}}));
  EXPECT_EQ(c["n_harmonics"], 2);
  EXPECT_EQ(c["n_basis"], 2);
  EXPECT_EQ(c["basis"], "polynomial");
  EXPECT_TRUE(c["n_polynomials"].is_null());
  EXPECT_EQ(c["shared_weights"], false);
  EXPECT_EQ(c["num_lr_decays"], 3);
  EXPECT_FALSE(find_model("NBEATS").futr_exog || find_model("NBEATS").hist_exog || find_model("NBEATS").stat_exog);
  // Shared weights: one parameter set per stack.
  auto shared = make_model("NBEATS", {{"h", 6}, {"input_size", 12}, {"mlp_units", {{8, 8}}},
                                      {"n_blocks", {3, 3, 3}}, {"shared_weights", true}});
  auto single = make_model("NBEATS", {{"h", 6}, {"input_size", 12}, {"mlp_units", {{8, 8}}}});
  EXPECT_EQ(shared->params().num_parameters(), single->params().num_parameters());
  EXPECT_GE(shared->params().find("blocks.3.layers.0.weight").index, 0);  // stack 2 starts at block 3
  EXPECT_LT(shared->params().find("blocks.1.layers.0.weight").index, 0);
}

TEST(ModelsNBEATS, RejectsWhatItCannotDo) {
  const json base = {{"h", 12}, {"input_size", 24}};
  auto with = [&](json extra) {
    json j = base;
    j.update(extra);
    return error_of([&] { make_model("NBEATS", j); });
  };
  EXPECT_NE(with({{"dropout_prob_theta", 0.1}}).find("dropout_prob_theta > 0 is not implemented"),
            std::string::npos);
  EXPECT_NE(with({{"h", 1}}).find("h=1 incompatible"), std::string::npos);
  EXPECT_NE(with({{"stack_types", {"generic"}}, {"n_blocks", {1}}}).find("block type 'generic' not found"),
            std::string::npos);
  EXPECT_NE(with({{"basis", "fourier"}}).find("basis 'fourier' not found"), std::string::npos);
  EXPECT_NE(with({{"basis", "spline"}}).find("n_basis >= 3"), std::string::npos);
  EXPECT_NE(with({{"exclude_insample_y", true}}).find("does not support exclude_insample_y"), std::string::npos);
  EXPECT_NE(with({{"hist_exog_list", {"x"}}}).find("does not take hist_exog_list"), std::string::npos);
}

}  // namespace
}  // namespace nd::models
