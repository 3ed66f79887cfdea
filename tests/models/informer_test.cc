// Informer: forward parity with NeuralForecast (sizes where ProbAttention selects every query, so
// the random key sample does not matter), the ProbSparse query selection and sparse attention
// against NF's ProbAttention with an injected key sample, gradients of the sparse attention,
// schema, errors, training and deterministic predictions.
#include <gtest/gtest.h>

#include <cmath>

#include "gradcheck.h"
#include "models/encdec_transformer.h"
#include "models/model_test_util.h"
#include "nd/ops/elementwise.h"
#include "nd/ops/reduce.h"

namespace nd::models {
namespace {

using testing::error_of;

TEST(ModelsInformer, ForwardMatchesNeuralForecast) {
  // Cases: defaults at small size (distilling 8 -> 5 tokens); futr_exog, 3 quantiles, 3 encoder
  // layers (16 -> 9 -> 6 tokens); no distilling, relu, 2 decoder layers; train mode (the distilling
  // BatchNorm on batch statistics, running statistics updated).
  testing::expect_parity("Informer", "informer.json");
}

// NF's ProbAttention with the key sample injected: the selected queries equal NF's (M_top) and
// the context [B, H, L_Q, D] equals NF's, with sparse selection (u < L_Q): lazy queries get mean(V),
// or the cumulative sum of V in the causal decoder case.
TEST(ModelsInformer, ProbSparseAttentionMatchesNeuralForecastWithInjectedSample) {
  const json doc = testing::load_model_golden("informer.json");
  ASSERT_EQ(doc["prob_attention"].size(), 3u);
  for (const json& c : doc["prob_attention"]) {
    const std::string name = c["name"];
    const Shape sq(c["shape_q"].get<std::vector<int64_t>>()), sk(c["shape_k"].get<std::vector<int64_t>>());
    std::vector<float> q = c["q"].get<std::vector<float>>(), k = c["k"].get<std::vector<float>>(),
                       v = c["v"].get<std::vector<float>>();
    const std::vector<int64_t> idx = c["index_sample"].get<std::vector<int64_t>>();
    const int64_t U = c["sample_k"], u = c["n_top"];
    ASSERT_LT(u, sq[2]) << name << ": the case must exercise sparse selection";
    const std::vector<int64_t> top =
        prob_sparse_top_queries(q.data(), k.data(), sq[0] * sq[1], sq[2], sk[2], sq[3], idx.data(), U, u);
    EXPECT_EQ(top, c["top"].get<std::vector<int64_t>>()) << name;

    Graph g;
    NoGradGuard ng(g);
    Rng unused(1);
    Var y = prob_attention(g.input(Tensor(q.data(), sq)), g.input(Tensor(k.data(), sk)), g.input(Tensor(v.data(), sk)),
                           c["factor"].get<int64_t>(), c["causal"].get<bool>(), unused, idx.data());
    const std::vector<float> ref = c["output"].get<std::vector<float>>();
    ASSERT_EQ(y.numel(), static_cast<int64_t>(ref.size())) << name;
    double err = 0.0, scale = 0.0;
    for (size_t i = 0; i < ref.size(); ++i) {
      err = std::max(err, static_cast<double>(std::fabs(y.data()[i] - ref[i])));
      scale = std::max(scale, static_cast<double>(std::fabs(ref[i])));
    }
    std::printf("  ProbAttention/%s: max|diff|/max|ref| = %.3g\n", name.c_str(), err / scale);
    EXPECT_LE(err / scale, 1e-5) << name;
  }
}

// Finite-difference gradients of the sparse attention (fixed key sample; the selection is
// piecewise constant, so the perturbations must not change it: distinct random inputs).
TEST(ModelsInformer, ProbSparseAttentionGradients) {
  static std::vector<int64_t> idx;
  for (bool causal : {false, true}) {
    const int64_t B = 1, H = 2, L = 12, E = 3, factor = 1;  // u = U = ceil(ln 12) = 3 < 12
    Rng r(5);
    idx.resize(L * 3);
    for (int64_t& j : idx) j = static_cast<int64_t>(r.randint(L));
    nd::testing::GradCase gc{causal ? "prob_attention_causal" : "prob_attention",
                             {Shape{B, H, L, E}, Shape{B, H, L, E}, Shape{B, H, L, E}},
                             nullptr};
    gc.fn = [causal](std::vector<Var>& x) -> std::vector<Var> {
      Rng unused(1);
      return {prob_attention(x[0], x[1], x[2], 1, causal, unused, idx.data())};
    };
    const nd::testing::GradReport rep = nd::testing::gradcheck(gc);
    EXPECT_GT(rep.checked, 0);
    EXPECT_LE(rep.worst_ratio, 1.0) << gc.name << ": " << rep.where << " (abs err " << rep.max_abs_err << ")";
  }
}

TEST(ModelsInformer, SchemaFollowsNeuralForecast) {
  const ModelInfo& info = find_model("Informer");
  const json c = resolve_config(info, {{"h", 96}, {"input_size", 96}});
  EXPECT_EQ(c["decoder_input_size_multiplier"], 0.5);
  EXPECT_EQ(c["hidden_size"], 128);
  EXPECT_EQ(c["dropout"], 0.05);
  EXPECT_EQ(c["factor"], 3);
  EXPECT_EQ(c["n_head"], 4);
  EXPECT_EQ(c["conv_hidden_size"], 32);
  EXPECT_EQ(c["activation"], "gelu");
  EXPECT_EQ(c["encoder_layers"], 2);
  EXPECT_EQ(c["decoder_layers"], 1);
  EXPECT_EQ(c["distil"], true);
  EXPECT_EQ(c["max_steps"], 5000);
  EXPECT_EQ(c["learning_rate"], 1e-4);
  EXPECT_EQ(c["inference_windows_batch_size"], 1024);
  EXPECT_TRUE(info.futr_exog);
  EXPECT_FALSE(info.hist_exog);
}

TEST(ModelsInformer, RejectsWhatItCannotDo) {
  auto with = [&](json extra) {
    json j = {{"h", 12}, {"input_size", 24}, {"hidden_size", 16}};
    j.update(extra);
    return error_of([&] { make_model("Informer", j); });
  };
  EXPECT_NE(with({{"factor", 0}}).find("factor must be >= 1"), std::string::npos);
  EXPECT_NE(with({{"decoder_input_size_multiplier", 1.5}}).find("range (0, 1)"), std::string::npos);
  EXPECT_NE(with({{"activation", "ReLU"}}).find("activation must be 'relu' or 'gelu'"), std::string::npos);
  EXPECT_NE(with({{"stat_exog_list", {"s"}}}).find("does not take stat_exog_list"), std::string::npos);
}

// Sparse attention in training and prediction (input 24: u = 3 * ceil(ln 24) = 12 < 24); the
// training key samples come from the seeded RNG and the eval-mode sample is fixed, so the same
// seed gives the same forecast.
TEST(ModelsInformer, LearnsAirPassengersWithSparseAttention) {
  json hp = {{"h", 12}, {"input_size", 24}, {"hidden_size", 16}, {"n_head", 2}, {"conv_hidden_size", 16},
             {"max_steps", 100}, {"learning_rate", 1e-3}, {"windows_batch_size", 32}, {"scaler_type", "standard"},
             {"random_seed", 1}};
  const auto r = testing::fit_air_passengers("Informer", hp);
  EXPECT_LT(r.mae, 2.0 * r.naive_mae);
  hp["max_steps"] = 5;
  EXPECT_EQ(testing::fit_air_passengers("Informer", hp).forecast, testing::fit_air_passengers("Informer", hp).forecast);
}

}  // namespace
}  // namespace nd::models
