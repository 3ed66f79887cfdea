// PatchTST: forward parity with NeuralForecast (eval and train-mode BatchNorm), schema, errors,
// determinism and an AirPassengers fit.
#include <gtest/gtest.h>

#include "models/model_test_util.h"

namespace nd::models {
namespace {

using testing::error_of;

TEST(ModelsPatchTST, ForwardMatchesNeuralForecast) {
  // Cases: NF defaults at a small size (residual attention, RevIN subtract-last, post-norm
  // BatchNorm); plain attention + affine RevIN + pre-norm + ReLU + frozen position embedding +
  // MQLoss; no RevIN with patch_len capped at input_size + stride; train-mode BatchNorm.
  testing::expect_parity("PatchTST", "patchtst.json");
}

TEST(ModelsPatchTST, SchemaFollowsNeuralForecast) {
  const json c = resolve_config(find_model("PatchTST"), {{"h", 96}, {"input_size", 96}});
  EXPECT_EQ(c["encoder_layers"], 3);
  EXPECT_EQ(c["n_heads"], 16);
  EXPECT_EQ(c["hidden_size"], 128);
  EXPECT_EQ(c["linear_hidden_size"], 256);
  EXPECT_EQ(c["dropout"], 0.2);
  EXPECT_EQ(c["fc_dropout"], 0.2);
  EXPECT_EQ(c["head_dropout"], 0.0);
  EXPECT_EQ(c["attn_dropout"], 0.0);
  EXPECT_EQ(c["patch_len"], 16);
  EXPECT_EQ(c["stride"], 8);
  EXPECT_EQ(c["revin"], true);
  EXPECT_EQ(c["revin_affine"], false);
  EXPECT_EQ(c["revin_subtract_last"], true);
  EXPECT_EQ(c["activation"], "gelu");
  EXPECT_EQ(c["res_attention"], true);
  EXPECT_EQ(c["batch_normalization"], false);
  EXPECT_EQ(c["learn_pos_embed"], true);
  EXPECT_EQ(c["max_steps"], 5000);
  EXPECT_EQ(c["learning_rate"], 1e-4);
  EXPECT_EQ(c["windows_batch_size"], 1024);
  EXPECT_EQ(c["inference_windows_batch_size"], 1024);
  // BatchNorm running statistics are saved with the weights but are not trainable parameters.
  auto m = make_model("PatchTST", {{"h", 96}, {"input_size", 96}});
  const nn::ParameterStore& s = m->params();
  int64_t all = 0;
  for (const nn::ParamInfo& p : s.params()) all += p.shape.numel();
  EXPECT_EQ(all - s.num_parameters(), 3 * 2 * 2 * 128 + 3);  // running mean / var of 6 norms, 3 frozen scales
}

TEST(ModelsPatchTST, RejectsWhatItCannotDo) {
  auto with = [&](json extra) {
    json j = {{"h", 12}, {"input_size", 24}};
    j.update(extra);
    return error_of([&] { make_model("PatchTST", j); });
  };
  EXPECT_NE(with({{"activation", "tanh"}}).find("'tanh' is not available"), std::string::npos);
  EXPECT_NE(with({{"n_heads", 5}}).find("must be divisible by n_heads"), std::string::npos);
  EXPECT_NE(with({{"futr_exog_list", {"a"}}}).find("does not take futr_exog_list"), std::string::npos);
  EXPECT_NE(with({{"exclude_insample_y", true}}).find("exclude_insample_y=True is not supported"), std::string::npos);
}

TEST(ModelsPatchTST, BeatsSeasonalNaiveOnAirPassengersAndIsDeterministic) {
  const json hp = {{"h", 12}, {"input_size", 36}, {"max_steps", 150}, {"hidden_size", 32}, {"n_heads", 4},
                   {"linear_hidden_size", 64}, {"encoder_layers", 2}, {"patch_len", 8}, {"stride", 4},
                   {"learning_rate", 1e-3}, {"windows_batch_size", 64}, {"random_seed", 1}};
  const testing::AirResult a = testing::fit_air_passengers("PatchTST", hp);
  EXPECT_LT(a.mae, a.naive_mae);
  json short_hp = hp;
  short_hp["max_steps"] = 5;
  EXPECT_EQ(testing::fit_air_passengers("PatchTST", short_hp).forecast,
            testing::fit_air_passengers("PatchTST", short_hp).forecast);
}

}  // namespace
}  // namespace nd::models
