// Distribution losses against NeuralForecast 3.3 (goldens from tests/golden/make_distribution_goldens.py):
// loss value, gradient with respect to the raw outputs, decoupled parameters and means, each <= 1e-5
// relative to the tensor's scale; forecasts from samples: quantiles within Monte-Carlo error of the
// true ones, bit-identical for the same seed whatever the batching; bad arguments and data refused.
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>

#include "nd/losses/distribution.h"
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
    std::ifstream f(std::string(ND_GOLDEN_DIR) + "/distribution_losses.json");
    if (!f) throw std::runtime_error("missing tests/golden/distribution_losses.json");
    return json::parse(f);
  }();
  return doc;
}

class DistributionParity : public ::testing::TestWithParam<std::string> {};

TEST_P(DistributionParity, ValueGradientParametersMean) {
  const json& c = testing::golden_case(goldens(), "cases", GetParam());
  const losses::Loss l = models::loss_from_json(c["loss"]);
  const int64_t B = c["B"], h = c["h"], P = c["P"];
  ASSERT_EQ(l.outputsize_multiplier(), P);
  std::vector<float> raw = vec(c["raw"]), y = vec(c["y"]), mask = vec(c["mask"]), loc = vec(c["loc"]),
                     scale = vec(c["scale"]);
  Graph g;
  Var x = g.input(Tensor(raw.data(), Shape{B, h, P}), true);
  Var v = l.nll(x, Tensor(y.data(), Shape{B, h}), Tensor(mask.data(), Shape{B, h}), loc.data(), scale.data());
  const double want = c["value"];
  EXPECT_NEAR(v.item(), want, 1e-5 * std::max(1.0, std::fabs(want)));
  g.backward(v);
  EXPECT_LE(rel_err(x.grad().data, vec(c["grad"])), 1e-5) << "gradient";
  // Means, and the decoupled parameters as return_params reports them (forecast columns 1 + Q on).
  std::vector<float> mean(B * h);
  losses::distribution_mean(l, raw.data(), B, h, loc.data(), scale.data(), mean.data());
  EXPECT_LE(rel_err(mean.data(), vec(c["mean"])), 1e-5) << "mean";
  if (l.distribution() == losses::Distr::Tweedie) return;  // NF refuses return_params for Tweedie
  json cfg = c["loss"];
  cfg["return_params"] = true;
  cfg["num_samples"] = 3;
  const losses::Loss lp = models::loss_from_json(cfg);
  const std::vector<float> want_params = vec(c["params"]);
  const int64_t np = static_cast<int64_t>(want_params.size()) / (B * h);
  ASSERT_EQ(static_cast<int64_t>(lp.param_names().size()), np);
  const int64_t C = losses::distribution_forecast_width(lp, 0);
  std::vector<float> out(B * h * C);
  std::vector<uint64_t> streams(B, 0);
  losses::distribution_forecast(lp, raw.data(), B, h, loc.data(), scale.data(), {}, 1, streams.data(), out.data());
  std::vector<float> params;
  for (int64_t e = 0; e < B * h; ++e) params.insert(params.end(), out.begin() + e * C + 1, out.begin() + (e + 1) * C);
  EXPECT_LE(rel_err(params.data(), want_params), 1e-5) << "parameters";
}

INSTANTIATE_TEST_SUITE_P(NF, DistributionParity,
                         ::testing::Values("normal", "normal_hw", "studentt", "poisson", "negbin", "bernoulli", "tweedie",
                                           "gmm", "gmm_weighted", "gmm_horizon_corr", "pmm", "pmm_weighted_batch_corr",
                                           "nbmm", "nbmm_weighted"));

// Quantiles of n draws vs the true quantiles of N(mu, sd) and Poisson(rate): the sample q-quantile's
// standard error is sqrt(q (1 - q) / n) / f(x_q); with n = 4000 every one of 4 x 6 x 5 quantiles is
// within 4.5 standard errors (a false alarm has probability < 1e-3 over the whole test).
TEST(DistributionSampling, QuantilesWithinMonteCarloError) {
  const losses::Loss l = losses::Loss::Distribution("Normal", {80, 90}, {}, 4000);
  const int64_t R = 4, h = 6;
  std::vector<float> raw(R * h * 2), loc(R), scale(R, 1.0f);
  for (int64_t e = 0; e < R * h; ++e) raw[2 * e] = 0.3f * static_cast<float>(e % 7) - 1.0f, raw[2 * e + 1] = 0.1f * (e % 5);
  for (int64_t r = 0; r < R; ++r) loc[r] = static_cast<float>(r) - 1.5f, scale[r] = 0.5f + 0.5f * r;
  const std::vector<float> qs = l.quantiles();  // 0.5, 0.05, 0.1, 0.9, 0.95
  const int64_t C = losses::distribution_forecast_width(l, 5);
  std::vector<float> out(R * h * C);
  std::vector<uint64_t> streams = {0, 1, 2, 3};
  losses::distribution_forecast(l, raw.data(), R, h, loc.data(), scale.data(), qs, 7, streams.data(), out.data());
  const double z[] = {0.0, -1.6448536, -1.2815516, 1.2815516, 1.6448536};
  for (int64_t e = 0; e < R * h; ++e) {
    const double mu = raw[2 * e] * scale[e / h] + loc[e / h];
    const double sd = (std::log1p(std::exp(raw[2 * e + 1])) + 0.2) * scale[e / h];
    EXPECT_NEAR(out[e * C], mu, 4.5 * sd / std::sqrt(4000.0)) << "mean, element " << e;
    for (int q = 0; q < 5; ++q) {
      const double dens = std::exp(-0.5 * z[q] * z[q]) / std::sqrt(2 * M_PI);
      const double se = std::sqrt(qs[q] * (1.0 - qs[q]) / 4000.0) / dens * sd;
      EXPECT_NEAR(out[e * C + 1 + q], mu + z[q] * sd, 4.5 * se) << "quantile " << qs[q] << ", element " << e;
    }
  }
}

TEST(DistributionSampling, DrawsDependOnSeedAndStreamOnly) {
  const losses::Loss l = losses::Loss::Mixture(losses::Distr::NBMM, 2, {80}, {}, 200, false, true);
  const int64_t R = 6, h = 3, P = l.outputsize_multiplier();
  std::vector<float> raw(R * h * P), loc(R, 3.0f), scale(R, 1.0f);
  for (size_t k = 0; k < raw.size(); ++k) raw[k] = std::sin(0.7f * static_cast<float>(k));
  const int64_t C = losses::distribution_forecast_width(l, 3);
  std::vector<uint64_t> streams = {10, 11, 12, 13, 14, 15};
  std::vector<float> all(R * h * C), part(R * h * C), other(R * h * C);
  losses::distribution_forecast(l, raw.data(), R, h, loc.data(), scale.data(), l.quantiles(), 5, streams.data(), all.data());
  // The same rows in two calls (another batching) give the same bits; another seed does not.
  losses::distribution_forecast(l, raw.data(), 2, h, loc.data(), scale.data(), l.quantiles(), 5, streams.data(), part.data());
  losses::distribution_forecast(l, raw.data() + 2 * h * P, 4, h, loc.data(), scale.data(), l.quantiles(), 5,
                                streams.data() + 2, part.data() + 2 * h * C);
  EXPECT_EQ(all, part);
  losses::distribution_forecast(l, raw.data(), R, h, loc.data(), scale.data(), l.quantiles(), 6, streams.data(), other.data());
  EXPECT_NE(all, other);
  for (float v : all) EXPECT_GE(v, 0.0f);  // counts
}

TEST(DistributionLoss, NamesAndArgumentsAsNeuralForecast) {
  const losses::Loss n = losses::Loss::Distribution("StudentT", {90, 80}, {}, 1000, true);
  EXPECT_EQ(n.output_names(), (std::vector<std::string>{"", "-median", "-lo-90", "-lo-80", "-hi-80", "-hi-90", "-df",
                                                        "-loc", "-scale"}));
  EXPECT_EQ(n.outputsize_multiplier(), 3);
  const losses::Loss q = losses::Loss::Distribution("Normal", {}, {0.9f, 0.1f, 0.5f});
  EXPECT_EQ(q.output_names(), (std::vector<std::string>{"", "-lo-80.0", "-median", "-hi-80.0"}));
  const losses::Loss g = losses::Loss::Mixture(losses::Distr::GMM, 2, {80}, {}, 1000, true, true);
  EXPECT_EQ(g.outputsize_multiplier(), 6);
  EXPECT_EQ(g.param_names(), (std::vector<std::string>{"-mu-1", "-std-1", "-weight-1", "-mu-2", "-std-2", "-weight-2"}));
  EXPECT_THROW(losses::Loss::Distribution("Gamma"), Error);
  EXPECT_THROW(losses::Loss::Distribution("Tweedie"), Error);  // needs rho in (1, 2)
  EXPECT_THROW(losses::Loss::Distribution("Normal", {120}), Error);
  EXPECT_THROW(models::loss_from_json(json{{"name", "GMM"}, {"n_components", 0}}), Error);
  EXPECT_THROW(models::loss_from_json(json{{"name", "NBMM"}, {"horizon_correlation", true}}), Error);
  EXPECT_THROW(models::loss_from_json(json{{"name", "DistributionLoss"}, {"distribution", "Normal"}, {"n_components", 2}}),
               Error);
  const losses::Loss back = models::loss_from_json(models::loss_to_json(g));
  EXPECT_EQ(back.output_names(), g.output_names());
  EXPECT_EQ(back.quantiles(), g.quantiles());
}

TEST(DistributionLoss, RefusesTargetsOutsideTheSupport) {
  const losses::Loss p = losses::Loss::Distribution("Poisson");
  std::vector<float> raw(2 * 3), y = {1, 2, -1, 0, 3, 4}, mask(6, 1.0f), loc(2, 0.0f), scale(2, 1.0f);
  Graph g;
  Var x = g.input(Tensor(raw.data(), Shape{2, 3, 1}), true);
  try {
    p.nll(x, Tensor(y.data(), Shape{2, 3}), Tensor(mask.data(), Shape{2, 3}), loc.data(), scale.data());
    FAIL() << "negative count accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("row 0, step 2"), std::string::npos) << e.what();
  }
  mask[2] = 0.0f;  // a masked entry is ignored
  EXPECT_NO_THROW(p.nll(x, Tensor(y.data(), Shape{2, 3}), Tensor(mask.data(), Shape{2, 3}), loc.data(), scale.data()));
  std::string need;
  const float yb[] = {0, 1, 0.5f};
  EXPECT_EQ(losses::distribution_support_violation(losses::Loss::Distribution("Bernoulli"), yb, 3, &need), 2);
  EXPECT_EQ(need, "values 0 or 1");
}

}  // namespace
}  // namespace nd
