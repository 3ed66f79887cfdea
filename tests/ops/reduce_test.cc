// Reductions: values of the running sum (the finite-difference gradients are in
// autograd/gradcheck_test.cc).
#include <gtest/gtest.h>

#include <vector>

#include "nd/ops/reduce.h"

namespace nd::ops {
namespace {

TEST(OpsReduce, CumsumRunsAlongTheGivenAxis) {
  Graph g;
  std::vector<float> x = {1, 2, 3, 4, 5, 6};  // [2, 3]
  Var v = g.input(Tensor(x.data(), Shape{2, 3}));
  EXPECT_EQ(cumsum(v, 1).value().to_vector(), (std::vector<float>{1, 3, 6, 4, 9, 15}));
  EXPECT_EQ(cumsum(v, 0).value().to_vector(), (std::vector<float>{1, 2, 3, 5, 7, 9}));
  // Accumulated in double: 2^24 + 1 + 1 stays exact until the final rounding.
  std::vector<float> big = {16777216.0f, 1.0f, 1.0f};
  EXPECT_EQ(cumsum(g.input(Tensor(big.data(), Shape{3})), 0).value().to_vector(),
            (std::vector<float>{16777216.0f, 16777216.0f, 16777218.0f}));
}

}  // namespace
}  // namespace nd::ops
