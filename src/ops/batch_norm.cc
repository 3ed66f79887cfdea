// Batch normalization over the channel-last axis, forward and backward (torch.nn.BatchNorm1d).
// Statistics accumulate in double; rows are the product of all leading axes.
#include "nd/ops/batch_norm.h"

#include <cmath>
#include <vector>

#include "ops/op_util.h"

namespace nd::ops {

namespace {

// saved[0]: xhat [rows, C]; saved[1]: rstd [C]; i[0] rows, i[1] C, i[2] training.
void batch_norm_backward(Graph& g, const Node& n) {
  const int64_t R = n.i[0], C = n.i[1];
  const bool training = n.i[2] != 0;
  const float* gy = g.grad_or_null(n.out[0]);
  const float* xhat = n.saved[0].data;
  const float* rstd = n.saved[1].data;
  const float* gamma = n.in[1] >= 0 ? g.value(n.in[1]).data : nullptr;
  // Per-channel sums of dy and dy * xhat: dbeta and dgamma, and the terms of dx.
  std::vector<double> sdy(static_cast<size_t>(C), 0.0), sdyx(static_cast<size_t>(C), 0.0);
  for (int64_t r = 0; r < R; ++r) {
    const float* d = gy + r * C;
    const float* xh = xhat + r * C;
    for (int64_t c = 0; c < C; ++c) {
      sdy[c] += d[c];
      sdyx[c] += static_cast<double>(d[c]) * xh[c];
    }
  }
  if (n.in[1] >= 0 && detail::wants_grad(g, n.in[1])) {
    float* t = g.arena().alloc(C);
    for (int64_t c = 0; c < C; ++c) t[c] = static_cast<float>(sdyx[c]);
    detail::accum(g, n.in[1], t, C);
  }
  if (n.in[2] >= 0 && detail::wants_grad(g, n.in[2])) {
    float* t = g.arena().alloc(C);
    for (int64_t c = 0; c < C; ++c) t[c] = static_cast<float>(sdy[c]);
    detail::accum(g, n.in[2], t, C);
  }
  if (!detail::wants_grad(g, n.in[0])) return;
  auto sink = detail::grad_sink(g, n.in[0], R * C);
  std::vector<float> k(static_cast<size_t>(C)), a(static_cast<size_t>(C)), b(static_cast<size_t>(C));
  for (int64_t c = 0; c < C; ++c) {
    k[c] = (gamma ? gamma[c] : 1.0f) * rstd[c];
    // Training: dx = k * (dy - mean(dy) - xhat * mean(dy * xhat)); eval: dx = k * dy.
    a[c] = training ? static_cast<float>(sdy[c] / static_cast<double>(R)) : 0.0f;
    b[c] = training ? static_cast<float>(sdyx[c] / static_cast<double>(R)) : 0.0f;
  }
  for (int64_t r = 0; r < R; ++r) {
    const float* d = gy + r * C;
    const float* xh = xhat + r * C;
    float* o = sink.buf + r * C;
    for (int64_t c = 0; c < C; ++c) o[c] = k[c] * (d[c] - a[c] - xh[c] * b[c]);
  }
  detail::finish_grad(sink);
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
  if (st.training) {
    std::vector<double> s(static_cast<size_t>(C), 0.0), ss(static_cast<size_t>(C), 0.0);
    for (int64_t r = 0; r < R; ++r)
      for (int64_t c = 0; c < C; ++c) s[c] += xp[r * C + c];
    for (int64_t c = 0; c < C; ++c) s[c] /= static_cast<double>(R);
    for (int64_t r = 0; r < R; ++r)
      for (int64_t c = 0; c < C; ++c) {
        const double d = xp[r * C + c] - s[c];
        ss[c] += d * d;
      }
    for (int64_t c = 0; c < C; ++c) {
      const double var = ss[c] / static_cast<double>(R);
      mean[c] = static_cast<float>(s[c]);
      rstd[c] = static_cast<float>(1.0 / std::sqrt(var + st.eps));
      if (st.running_mean) st.running_mean[c] = (1.0f - st.momentum) * st.running_mean[c] + st.momentum * mean[c];
      if (st.running_var)
        st.running_var[c] = (1.0f - st.momentum) * st.running_var[c] +
                            st.momentum * static_cast<float>(ss[c] / static_cast<double>(R - 1));
    }
  } else {
    for (int64_t c = 0; c < C; ++c) {
      mean[c] = st.running_mean[c];
      rstd[c] = 1.0f / std::sqrt(st.running_var[c] + st.eps);
    }
  }
  Var y = detail::make_out(g, x.shape(), {x, gamma, beta});
  const bool record = g.should_record({x, gamma, beta});
  float* xhat = record ? g.arena().alloc(R * C) : nullptr;
  const float* gp = gamma.defined() ? gamma.data() : nullptr;
  const float* bp = beta.defined() ? beta.data() : nullptr;
  float* yp = y.data();
  for (int64_t r = 0; r < R; ++r)
    for (int64_t c = 0; c < C; ++c) {
      const float xh = (xp[r * C + c] - mean[c]) * rstd[c];
      if (xhat) xhat[r * C + c] = xh;
      yp[r * C + c] = (gp ? xh * gp[c] : xh) + (bp ? bp[c] : 0.0f);
    }
  if (record) {
    Node& n = g.record(&batch_norm_backward, {y}, {x, gamma, beta});
    n.saved[0] = Tensor(xhat, Shape{R, C});
    n.saved[1] = Tensor(rstd, Shape{C});
    n.i[0] = R, n.i[1] = C, n.i[2] = st.training ? 1 : 0;
  }
  return y;
}

}  // namespace nd::ops
