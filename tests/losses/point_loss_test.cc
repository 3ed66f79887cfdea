// HuberQLoss, HuberMQLoss, TukeyLoss, sCRPS, Accuracy and relMSE against NeuralForecast 3.3
// (goldens from tests/golden/make_point_loss_goldens.py): value and gradient <= 1e-5 relative;
// NeuralForecast's training / validation refusals; column names.
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>

#include "nd/models/model.h"
#include "nd/nd.h"
#include "parity/torch_golden.h"

namespace nd {
namespace {

using testing::json;
using testing::rel_err;
using testing::vec;

const json& goldens() {
  static const json doc = [] {
    std::ifstream f(std::string(ND_GOLDEN_DIR) + "/point_losses.json");
    if (!f) throw std::runtime_error("missing tests/golden/point_losses.json");
    return json::parse(f);
  }();
  return doc;
}

class PointLossParity : public ::testing::TestWithParam<std::string> {};

TEST_P(PointLossParity, ValueAndGradient) {
  const json& c = testing::golden_case(goldens(), "cases", GetParam());
  const losses::Loss l = models::loss_from_json(c["loss"]);
  const int64_t B = c["B"], h = c["h"], N = c["N"], Q = c["Q"];
  std::vector<float> y = vec(c["y"]), mask = vec(c["mask"]), yhat = vec(c["yhat"]);
  const double want = c["value"];
  if (l.kind() == losses::Kind::RelMSE) {
    const std::vector<float> bench = vec(c["benchmark"]);
    const double v = losses::relmse(y.data(), yhat.data(), bench.data(), mask.data(), B * N, h, l.horizon_weight());
    EXPECT_NEAR(v, want, 1e-5 * std::max(1.0, std::fabs(want)));
    return;
  }
  Graph g;
  const Shape ys{B * N, h};
  Var x = g.input(Tensor(yhat.data(), Q > 1 ? Shape{B * N, h, Q} : ys), l.trainable());
  Var v = l(x, Tensor(y.data(), ys), Tensor(mask.data(), ys), Tensor(), N);
  EXPECT_NEAR(v.item(), want, 1e-5 * std::max(1.0, std::fabs(want)));
  if (!c.contains("grad") || !l.trainable()) return;
  g.backward(v);
  EXPECT_LE(rel_err(x.grad().data, vec(c["grad"])), 1e-5) << "gradient";
}

INSTANTIATE_TEST_SUITE_P(NF, PointLossParity,
                         ::testing::Values("huberq", "huberq_hw", "hubermq", "hubermq_quantiles_hw", "tukey",
                                           "tukey_small_c", "tukey_multivariate", "scrps", "accuracy", "relmse"));

TEST(PointLosses, NamesAndConfigRoundTrip) {
  const losses::Loss hq = models::loss_from_json(json{{"name", "HuberQLoss"}, {"q", 0.5}});
  EXPECT_EQ(hq.output_names(), std::vector<std::string>{"_q0.5_d1.0"});
  const losses::Loss hmq = models::loss_from_json(json{{"name", "HuberMQLoss"}, {"level", {80}}, {"delta", 0.5}});
  EXPECT_EQ(hmq.output_names(), (std::vector<std::string>{"-median", "-lo-80", "-hi-80"}));
  EXPECT_TRUE(hmq.is_multi_quantile());
  for (const losses::Loss& l : {hq, hmq, losses::Loss::Tukey(2.0f, false), losses::Loss::SCRPS({}, {0.2f, 0.8f})}) {
    const losses::Loss back = models::loss_from_json(models::loss_to_json(l));
    EXPECT_EQ(models::loss_to_json(back), models::loss_to_json(l)) << l.name();
  }
}

void expect_refused(const json& kw, const std::string& part) {
  try {
    models::make_model("MLP", kw);
    FAIL() << "accepted " << kw.dump();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find(part), std::string::npos) << e.what();
  }
}

TEST(PointLosses, NeuralForecastsRefusals) {
  const json base = {{"h", 4}, {"input_size", 8}};
  for (const char* n : {"relMSE", "sCRPS", "Accuracy"}) {
    json kw = base;
    kw["loss"] = n;
    expect_refused(kw, "cannot be used for training");
  }
  json kw = base;
  kw["valid_loss"] = "relMSE";
  expect_refused(kw, "cannot be used for validation");
  kw = base;
  kw["loss"] = json{{"name", "HuberMQLoss"}};
  kw["valid_loss"] = "MAE";
  expect_refused(kw, "Please set valid_loss to MQLoss() or HuberMQLoss()");
  kw = base;
  kw["valid_loss"] = "sCRPS";
  expect_refused(kw, "sCRPS scores quantiles");
  kw = base;
  kw["loss"] = json{{"name", "HuberQLoss"}};
  expect_refused(kw, "HuberQLoss needs q");
  kw = base;
  kw["loss"] = json{{"name", "MQLoss"}, {"level", {80, 90}}};
  kw["valid_loss"] = json{{"name", "sCRPS"}, {"level", {80, 90}}};
  expect_refused(kw, "Please set valid_loss to MQLoss() or HuberMQLoss()");
  // Accepted: sCRPS validating a distribution loss with the same quantiles.
  kw = base;
  kw["loss"] = json{{"name", "DistributionLoss"}, {"distribution", "Normal"}, {"level", {80, 90}}};
  kw["valid_loss"] = json{{"name", "sCRPS"}, {"level", {80, 90}}};
  EXPECT_NO_THROW(models::make_model("MLP", kw));
}

}  // namespace
}  // namespace nd
