// iTransformer: forward parity with NeuralForecast, schema, errors, multivariate training
// (all series of a window together) and determinism.
#include <gtest/gtest.h>

#include "models/model_test_util.h"

namespace nd::models {
namespace {

using testing::error_of;

TEST(ModelsITransformer, ForwardMatchesNeuralForecast) {
  // Cases: 4 series with normalization, 2 layers; 3 quantiles ([B, h, Q * N] layout) without
  // normalization; one series, 3 layers, one head; 2 future exogenous channels ([B, F, L + h, N],
  // 6 extra tokens) with 3 quantiles.
  testing::expect_parity("iTransformer", "itransformer.json");
}

TEST(ModelsITransformer, SchemaFollowsNeuralForecast) {
  const json c = resolve_config(find_model("iTransformer"), {{"h", 96}, {"input_size", 96}, {"n_series", 7}});
  EXPECT_EQ(c["hidden_size"], 512);
  EXPECT_EQ(c["n_heads"], 8);
  EXPECT_EQ(c["e_layers"], 2);
  EXPECT_EQ(c["d_layers"], 1);
  EXPECT_EQ(c["d_ff"], 2048);
  EXPECT_EQ(c["factor"], 1);
  EXPECT_EQ(c["dropout"], 0.1);
  EXPECT_EQ(c["use_norm"], true);
  EXPECT_EQ(c["max_steps"], 1000);
  EXPECT_EQ(c["learning_rate"], 1e-3);
  EXPECT_EQ(c["windows_batch_size"], 32);
  EXPECT_EQ(c["inference_windows_batch_size"], 32);
  EXPECT_TRUE(find_model("iTransformer").multivariate);
  EXPECT_FALSE(find_model("PatchTST").multivariate);
}

TEST(ModelsITransformer, RejectsWhatItCannotDo) {
  auto with = [&](json extra) {
    json j = {{"h", 12}, {"input_size", 24}, {"n_series", 2}};
    j.update(extra);
    return error_of([&] { make_model("iTransformer", j); });
  };
  EXPECT_NE(error_of([&] { make_model("iTransformer", {{"h", 12}, {"input_size", 24}}); })
                .find("multivariate model: set n_series"),
            std::string::npos);
  EXPECT_NE(with({{"n_heads", 5}}).find("must be divisible by n_heads"), std::string::npos);
  EXPECT_NE(with({{"hist_exog_list", {"a"}}}).find("does not take hist_exog_list"), std::string::npos);
}

// Two related series: iTransformer trains on windows of both (the wrong series count is refused)
// and its forecast beats the seasonal naive one; same seed, same forecast.
TEST(ModelsITransformer, TrainsOnAllSeriesAtOnce) {
  data::Frame all = data::read_csv_string(data::embedded_air_passengers(), "air_passengers.csv");
  const int64_t n = all.n_rows(), kH = 12;
  data::Frame two;
  two.ids = {"a", "b"};
  two.time_kind = all.time_kind;
  two.columns = all.columns;
  two.values.assign(all.values.size(), {});
  two.indptr = {0};
  const std::vector<float>& y = all.column("y");
  for (int s = 0; s < 2; ++s) {
    for (int64_t r = 0; r < n - kH; ++r) {
      two.ds.push_back(all.ds[r]);
      for (size_t c = 0; c < all.values.size(); ++c)
        two.values[c].push_back(s == 0 ? all.values[c][r] : 0.5f * all.values[c][r] + 20.0f);
    }
    two.indptr.push_back(two.indptr.back() + n - kH);
  }
  const json hp = {{"h", kH},         {"input_size", 24},  {"n_series", 2},        {"hidden_size", 32},
                   {"n_heads", 4},    {"d_ff", 64},        {"max_steps", 200},     {"learning_rate", 1e-3},
                   {"random_seed", 1}, {"scaler_type", "standard"}};
  auto fit = [&](json kw) {
    std::vector<std::unique_ptr<Model>> ms;
    ms.push_back(make_model("iTransformer", kw));
    forecast::NeuralForecast nf(std::move(ms), "MS");
    nf.verbose = false;
    nf.fit(two);
    return nf.predict().column("iTransformer");
  };
  const std::vector<float> f = fit(hp);
  ASSERT_EQ(f.size(), 2u * kH);
  std::vector<float> naive(kH);
  forecast::seasonal_naive(y.data(), n - kH, 12, kH, naive.data());
  const double mae = forecast::mae(y.data() + n - kH, f.data(), kH);
  const double naive_mae = forecast::mae(y.data() + n - kH, naive.data(), kH);
  std::printf("  iTransformer on AirPassengers (series a): MAE %.2f vs seasonal naive %.2f\n", mae, naive_mae);
  EXPECT_LT(mae, naive_mae);
  json short_hp = hp;
  short_hp["max_steps"] = 5;
  EXPECT_EQ(fit(short_hp), fit(short_hp));
  json wrong = hp;
  wrong["n_series"] = 3;
  EXPECT_NE(error_of([&] { fit(wrong); }).find("n_series = 3 but the data has 2 series"), std::string::npos);
}

}  // namespace
}  // namespace nd::models
