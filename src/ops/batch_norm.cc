// Batch normalization over the channel-last axis, forward and backward (torch.nn.BatchNorm1d).
// Rows are the product of all leading axes. Threads take slices of whole channels (one parallel
// region per call), so every channel is reduced in the same order at any thread count.
#include "nd/ops/batch_norm.h"

#include <algorithm>
#include <cmath>

#include "nd/core/parallel.h"
#include "nd/kernels/batchnorm.h"
#include "ops/op_util.h"

namespace nd::ops {

namespace {

// Channels per unit of parallel work: a 64-byte line of each row, so slices share no cache line.
constexpr int64_t kGroup = 16;

// Runs fn(c0, c1) over slices of [0, C) (whole groups) with enough rows * channels per thread.
template <typename F>
void for_channel_slices(int64_t R, int64_t C, F&& fn) {
  const int64_t groups = (C + kGroup - 1) / kGroup;
  const int64_t grain = std::max<int64_t>(1, (int64_t{1} << 16) / std::max<int64_t>(R * kGroup, 1));
  parallel_for(groups, grain, [&](int64_t b, int64_t e) { fn(b * kGroup, std::min(C, e * kGroup)); });
}

// x stays alive in the graph for the whole step, so xhat is recomputed from it instead of saved.
// saved[0]: mean [C], saved[1]: rstd [C]; i[0] rows, i[1] C, i[2] training.
void batch_norm_backward(Graph& g, const Node& n) {
  const int64_t R = n.i[0], C = n.i[1];
  const bool training = n.i[2] != 0;
  const float* x = g.value(n.in[0]).data;
  const float* gy = g.grad_or_null(n.out[0]);
  const float* mean = n.saved[0].data;
  const float* rstd = n.saved[1].data;
  const float* gamma = n.in[1] >= 0 ? g.value(n.in[1]).data : nullptr;
  const bool want_dx = detail::wants_grad(g, n.in[0]);
  const bool want_dgamma = n.in[1] >= 0 && detail::wants_grad(g, n.in[1]);
  const bool want_dbeta = n.in[2] >= 0 && detail::wants_grad(g, n.in[2]);
  // Per-channel sum of dy (dbeta) and of dy * xhat (dgamma); training-mode dx needs both too.
  const bool sums = want_dgamma || want_dbeta || (want_dx && training);
  float* sdy = sums ? g.arena().alloc(C) : nullptr;
  float* sdyx = sums ? g.arena().alloc(C) : nullptr;
  detail::GradSink sink{};
  if (want_dx) sink = detail::grad_sink(g, n.in[0], R * C);
  for_channel_slices(R, C, [&](int64_t c0, int64_t c1) {
    const int64_t cn = c1 - c0;
    if (sums) kernels::batch_norm_backward_sums(x + c0, gy + c0, mean + c0, rstd + c0, sdy + c0, sdyx + c0, R, cn, C);
    if (want_dx)
      kernels::batch_norm_backward_dx(x + c0, gy + c0, mean + c0, rstd + c0, gamma ? gamma + c0 : nullptr,
                                      sums ? sdy + c0 : nullptr, sums ? sdyx + c0 : nullptr, sink.buf + c0, R, cn, C,
                                      training);
  });
  if (want_dx) detail::finish_grad(sink);
  if (want_dgamma) detail::accum(g, n.in[1], sdyx, C);
  if (want_dbeta) detail::accum(g, n.in[2], sdy, C);
}

}  // namespace

Var batch_norm(Var x, Var gamma, Var beta, const BatchNormState& st) {
  Graph& g = detail::graph_of({x, gamma, beta});
  ND_CHECK(x.rank() >= 2, "batch_norm: expected [..., C] with at least 2 axes, got ", x.shape().str());
  const int64_t C = x.shape().back(), R = x.numel() / std::max<int64_t>(C, 1);
  for (const Var* p : {&gamma, &beta})
    if (p->defined())
      ND_CHECK(p->numel() == C, "batch_norm: affine parameter ", p->shape().str(), " does not match ", C, " channels");
  ND_CHECK(st.eps > 0.0f, "batch_norm: eps must be positive, got ", st.eps);
  ND_CHECK(!st.training || R > 1, "batch_norm: expected more than 1 value per channel when training, got input ",
           x.shape().str());
  ND_CHECK(st.training || (st.running_mean && st.running_var), "batch_norm: eval mode needs running statistics");
  const float* xp = x.data();
  float* mean = g.arena().alloc(C);
  float* rstd = g.arena().alloc(C);
  float* var = st.training ? g.arena().alloc(C) : nullptr;  // biased batch variance
  Var y = detail::make_out(g, x.shape(), {x, gamma, beta});
  const float* gp = gamma.defined() ? gamma.data() : nullptr;
  const float* bp = beta.defined() ? beta.data() : nullptr;
  float* yp = y.data();
  for_channel_slices(R, C, [&](int64_t c0, int64_t c1) {
    if (st.training) {
      kernels::batch_norm_stats(xp + c0, R, c1 - c0, C, mean + c0, var + c0);
      for (int64_t c = c0; c < c1; ++c) rstd[c] = static_cast<float>(1.0 / std::sqrt(static_cast<double>(var[c]) + st.eps));
    } else {
      for (int64_t c = c0; c < c1; ++c) {
        mean[c] = st.running_mean[c];
        rstd[c] = static_cast<float>(1.0 / std::sqrt(static_cast<double>(st.running_var[c]) + st.eps));
      }
    }
    kernels::batch_norm_apply(xp + c0, mean + c0, rstd + c0, gp ? gp + c0 : nullptr, bp ? bp + c0 : nullptr, yp + c0,
                              R, c1 - c0, C);
  });
  if (st.training) {
    // torch: running = (1 - momentum) * running + momentum * batch, with the unbiased batch variance.
    const double unbias = static_cast<double>(R) / static_cast<double>(R - 1);
    for (int64_t c = 0; c < C; ++c) {
      if (st.running_mean) st.running_mean[c] = (1.0f - st.momentum) * st.running_mean[c] + st.momentum * mean[c];
      if (st.running_var)
        st.running_var[c] = (1.0f - st.momentum) * st.running_var[c] +
                            st.momentum * static_cast<float>(static_cast<double>(var[c]) * unbias);
    }
  }
  if (g.should_record({x, gamma, beta})) {
    Node& n = g.record(&batch_norm_backward, {y}, {x, gamma, beta});
    n.saved[0] = Tensor(mean, Shape{C});
    n.saved[1] = Tensor(rstd, Shape{C});
    n.i[0] = R, n.i[1] = C, n.i[2] = st.training ? 1 : 0;
  }
  return y;
}

}  // namespace nd::ops
