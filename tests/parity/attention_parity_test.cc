// Parity of scaled_dot_product_attention with torch.nn.functional.scaled_dot_product_attention
// (PyTorch 2.13) and of nn::AttentionLayer with NeuralForecast's AttentionLayer(FullAttention):
// goldens in tests/golden/torch_parity.json ("attention" section, tests/golden/make_golden.py).
// Tolerance: max |ours - torch| over a tensor relative to max |torch| over it, <= 1e-5.
#include <gtest/gtest.h>

#include <cmath>

#include "nd/nd.h"
#include "parity/torch_golden.h"

namespace nd {
namespace {

using testing::json;
using testing::rel_err;
using testing::shape;
using testing::vec;

const json& attention_golden() { return testing::torch_golden()["attention"]; }
const json& find_case(const char* section, const std::string& name) {
  return testing::golden_case(attention_golden(), section, name);
}

constexpr double kTol = 1e-5;

class AttentionSdpaParity : public ::testing::TestWithParam<std::string> {};

TEST_P(AttentionSdpaParity, ForwardAndGradients) {
  const json& c = find_case("sdpa", GetParam());
  std::vector<float> q = vec(c["q"]), k = vec(c["k"]), v = vec(c["v"]), r = vec(c["r"]);
  std::vector<uint8_t> mask;
  ops::AttentionOptions opt;
  opt.causal = c["causal"].get<bool>();
  opt.scale = c["scale"].get<float>();
  if (c.contains("key_padding_mask")) {
    mask = c["key_padding_mask"].get<std::vector<uint8_t>>();
    opt.key_padding_mask = mask.data();
  }
  Graph g;
  Var qv = g.input(Tensor(q.data(), shape(c["q_shape"])), true);
  Var kv = g.input(Tensor(k.data(), shape(c["k_shape"])), true);
  Var vv = g.input(Tensor(v.data(), shape(c["v_shape"])), true);
  Var out = ops::scaled_dot_product_attention(qv, kv, vv, opt);
  ASSERT_EQ(out.shape(), shape(c["out_shape"]));
  EXPECT_LE(rel_err(out.data(), vec(c["out"])), kTol) << "forward";
  g.backward(ops::sum_all(ops::mul(out, g.input(Tensor(r.data(), out.shape())))));
  EXPECT_LE(rel_err(qv.grad().data, vec(c["grad_q"])), kTol) << "grad q";
  EXPECT_LE(rel_err(kv.grad().data, vec(c["grad_k"])), kTol) << "grad k";
  EXPECT_LE(rel_err(vv.grad().data, vec(c["grad_v"])), kTol) << "grad v";
}

INSTANTIATE_TEST_SUITE_P(Torch, AttentionSdpaParity,
                         ::testing::Values("sdpa_self", "sdpa_causal", "sdpa_cross", "sdpa_cross_causal",
                                           "sdpa_padding_scale"));

TEST(AttentionParity, NeuralForecastAttentionLayer) {
  if (attention_golden()["modules"].empty()) GTEST_SKIP() << "golden file was generated without neuralforecast";
  const json& c = find_case("modules", "nf_attention_layer");
  nn::ParameterStore store;
  nn::AttentionLayer layer(store, "", c["hidden_size"].get<int64_t>(), c["n_heads"].get<int64_t>());
  store.allocate(0);
  for (auto& [pname, values] : c["params"].items()) {
    nn::ParamRef p = store.find(pname);
    ASSERT_TRUE(p.defined()) << "no parameter named " << pname;
    std::vector<float> val = vec(values);
    ASSERT_EQ(static_cast<int64_t>(val.size()), store.value(p).numel()) << pname;
    std::copy(val.begin(), val.end(), store.value(p).data);
  }
  ASSERT_EQ(c["params"].size(), store.params().size());
  std::vector<float> x = vec(c["x"]), r = vec(c["r"]);
  Graph g;
  Var xv = g.input(Tensor(x.data(), shape(c["x_shape"])), true);
  Var out = layer.forward(xv, xv, xv);
  ASSERT_EQ(out.shape(), shape(c["out_shape"]));
  EXPECT_LE(rel_err(out.data(), vec(c["out"])), kTol) << "forward";
  g.backward(ops::sum_all(ops::mul(out, g.input(Tensor(r.data(), out.shape())))));
  EXPECT_LE(rel_err(xv.grad().data, vec(c["grad_x"])), kTol) << "grad x";
  for (auto& [pname, grads] : c["grads"].items()) {
    const float* ours = store.grad(store.find(pname)).data;
    if (pname == "key_projection.bias") {
      // Identically zero in exact arithmetic (q.(k + b) shifts a whole softmax row by q.b), so both
      // sides hold rounding noise: compare it with the scale of the input gradient instead.
      double worst = 0.0, scale = 0.0;
      for (float gk : vec(grads)) worst = std::max(worst, static_cast<double>(std::fabs(gk)));
      for (int64_t j = 0; j < static_cast<int64_t>(vec(grads).size()); ++j)
        worst = std::max(worst, static_cast<double>(std::fabs(ours[j])));
      for (float gx : vec(c["grad_x"])) scale = std::max(scale, static_cast<double>(std::fabs(gx)));
      EXPECT_LE(worst, kTol * scale) << "grad " << pname;
      continue;
    }
    EXPECT_LE(rel_err(ours, vec(grads)), kTol) << "grad " << pname;
  }
}

}  // namespace
}  // namespace nd
