// Bad input raises nd::Error with a message naming the shapes / values involved.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "nd/nd.h"

namespace nd {
namespace {

// Runs f, expects nd::Error whose message contains every fragment.
template <typename F>
void expect_error(F&& f, std::initializer_list<const char*> fragments) {
  try {
    f();
    FAIL() << "expected nd::Error";
  } catch (const Error& e) {
    const std::string msg = e.what();
    for (const char* frag : fragments) EXPECT_NE(msg.find(frag), std::string::npos) << "'" << frag << "' not in: " << msg;
  }
}

struct Fixture {
  Graph g;
  std::vector<float> buf = std::vector<float>(1000, 0.5f);
  Var make(const Shape& s) { return g.input(Tensor(buf.data(), s)); }
};

TEST(BadInput, MismatchedShapes) {
  Fixture f;
  expect_error([&] { ops::add(f.make({2, 3}), f.make({4})); }, {"cannot broadcast", "[2, 3]", "[4]"});
  expect_error([&] { ops::matmul(f.make({2, 3}), f.make({4, 5})); }, {"inner dimensions", "[2, 3]", "[4, 5]"});
  expect_error([&] { ops::bmm(f.make({2, 3, 4}), f.make({3, 4, 5})); }, {"batch sizes", "[2, 3, 4]", "[3, 4, 5]"});
  expect_error([&] { ops::linear(f.make({2, 3}), f.make({4, 5})); }, {"[2, 3]", "in_features = 5", "[4, 5]"});
  expect_error([&] { ops::concat({f.make({2, 3}), f.make({3, 3})}, 1); }, {"[3, 3]", "[2, 3]", "axis 0"});
  expect_error([&] { ops::reshape(f.make({2, 3}), {4, 2}); }, {"[2, 3]", "[4, 2]"});
  expect_error([&] { ops::layer_norm(f.make({2, 3}), f.make({4}), Var()); }, {"[4]", "[2, 3]"});
  expect_error([&] { ops::gather(f.make({2, 3}), 1, {0, 3}); }, {"index 3", "[2, 3]"});
  expect_error([&] { ops::slice(f.make({2, 3}), 1, 1, 5); }, {"[1, 5)", "[2, 3]"});
  expect_error([&] { ops::sum(f.make({2, 3}), {2}); }, {"axis 2", "[2, 3]"});
}

TEST(BadInput, WrongRanks) {
  Fixture f;
  expect_error([&] { ops::conv1d(f.make({2, 3}), f.make({4, 3, 2}), Var(), {}); }, {"[batch, channels, length]", "[2, 3]"});
  expect_error([&] { ops::conv1d(f.make({2, 3, 8}), f.make({4, 2, 2}), Var(), {}); }, {"3 channels", "[4, 2, 2]"});
  expect_error([&] { ops::conv1d(f.make({1, 1, 3}), f.make({1, 1, 3}), Var(), {1, 4, 0, 0}); }, {"shorter", "span 9"});
  expect_error([&] { ops::lstm_layer(f.make({2, 3}), Var(), Var(), f.make({8, 3}), f.make({8, 2}), Var(), Var()); },
               {"[batch, time, features]", "[2, 3]"});
  expect_error([&] { ops::lstm_layer(f.make({2, 3, 4}), Var(), Var(), f.make({8, 3}), f.make({8, 2}), Var(), Var()); },
               {"weight_ih", "[8, 3]", "[8, 4]"});
  expect_error([&] { ops::gru_layer(f.make({2, 3, 4}), f.make({3, 5}), f.make({15, 4}), f.make({15, 5}), Var(), Var()); },
               {"initial state", "[3, 5]", "[2, 5]"});
  expect_error([&] { ops::max_pool1d(f.make({2, 3}), 5, 1); }, {"shorter than kernel 5"});
  expect_error([&] { ops::prelu(f.make({2, 3}), f.make({2})); }, {"single slope", "[2]"});
  expect_error([&] { ops::sum_all(f.make({2, 3})).graph().backward(f.make({2, 3})); }, {"one-element", "[2, 3]"});
}

TEST(BadInput, NaNInLossInputs) {
  Fixture f;
  std::vector<float> y(6, 1.0f), mask(6, 1.0f);
  y[4] = std::numeric_limits<float>::quiet_NaN();
  Var yhat = f.make({2, 3});
  expect_error([&] { losses::Loss::MAE()(yhat, Tensor(y.data(), Shape{2, 3}), Tensor(mask.data(), Shape{2, 3})); },
               {"MAE", "non-finite target", "index 4"});
  // A NaN where the mask is 0 is allowed (padding) and does not reach the loss.
  mask[4] = 0.0f;
  Var l = losses::Loss::MSE()(yhat, Tensor(y.data(), Shape{2, 3}), Tensor(mask.data(), Shape{2, 3}));
  EXPECT_TRUE(std::isfinite(l.item()));
  std::vector<float> bad(6, 0.0f);
  bad[1] = std::numeric_limits<float>::infinity();
  Var yh2 = f.g.input(Tensor(bad.data(), Shape{2, 3}));
  expect_error([&] { losses::Loss::SMAPE()(yh2, Tensor(y.data(), Shape{2, 3}), Tensor(mask.data(), Shape{2, 3})); },
               {"SMAPE", "non-finite prediction", "index 1"});
  expect_error([&] { losses::Loss::MAE()(f.make({2, 4}), Tensor(y.data(), Shape{2, 3})); }, {"[2, 4]", "[2, 3]"});
  expect_error([&] { losses::Loss::MQ()(f.make({2, 3, 4}), Tensor(y.data(), Shape{2, 3})); }, {"5 quantiles"});
  expect_error([&] { losses::Loss::MAE({1, 2})(yhat, Tensor(y.data(), Shape{2, 3})); }, {"horizon_weight has 2", "3"});
  expect_error([&] { losses::Loss::by_name("Foo"); }, {"unknown loss 'Foo'"});
  std::vector<float> neg = {1.0f, -2.0f};
  expect_error([&] { ops::log(f.g.input(Tensor(neg.data(), Shape{2}))); }, {"log of non-positive value -2", "index 1"});
}

}  // namespace
}  // namespace nd
