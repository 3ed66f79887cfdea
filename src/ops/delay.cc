// Time-delay aggregation: forward and backward side by side.
#include "nd/ops/delay.h"

#include <cstring>

#include "ops/op_util.h"

namespace nd::ops {

namespace {

// i: B, L, C, K; ctx: delays [B, K]; saved[0]: values, saved[1]: weights
void delay_backward(Graph& g, const Node& nd) {
  const int64_t B = nd.i[0], L = nd.i[1], C = nd.i[2], K = nd.i[3];
  const auto* d = static_cast<const int64_t*>(nd.ctx);
  const float* gy = g.grad_or_null(nd.out[0]);
  if (gy == nullptr) return;
  const float* v = nd.saved[0].data;
  const float* w = nd.saved[1].data;
  if (detail::wants_grad(g, nd.in[0])) {
    float* gv = g.grad_accum(nd.in[0]);
    for (int64_t b = 0; b < B; ++b)
      for (int64_t k = 0; k < K; ++k) {
        const float wk = w[b * K + k];
        const int64_t dk = d[b * K + k];
        for (int64_t t = 0; t < L; ++t) {
          const int64_t s = (t + dk) % L;
          kernels::axpy(wk, gy + (b * L + t) * C, gv + (b * L + s) * C, C);
        }
      }
  }
  if (detail::wants_grad(g, nd.in[1])) {
    float* gw = g.grad_accum(nd.in[1]);
    for (int64_t b = 0; b < B; ++b)
      for (int64_t k = 0; k < K; ++k) {
        const int64_t dk = d[b * K + k];
        double acc = 0.0;
        for (int64_t t = 0; t < L; ++t) {
          const float* gr = gy + (b * L + t) * C;
          const float* vr = v + (b * L + (t + dk) % L) * C;
          for (int64_t c = 0; c < C; ++c) acc += static_cast<double>(gr[c]) * vr[c];
        }
        gw[b * K + k] += static_cast<float>(acc);
      }
  }
}

}  // namespace

Var time_delay_aggregate(Var values, Var weights, const std::vector<int64_t>& delays) {
  ND_CHECK(values.defined() && values.rank() == 3, "time_delay_aggregate: values must be [B, L, C]");
  const int64_t B = values.size(0), L = values.size(1), C = values.size(2);
  ND_CHECK(weights.defined() && weights.rank() == 2 && weights.size(0) == B,
           "time_delay_aggregate: weights must be [B, K] with B = ", B);
  const int64_t K = weights.size(1);
  ND_CHECK(static_cast<int64_t>(delays.size()) == B * K, "time_delay_aggregate: ", delays.size(),
           " delays for B * K = ", B * K);
  Graph& g = detail::graph_of({values, weights});
  auto* d = g.arena().alloc_array<int64_t>(std::max<int64_t>(B * K, 1));
  for (int64_t i = 0; i < B * K; ++i) {
    ND_CHECK(delays[i] >= 0 && delays[i] < L, "time_delay_aggregate: delay ", delays[i], " outside [0, ", L, ")");
    d[i] = delays[i];
  }
  Var y = detail::make_out(g, values.shape(), {values, weights});
  float* out = y.data();
  const float* v = values.data();
  const float* w = weights.data();
  std::memset(out, 0, sizeof(float) * static_cast<size_t>(B * L * C));
  for (int64_t b = 0; b < B; ++b)
    for (int64_t k = 0; k < K; ++k) {
      const float wk = w[b * K + k];
      const int64_t dk = d[b * K + k];
      for (int64_t t = 0; t < L; ++t)
        kernels::axpy(wk, v + (b * L + (t + dk) % L) * C, out + (b * L + t) * C, C);
    }
  if (g.should_record({values, weights})) {
    Node& nd = g.record(&delay_backward, {y}, {values, weights});
    nd.i[0] = B, nd.i[1] = L, nd.i[2] = C, nd.i[3] = K;
    nd.ctx = d;
    nd.saved[0] = values.value();
    nd.saved[1] = weights.value();
  }
  return y;
}

}  // namespace nd::ops
