// The tape's gradient buffers: released intermediate gradients are reused within the backward
// sweep (same bits as retaining them all, a fraction of the memory), leaves keep theirs; with
// set_release_values the forward's values serve later gradients too.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <vector>

#include "nd/nd.h"

namespace nd {
namespace {

using namespace nd::ops;

constexpr int64_t kRows = 512, kCols = 512;  // 1 MB per value

std::vector<float> inputs() {
  std::vector<float> x(static_cast<size_t>(kRows * kCols));
  for (size_t i = 0; i < x.size(); ++i) x[i] = 0.001f * static_cast<float>(static_cast<int64_t>(i % 2001) - 1000);
  return x;
}

// A chain through the three ways a gradient buffer is shared or written: views that hand their
// gradient over to the input (reshape, a residual add), and a value written by several nodes (a
// concatenation records one node per piece), between elementwise ops with fresh gradients.
Var chain(Var x) {
  Var h = x;
  for (int i = 0; i < 12; ++i) {
    h = tanh(mul(h, 1.1f));
    // The transpose's backward writes a fresh gradient while it reads the one the views handed
    // over: were that buffer recycled, the two would be the same memory.
    if (i == 3) h = reshape(reshape(transpose(h, 0, 1), Shape{kRows / 2, 2 * kCols}), Shape{kRows, kCols});
    if (i == 5) h = add(tanh(h), h);
    if (i == 8) {
      Var a = concat({h, mul(h, 2.0f)}, 0);
      h = add(slice(a, 0, 0, kRows), slice(a, 0, kRows, 2 * kRows));
    }
  }
  return sum_all(mul(h, h));
}

struct Sweep {
  std::vector<float> grad;
  size_t forward_bytes = 0, backward_bytes = 0;  // arena bytes handed out by each pass
};

enum class Mode { kRetain, kReuseGrads, kReleaseValues };

Sweep sweep(Mode mode) {
  std::vector<float> xs = inputs();
  Graph g;
  g.set_retain_grads(mode == Mode::kRetain);
  g.set_release_values(mode == Mode::kReleaseValues);
  Var x = g.input(Tensor(xs.data(), Shape{kRows, kCols}), true);
  Var loss = chain(x);
  Sweep r;
  r.forward_bytes = g.arena().used();
  g.backward(loss);
  r.backward_bytes = g.arena().used() - r.forward_bytes;
  const Tensor gx = x.grad();
  EXPECT_TRUE(gx.defined());
  if (gx.defined()) r.grad.assign(gx.data, gx.data + gx.numel());
  return r;
}

// The same input-gradient bits and forward memory as with everything retained.
void expect_same_gradient(const Sweep& kept, const Sweep& other, const char* when) {
  ASSERT_EQ(kept.grad.size(), other.grad.size());
  EXPECT_EQ(0, std::memcmp(kept.grad.data(), other.grad.data(), sizeof(float) * kept.grad.size()))
      << "the input gradient differs when " << when;
  EXPECT_EQ(kept.forward_bytes, other.forward_bytes);
}

TEST(Graph, ReleasedGradientsServeLaterOnesWithTheSameBits) {
  const Sweep kept = sweep(Mode::kRetain), reused = sweep(Mode::kReuseGrads);
  expect_same_gradient(kept, reused, "intermediate gradient buffers are reused");
  // Retained: one buffer per value that carried a gradient (36.7 MB here). Reused: about the few
  // live at once around the concatenation (6.3 MB: its 2 MB, the pieces', a scratch for the
  // accumulation into h).
  EXPECT_GT(kept.backward_bytes, size_t{30} << 20) << kept.backward_bytes;
  EXPECT_LT(reused.backward_bytes, size_t{10} << 20) << reused.backward_bytes;
}

TEST(Graph, ReleasedValuesServeLaterGradientsWithTheSameBits) {
  const Sweep kept = sweep(Mode::kRetain), released = sweep(Mode::kReleaseValues);
  expect_same_gradient(kept, released, "the forward's values are released during backward");
  // Gradients still take fresh memory until the sweep has passed values of their size (the first
  // ones, before any value is released, and around the concatenation, whose 2 MB gradient needs
  // two adjacent released 1 MB values): 4.2 MB in all, against 6.3 MB when only gradients are reused.
  EXPECT_LT(released.backward_bytes, size_t{5} << 20) << released.backward_bytes;
  EXPECT_LT(released.backward_bytes + (size_t{1} << 20), sweep(Mode::kReuseGrads).backward_bytes);
}

TEST(Graph, ReleasedValuesReadAsNullExceptTheLossAndLeaves) {
  std::vector<float> xs = inputs();
  Graph g;
  g.set_release_values(true);
  Var x = g.input(Tensor(xs.data(), Shape{kRows, kCols}), true);
  Var y = tanh(x);
  Var loss = sum_all(mul(y, y));
  const float value = loss.item();
  g.backward(loss);
  EXPECT_EQ(y.data(), nullptr);
  EXPECT_EQ(loss.item(), value);
  EXPECT_EQ(x.data(), xs.data());
  ASSERT_TRUE(x.grad().defined());
  EXPECT_THROW(g.backward(loss), Error);  // the values it would need are gone
  g.reset();
  // A loss that is a view of a value (here the one-element sum, reshaped) keeps that value: were
  // it released, draining the free memory afterwards would hand its 64 bytes out again.
  Var x1 = g.input(Tensor(xs.data(), Shape{16}), true);
  Var flat = reshape(sum_all(tanh(x1)), Shape{1, 1});
  const float flat_value = flat.item();
  g.backward(flat);
  for (int i = 0; i < 64; ++i) std::fill_n(g.grad_scratch(16), 16, -7.0f);
  EXPECT_EQ(flat.item(), flat_value);
  g.reset();
  Var x2 = g.input(Tensor(xs.data(), Shape{kRows, kCols}), true);
  g.backward(sum_all(tanh(x2)));  // a new step runs again
  EXPECT_TRUE(x2.grad().defined());
}

TEST(Graph, IntermediateGradientsAreReleasedUnlessRetained) {
  std::vector<float> xs = inputs();
  for (const bool retain : {false, true}) {
    Graph g;
    g.set_retain_grads(retain);
    Var x = g.input(Tensor(xs.data(), Shape{kRows, kCols}), true);
    Var y = tanh(x);
    Var z = reshape(y, Shape{kRows * kCols});
    g.backward(sum_all(z));
    ASSERT_TRUE(x.grad().defined());  // a leaf keeps its gradient
    EXPECT_EQ(y.grad().defined(), retain) << "retain = " << retain;
    EXPECT_EQ(z.grad().defined(), retain) << "retain = " << retain;
    if (retain) {
      EXPECT_EQ(y.grad().data[7], 1.0f);  // d sum / d y
      EXPECT_EQ(z.grad().data, y.grad().data);  // the view handed its gradient to y
    }
  }
}

TEST(Graph, ReusedBuffersAreZeroedWhereGradientsAccumulate) {
  // x feeds two consumers, so its second contribution accumulates; the loss gradient's buffer is
  // allocated zeroed. Several steps on one graph (reset in between) reuse released buffers.
  std::vector<float> xs = inputs();
  Graph g;
  std::vector<float> first;
  for (int step = 0; step < 3; ++step) {
    Var x = g.input(Tensor(xs.data(), Shape{kRows, kCols}), true);
    Var a = tanh(mul(x, 0.5f));
    Var b = tanh(mul(x, 0.25f));
    g.backward(sum_all(add(mul(a, a), b)));
    const Tensor gx = x.grad();
    ASSERT_TRUE(gx.defined());
    if (step == 0) first.assign(gx.data, gx.data + gx.numel());
    EXPECT_EQ(0, std::memcmp(first.data(), gx.data, sizeof(float) * first.size())) << "step " << step;
    g.reset();
  }
}

}  // namespace
}  // namespace nd
