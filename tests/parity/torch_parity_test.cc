// Parity with PyTorch 2.13 (and NeuralForecast's losses) for identical weights and inputs:
// golden values produced by tests/golden/make_golden.py. Tolerance: max |ours - torch| over a
// tensor, relative to max |torch| over it, <= 1e-5.
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

const json& golden() { return testing::torch_golden(); }
const json& find(const char* section, const std::string& name) { return testing::golden_case(golden(), section, name); }

constexpr double kTol = 1e-5;

// Loads torch's parameters into ours by name, runs forward + backward of sum(out * R), and
// compares outputs and every gradient.
template <typename MakeModule>
void check_module(const std::string& name, MakeModule make) {
  const json& c = find("modules", name);
  nn::ParameterStore store;
  auto fwd = make(store);
  store.allocate(0);
  for (auto& [pname, values] : c["params"].items()) {
    nn::ParamRef r = store.find(pname);
    ASSERT_TRUE(r.defined()) << name << ": no parameter named " << pname;
    std::vector<float> v = vec(values);
    ASSERT_EQ(static_cast<int64_t>(v.size()), store.value(r).numel()) << pname;
    std::copy(v.begin(), v.end(), store.value(r).data);
  }
  ASSERT_EQ(c["params"].size(), store.params().size()) << name << ": parameter count differs from torch";
  std::vector<float> x = vec(c["x"]), r = vec(c["r"]);
  Graph g;
  Var xv = g.input(Tensor(x.data(), shape(c["x_shape"])), true);
  Var out = fwd(xv);
  ASSERT_EQ(out.shape(), shape(c["out_shape"])) << name;
  EXPECT_LE(rel_err(out.data(), vec(c["out"])), kTol) << name << " forward";
  Var rv = g.input(Tensor(r.data(), out.shape()));
  g.backward(ops::sum_all(ops::mul(out, rv)));
  EXPECT_LE(rel_err(xv.grad().data, vec(c["grad_x"])), kTol) << name << " grad wrt input";
  for (auto& [pname, grads] : c["grads"].items()) {
    const Tensor gr = store.grad(store.find(pname));
    EXPECT_LE(rel_err(gr.data, vec(grads)), kTol) << name << " grad wrt " << pname;
  }
}

TEST(TorchParity, Linear) {
  check_module("linear", [](nn::ParameterStore& s) {
    auto m = std::make_shared<nn::Linear>(s, "", 5, 4);
    return [m](Var x) { return m->forward(x); };
  });
}

TEST(TorchParity, Conv1dDilatedPadded) {
  check_module("conv1d", [](nn::ParameterStore& s) {
    auto m = std::make_shared<nn::Conv1d>(s, "", 3, 4, 3, 1, 1, 2);
    return [m](Var x) { return m->forward(x); };
  });
}

TEST(TorchParity, Conv1dStrided) {
  check_module("conv1d_strided", [](nn::ParameterStore& s) {
    auto m = std::make_shared<nn::Conv1d>(s, "", 2, 3, 4, 2, 0, 1);
    return [m](Var x) { return m->forward(x); };
  });
}

TEST(TorchParity, LayerNorm) {
  check_module("layernorm", [](nn::ParameterStore& s) {
    auto m = std::make_shared<nn::LayerNorm>(s, "", 8);
    return [m](Var x) { return m->forward(x); };
  });
}

TEST(TorchParity, LSTMTwoLayers) {
  check_module("lstm", [](nn::ParameterStore& s) {
    auto m = std::make_shared<nn::LSTM>(s, "", 3, 6, 2);
    return [m](Var x) { return m->forward(x).y; };
  });
}

TEST(TorchParity, GRUTwoLayers) {
  check_module("gru", [](nn::ParameterStore& s) {
    auto m = std::make_shared<nn::GRU>(s, "", 3, 6, 2);
    return [m](Var x) { return m->forward(x).y; };
  });
}

TEST(TorchParity, RNNTanh) {
  check_module("rnn", [](nn::ParameterStore& s) {
    auto m = std::make_shared<nn::RNN>(s, "", 3, 6, 1);
    return [m](Var x) { return m->forward(x).y; };
  });
}

// Parameter-free ops against torch.nn.functional.
class FunctionalParity : public ::testing::TestWithParam<std::string> {};

Var functional(const std::string& name, Var x) {
  using kernels::Act;
  if (name == "max_pool1d_ceil") return ops::max_pool1d(x, 2, 2, 0, true);
  if (name == "max_pool1d_pad") return ops::max_pool1d(x, 3, 2, 1, false);
  if (name == "avg_pool1d_ceil_pad") return ops::avg_pool1d(x, 3, 2, 1, true, true);
  if (name == "avg_pool1d_nopad_count") return ops::avg_pool1d(x, 4, 3, 2, false, false);
  if (name == "interp_up") return ops::interpolate_linear(x, 24);
  if (name == "interp_down") return ops::interpolate_linear(x, 4);
  if (name == "interp_align") return ops::interpolate_linear(x, 17, true);
  if (name == "softmax") return ops::softmax(x);
  if (name == "log_softmax") return ops::log_softmax(x);
  if (name == "leaky_relu") return ops::leaky_relu(x, 0.01f);
  if (name == "elu") return ops::elu(x, 1.0f);
  return ops::activation(x, kernels::act_from_name(name));
}

TEST_P(FunctionalParity, ForwardAndGradient) {
  const json& c = find("functional", GetParam());
  std::vector<float> x = vec(c["x"]), r = vec(c["r"]);
  Graph g;
  Var xv = g.input(Tensor(x.data(), shape(c["x_shape"])), true);
  Var out = functional(GetParam(), xv);
  ASSERT_EQ(out.shape(), shape(c["out_shape"])) << GetParam();
  EXPECT_LE(rel_err(out.data(), vec(c["out"])), kTol) << GetParam() << " forward";
  Var rv = g.input(Tensor(r.data(), out.shape()));
  g.backward(ops::sum_all(ops::mul(out, rv)));
  EXPECT_LE(rel_err(xv.grad().data, vec(c["grad_x"])), kTol) << GetParam() << " gradient";
}

INSTANTIATE_TEST_SUITE_P(Ops, FunctionalParity,
                         ::testing::Values("max_pool1d_ceil", "max_pool1d_pad", "avg_pool1d_ceil_pad",
                                           "avg_pool1d_nopad_count", "interp_up", "interp_down", "interp_align",
                                           "softmax", "log_softmax", "relu", "leaky_relu", "elu", "selu", "gelu",
                                           "silu", "tanh", "sigmoid", "softplus", "softsign"));

template <typename MakeOpt>
void check_optimizer(const std::string& name, MakeOpt make) {
  const json& c = find("optimizers", name);
  nn::ParameterStore store;
  nn::ParamRef p = store.add("p", Shape{13}, nn::ParamInit::Constant(0.0f));
  store.allocate(0);
  std::vector<float> p0 = vec(c["p0"]);
  std::copy(p0.begin(), p0.end(), store.value(p).data);
  auto opt = make(store);
  for (size_t k = 0; k < c["grads"].size(); ++k) {
    std::vector<float> gk = vec(c["grads"][k]);
    std::copy(gk.begin(), gk.end(), store.grad(p).data);
    opt->step();
    EXPECT_LE(rel_err(store.value(p).data, vec(c["traj"][k])), kTol) << name << " step " << k + 1;
  }
}

TEST(TorchParity, SGD) {
  check_optimizer("sgd", [](nn::ParameterStore& s) { return std::make_unique<optim::SGD>(s, optim::SGDOptions{0.1f}); });
}
TEST(TorchParity, SGDNesterovWeightDecay) {
  check_optimizer("sgd_nesterov", [](nn::ParameterStore& s) {
    return std::make_unique<optim::SGD>(s, optim::SGDOptions{0.1f, 0.9f, 0.0f, 0.01f, true});
  });
}
TEST(TorchParity, SGDMomentumDampening) {
  check_optimizer("sgd_momentum_dampening", [](nn::ParameterStore& s) {
    return std::make_unique<optim::SGD>(s, optim::SGDOptions{0.05f, 0.8f, 0.3f, 0.0f, false});
  });
}
TEST(TorchParity, Adam) {
  check_optimizer("adam", [](nn::ParameterStore& s) { return std::make_unique<optim::Adam>(s, optim::AdamOptions{0.01f}); });
}
TEST(TorchParity, AdamL2) {
  check_optimizer("adam_l2", [](nn::ParameterStore& s) {
    optim::AdamOptions o;
    o.lr = 0.01f;
    o.weight_decay = 0.1f;
    return std::make_unique<optim::Adam>(s, o);
  });
}
TEST(TorchParity, AdamW) {
  check_optimizer("adamw", [](nn::ParameterStore& s) {
    optim::AdamOptions o;
    o.lr = 0.01f;
    o.weight_decay = 0.1f;
    return std::make_unique<optim::AdamW>(s, o);
  });
}

template <typename MakeSched>
void check_scheduler(const std::string& name, MakeSched make) {
  const json& c = find("schedulers", name);
  nn::ParameterStore store;
  store.add("p", Shape{1}, nn::ParamInit::Constant(0.0f));
  store.allocate(0);
  optim::SGD opt(store, optim::SGDOptions{0.1f});
  auto sch = make(opt);
  std::vector<float> lrs = vec(c["lrs"]);
  EXPECT_NEAR(opt.lr(), lrs[0], 1e-7) << name << " initial lr";
  for (size_t k = 1; k < lrs.size(); ++k) {
    sch->step();
    EXPECT_NEAR(opt.lr(), lrs[k], 1e-6 * std::max(1.0f, std::fabs(lrs[k]))) << name << " after step " << k;
  }
}

TEST(TorchParity, StepLRAsNeuralForecast) {
  check_scheduler("steplr_nf", [](optim::Optimizer& o) {
    return std::make_unique<optim::StepLR>(optim::StepLR::neuralforecast(o, 40, 3));
  });
}
TEST(TorchParity, CosineLR) {
  check_scheduler("cosine", [](optim::Optimizer& o) { return std::make_unique<optim::CosineLR>(o, 40, 0.001f); });
}
TEST(TorchParity, OneCycleLR) {
  check_scheduler("onecycle", [](optim::Optimizer& o) { return std::make_unique<optim::OneCycleLR>(o, 0.1f, 41); });
}

// NeuralForecast losses: value, gradient and output names.
class NFLossParity : public ::testing::TestWithParam<std::string> {};

losses::Loss loss_for(const std::string& name) {
  using losses::Loss;
  if (name == "MASE") return Loss::MASE(2);
  if (name == "HuberLoss") return Loss::Huber(0.7f);
  if (name == "QuantileLoss") return Loss::Quantile(0.3f);
  if (name == "MQLoss") return Loss::MQ({80, 90});
  if (name == "MAE_hw") return Loss::MAE({1.0f, 2.0f, 0.5f, 1.0f, 3.0f, 1.0f});
  if (name == "MQLoss_q") return Loss::MQ({}, {0.1f, 0.5f, 0.9f});
  return Loss::by_name(name);
}

TEST_P(NFLossParity, ValueAndGradient) {
  if (golden()["losses"].empty()) GTEST_SKIP() << "golden file was generated without neuralforecast";
  const json& c = find("losses", GetParam());
  const int64_t q = c["q"];
  std::vector<float> y = vec(c["y"]), mask = vec(c["mask"]), ins = vec(c["y_insample"]), yh = vec(c["y_hat"]);
  losses::Loss l = loss_for(GetParam());
  Graph g;
  Var yhat = g.input(Tensor(yh.data(), q > 1 ? Shape{4, 6, q} : Shape{4, 6}), true);
  Var v = l(yhat, Tensor(y.data(), Shape{4, 6}), Tensor(mask.data(), Shape{4, 6}), Tensor(ins.data(), Shape{4, 10}));
  const double want = c["value"];
  EXPECT_NEAR(v.item(), want, 1e-5 * std::max(1.0, std::fabs(want))) << GetParam();
  g.backward(v);
  EXPECT_LE(rel_err(yhat.grad().data, vec(c["grad"])), kTol) << GetParam() << " gradient";
  if (l.kind() == losses::Kind::MQ) {
    EXPECT_EQ(l.output_names(), c["output_names"].get<std::vector<std::string>>());
    EXPECT_LE(rel_err(l.quantiles().data(), vec(c["quantiles"])), 1e-7);
  }
}

INSTANTIATE_TEST_SUITE_P(Losses, NFLossParity,
                         ::testing::Values("MAE", "MSE", "RMSE", "MAPE", "SMAPE", "MASE", "HuberLoss", "QuantileLoss",
                                           "MQLoss", "MAE_hw", "MQLoss_q"));

}  // namespace
}  // namespace nd
