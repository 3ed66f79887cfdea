// Model registry: defaults, validation errors naming the problem, loss configs.
#include <gtest/gtest.h>

#include "nd/core/error.h"
#include "nd/models/model.h"

namespace nd::models {
namespace {

template <typename F>
std::string error_of(F&& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  return "<no error>";
}

TEST(ModelsRegistry, DefaultsFollowNeuralForecast) {
  const json mlp = resolve_config(find_model("mlp"), {{"h", 12}, {"input_size", 24}});
  EXPECT_EQ(mlp["max_steps"], 1000);
  EXPECT_EQ(mlp["hidden_size"], 1024);
  EXPECT_EQ(mlp["num_layers"], 2);
  EXPECT_EQ(mlp["learning_rate"], 1e-3);
  EXPECT_EQ(mlp["num_lr_decays"], -1);
  EXPECT_EQ(mlp["windows_batch_size"], 1024);
  EXPECT_EQ(mlp["scaler_type"], "identity");
  const json nl = resolve_config(find_model("NLinear"), {{"h", 12}, {"input_size", 24}});
  EXPECT_EQ(nl["max_steps"], 5000);
  EXPECT_EQ(nl["learning_rate"], 1e-4);
  EXPECT_EQ(resolve_config(find_model("DLINEAR"), {{"h", 1}, {"input_size", 3}})["moving_avg_window"], 25);
}

TEST(ModelsRegistry, BadHyperparametersNameTheProblem) {
  EXPECT_NE(error_of([] { find_model("Prophet"); }).find("unknown model 'Prophet'; available models: MLP"),
            std::string::npos);
  const std::string unknown = error_of([] { resolve_config(find_model("MLP"), {{"h", 1}, {"input_size", 2}, {"hiden_size", 3}}); });
  EXPECT_NE(unknown.find("unknown hyperparameter 'hiden_size'"), std::string::npos) << unknown;
  EXPECT_NE(unknown.find("hidden_size"), std::string::npos) << unknown;
  const std::string type = error_of([] { resolve_config(find_model("MLP"), {{"h", 1}, {"input_size", 2}, {"max_steps", "many"}}); });
  EXPECT_NE(type.find("'max_steps' expects int"), std::string::npos) << type;
  EXPECT_NE(error_of([] { resolve_config(find_model("MLP"), {{"input_size", 2}}); }).find("'h' is required"),
            std::string::npos);
  EXPECT_NE(error_of([] { resolve_config(find_model("MLP"), {{"h", 0}, {"input_size", 2}}); }).find("h must be >= 1"),
            std::string::npos);
  EXPECT_NE(error_of([] { resolve_config(find_model("NLinear"), {{"h", 1}, {"input_size", 2}, {"hist_exog_list", {"x"}}}); })
                .find("NLinear does not take hist_exog_list"),
            std::string::npos);
  EXPECT_NE(error_of([] { resolve_config(find_model("MLP"), {{"h", 1}, {"input_size", 2}, {"loss", "L7"}}); })
                .find("unknown loss 'L7'"),
            std::string::npos);
  // Integers are fine where floats are expected.
  EXPECT_EQ(resolve_config(find_model("MLP"), {{"h", 1}, {"input_size", 2}, {"learning_rate", 1}})["learning_rate"], 1.0);
}

TEST(ModelsRegistry, LossConfigsRoundTrip) {
  const losses::Loss mq = loss_from_json({{"name", "MQLoss"}, {"level", {80, 90}}});
  EXPECT_EQ(mq.output_names(), (std::vector<std::string>{"-median", "-lo-90", "-lo-80", "-hi-80", "-hi-90"}));
  const losses::Loss back = loss_from_json(loss_to_json(mq));
  EXPECT_EQ(back.quantiles(), mq.quantiles());
  EXPECT_EQ(loss_from_json("huberloss").kind(), losses::Kind::Huber);
  EXPECT_EQ(loss_from_json({{"name", "QuantileLoss"}, {"q", 0.2}}).quantiles().size(), 0u);
  EXPECT_THROW(loss_from_json({{"name", "MAE"}, {"bogus", 1}}), Error);
}

TEST(ModelsRegistry, MakeModelAllocatesFromSeed) {
  auto a = make_model("MLP", {{"h", 3}, {"input_size", 5}, {"hidden_size", 8}, {"random_seed", 4}});
  auto b = make_model("MLP", {{"h", 3}, {"input_size", 5}, {"hidden_size", 8}, {"random_seed", 4}});
  auto c = make_model("MLP", {{"h", 3}, {"input_size", 5}, {"hidden_size", 8}, {"random_seed", 5}});
  ASSERT_EQ(a->params().size(), b->params().size());
  EXPECT_TRUE(std::equal(a->params().data(), a->params().data() + a->params().size(), b->params().data()));
  EXPECT_FALSE(std::equal(a->params().data(), a->params().data() + a->params().size(), c->params().data()));
  EXPECT_EQ(a->alias(), "MLP");
  EXPECT_EQ(make_model("MLP", {{"h", 3}, {"input_size", 5}, {"alias", "mine"}})->alias(), "mine");
}

}  // namespace
}  // namespace nd::models
