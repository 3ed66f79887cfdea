// TFT: forward parity with NeuralForecast (with and without exogenous variables, LSTM / GRU,
// per-layer or shared initial states), the interpretability record (attention and variable
// selection weights) against NF's interpretability_params, input gradients by finite
// differences, schema, refused options, training and determinism.
#include <gtest/gtest.h>

#include "gradcheck.h"
#include "models/model_test_util.h"

namespace nd::models {
namespace {

using testing::error_of;

TEST(ModelsTFT, ForwardMatchesNeuralForecast) {
  // Cases: no exogenous variables; every exogenous kind with two LSTM layers; GRU with one shared
  // initial state, GELU and 3 quantiles (h > input_size); single future / static variables with
  // two target embeddings and LeakyReLU.
  testing::expect_parity("TFT", "tft.json");
}

const NamedArray* find(const std::vector<NamedArray>& v, const std::string& name) {
  for (const NamedArray& a : v)
    if (a.name == name) return &a;
  return nullptr;
}

// The record after a forward in eval mode equals NF's interpretability_params averaged over the
// batch (attention also over heads), for the same weights and inputs.
TEST(ModelsTFT, InterpretabilityMatchesNeuralForecast) {
  const json doc = testing::load_model_golden("tft.json");
  for (const json& c : doc["cases"]) {
    std::unique_ptr<Model> m;
    ASSERT_LE(testing::parity_error("TFT", c, {}, &m), 1e-4) << c["name"];
    const std::vector<NamedArray> got = m->interpretability();
    ASSERT_TRUE(c.contains("interpretability"));
    int compared = 0;
    for (auto& [name, t] : c["interpretability"].items()) {
      const NamedArray* a = find(got, name);
      ASSERT_NE(a, nullptr) << c["name"] << ": " << name;
      EXPECT_EQ(a->shape, t["shape"].get<std::vector<int64_t>>()) << c["name"] << ": " << name;
      const std::vector<float> want = t["values"].get<std::vector<float>>();
      ASSERT_EQ(a->values.size(), want.size()) << name;
      for (size_t k = 0; k < want.size(); ++k) EXPECT_NEAR(a->values[k], want[k], 2e-5) << c["name"] << ": " << name;
      ++compared;
    }
    EXPECT_GE(compared, 3) << c["name"];
    const int64_t S = static_cast<int64_t>(c["hparams"].value("stat_exog_list", json::array()).size());
    EXPECT_EQ(find(got, "static_encoder_sparse_weights") != nullptr, S > 0) << c["name"];
  }
}

// Weights that are distributions sum to 1; the attention is causal; labels name the variables in
// the order the historic selection network sees them.
TEST(ModelsTFT, InterpretabilityShapesLabelsAndSums) {
  const json doc = testing::load_model_golden("tft.json");
  for (const json& c : doc["cases"]) {
    std::unique_ptr<Model> m;
    testing::parity_error("TFT", c, {}, &m);
    const int64_t L = m->input_size(), h = m->h(), T = L + h;
    const std::vector<NamedArray> got = m->interpretability();
    const NamedArray* attn = find(got, "attn_wts");
    ASSERT_NE(attn, nullptr);
    ASSERT_EQ(attn->shape, (std::vector<int64_t>{T, T}));
    for (int64_t i = 0; i < T; ++i) {
      double sum = 0.0;
      for (int64_t j = 0; j < T; ++j) {
        sum += attn->values[i * T + j];
        if (j > i) EXPECT_EQ(attn->values[i * T + j], 0.0f) << "future key " << j << " seen by query " << i;
      }
      EXPECT_NEAR(sum, 1.0, 1e-5);
    }
    for (const NamedArray& a : got) {
      if (a.name == "attn_wts") continue;
      const int64_t n = a.shape.back();
      ASSERT_EQ(static_cast<int64_t>(a.labels.size()), n) << a.name;
      for (size_t r = 0; r * n < a.values.size(); ++r) {
        double sum = 0.0;
        for (int64_t k = 0; k < n; ++k) sum += a.values[r * n + k];
        EXPECT_NEAR(sum, 1.0, 1e-5) << c["name"] << ": " << a.name << " row " << r;
      }
    }
    const NamedArray* hist = find(got, "history_vsn_wgts");
    ASSERT_NE(hist, nullptr);
    EXPECT_EQ(hist->shape[0], L);
    const std::vector<std::string> futr = m->futr_exog_list();
    std::vector<std::string> want = m->hist_exog_list();
    want.insert(want.end(), futr.begin(), futr.end());
    if (futr.empty()) want.push_back("repeated_target");
    if (m->geti("tgt_size") == 1) want.push_back("observed_target");
    else
      for (int64_t t = 1; t <= m->geti("tgt_size"); ++t) want.push_back("observed_target_" + std::to_string(t));
    EXPECT_EQ(hist->labels, want) << c["name"];
    EXPECT_EQ(find(got, "future_vsn_wgts")->shape[0], h);
  }
}

// d(sum <forward, R>) / d(inputs) by central differences, exogenous inputs included: checks the
// composition (causal attention, selection weights, gated skips, LSTM states from static context)
// in inference mode (which also records the weights) and training mode (dropouts 0 here).
TEST(ModelsTFT, InputGradientsMatchFiniteDifferences) {
  const int64_t B = 2, L = 5, h = 3;
  const json hp = {{"h", h},          {"input_size", L},     {"hidden_size", 8},        {"n_head", 2},
                   {"n_rnn_layers", 2}, {"dropout", 0.0},     {"futr_exog_list", {"f"}}, {"hist_exog_list", {"x"}},
                   {"stat_exog_list", {"s1", "s2"}}};
  std::unique_ptr<Model> m = make_model("TFT", hp);
  for (bool training : {false, true}) {
    m->set_training(training);
    nd::testing::GradCase gc;
    gc.name = training ? "tft_train" : "tft_eval";
    gc.inputs = {Shape{B, L}, Shape{B, L + h, 1}, Shape{B, L, 1}, Shape{B, 2}};
    gc.fn = [&](std::vector<Var>& in) {
      WindowBatch w;
      w.B = B, w.L = L, w.h = h;
      w.insample_y = in[0];
      w.futr_exog = in[1], w.hist_exog = in[2], w.stat_exog = in[3];
      return std::vector<Var>{m->forward(w)};
    };
    gc.eps = 1e-2f;
    gc.atol = 3e-3f;
    gc.rtol = 3e-2f;
    const nd::testing::GradReport r = nd::testing::gradcheck(gc);
    EXPECT_LE(r.worst_ratio, 1.0) << gc.name << ": " << r.where;
    EXPECT_GT(r.checked, 0);
  }
}

// Without dropout, training mode (no record) computes what inference does.
TEST(ModelsTFT, TrainingPathMatchesInferencePath) {
  const json doc = testing::load_model_golden("tft.json");
  for (const json& c : doc["cases"]) {
    json tc = c;
    tc["hparams"]["dropout"] = 0.0;
    tc["train"] = true;
    EXPECT_LE(testing::parity_error("TFT", tc), 1e-5) << c["name"];
  }
}

TEST(ModelsTFT, SchemaFollowsNeuralForecast) {
  const json c = resolve_config(find_model("TFT"), {{"h", 12}, {"input_size", 24}});
  EXPECT_EQ(c["tgt_size"], 1);
  EXPECT_EQ(c["hidden_size"], 128);
  EXPECT_EQ(c["n_head"], 4);
  EXPECT_EQ(c["attn_dropout"], 0.0);
  EXPECT_EQ(c["grn_activation"], "ELU");
  EXPECT_EQ(c["n_rnn_layers"], 1);
  EXPECT_EQ(c["rnn_type"], "lstm");
  EXPECT_EQ(c["one_rnn_initial_state"], false);
  EXPECT_EQ(c["dropout"], 0.1);
  EXPECT_EQ(c["scaler_type"], "robust");
  EXPECT_EQ(c["windows_batch_size"], 1024);
  EXPECT_EQ(c["inference_windows_batch_size"], 1024);
  EXPECT_EQ(c["max_steps"], 1000);
  const ModelInfo& info = find_model("TFT");
  EXPECT_TRUE(info.futr_exog && info.hist_exog && info.stat_exog);
}

TEST(ModelsTFT, RejectsWhatItCannotDo) {
  auto with = [&](json extra) {
    json j = {{"h", 4}, {"input_size", 8}, {"hidden_size", 8}};
    j.update(extra);
    return error_of([&] { make_model("TFT", j); });
  };
  EXPECT_NE(with({{"grn_activation", "GLU"}}).find("grn_activation 'GLU' is not supported"), std::string::npos);
  EXPECT_NE(with({{"grn_activation", "Swish"}}).find("grn_activation 'Swish' is not one of"), std::string::npos);
  EXPECT_NE(with({{"rnn_type", "rnn"}}).find("rnn_type must be 'lstm' or 'gru'"), std::string::npos);
  EXPECT_NE(with({{"n_head", 3}}).find("must be divisible by n_head"), std::string::npos);
  EXPECT_NE(with({{"exclude_insample_y", true}}).find("exclude_insample_y=True is not supported"), std::string::npos);
  EXPECT_NE(with({{"dropout", 1.0}}).find("dropout must be in [0, 1)"), std::string::npos);
  EXPECT_NE(with({{"n_rnn_layers", 0}}).find("n_rnn_layers must be >= 1"), std::string::npos);
  EXPECT_EQ(with({{"rnn_type", "GRU"}}), "<no error>");  // NF lowercases rnn_type
}

// AirPassengers: beats seasonal naive; same seed, same forecast.
TEST(ModelsTFT, TrainsOnAirPassengers) {
  const json hp = {{"h", 12},           {"input_size", 24},         {"hidden_size", 16},  {"n_head", 2},
                   {"max_steps", 100},  {"learning_rate", 1e-2},    {"scaler_type", "standard"},
                   {"windows_batch_size", 64}, {"random_seed", 1}};
  const testing::AirResult r = testing::fit_air_passengers("TFT", hp);
  EXPECT_LT(r.mae, r.naive_mae);
  json short_hp = hp;
  short_hp["max_steps"] = 5;
  EXPECT_EQ(testing::fit_air_passengers("TFT", short_hp).forecast, testing::fit_air_passengers("TFT", short_hp).forecast);
}

}  // namespace
}  // namespace nd::models
