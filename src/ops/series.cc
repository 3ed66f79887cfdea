// Moving average and time-delay aggregation: forward and backward side by side.
#include "nd/ops/series.h"

#include <algorithm>
#include <cstring>
#include <vector>

#include "nd/core/parallel.h"
#include "nd/kernels/gemm.h"
#include "nd/kernels/reduce.h"
#include "ops/op_util.h"

namespace nd::ops {

namespace {

// Moving sum of width k over a replicate-padded sequence, per channel: for each b, out[t] =
// scale * sum_{j=t}^{t+k-1} P[j] with P[j] = x[clamp(j - half, 0, T - 1)].
// scratch: C doubles.
void moving_avg_fwd(const float* x, float* y, int64_t B, int64_t T, int64_t C, int64_t k, double* scratch) {
  const int64_t half = (k - 1) / 2;
  const double inv = 1.0 / static_cast<double>(k);
  double* acc = scratch;
  auto row = [&](const float* xb, int64_t j) { return xb + std::min(std::max(j - half, int64_t{0}), T - 1) * C; };
  for (int64_t b = 0; b < B; ++b) {
    const float* xb = x + b * T * C;
    float* yb = y + b * T * C;
    std::fill(acc, acc + C, 0.0);
    for (int64_t j = 0; j < k; ++j) {
      const float* r = row(xb, j);
      for (int64_t c = 0; c < C; ++c) acc[c] += r[c];
    }
    for (int64_t t = 0; t < T; ++t) {
      for (int64_t c = 0; c < C; ++c) yb[t * C + c] = static_cast<float>(acc[c] * inv);
      if (t + 1 < T) {
        const float* add = row(xb, t + k);
        const float* sub = row(xb, t);
        for (int64_t c = 0; c < C; ++c) acc[c] += static_cast<double>(add[c]) - sub[c];
      }
    }
  }
}

// i: B, T, C, k. Adjoint: padded position j collects (1 / k) * sum of g[t] for the windows
// t in [j - k + 1, j] that cover it; the pads fold onto the first / last step.
void moving_avg_backward(Graph& g, const Node& nd) {
  const int64_t B = nd.i[0], T = nd.i[1], C = nd.i[2], k = nd.i[3], half = (k - 1) / 2;
  const float* gy = g.grad_or_null(nd.out[0]);
  if (gy == nullptr || !detail::wants_grad(g, nd.in[0])) return;
  float* gx = g.grad_accum(nd.in[0]);
  const float inv = 1.0f / static_cast<float>(k);
  double* acc = static_cast<double*>(g.arena().alloc_bytes(sizeof(double) * static_cast<size_t>(C)));
  for (int64_t b = 0; b < B; ++b) {
    const float* gb = gy + b * T * C;
    float* xb = gx + b * T * C;
    std::fill(acc, acc + C, 0.0);
    for (int64_t j = 0; j < T + 2 * half; ++j) {  // acc = sum of g[t], t in [j - k + 1, j] within [0, T)
      if (j < T)
        for (int64_t c = 0; c < C; ++c) acc[c] += gb[j * C + c];
      if (j - k >= 0 && j - k < T)
        for (int64_t c = 0; c < C; ++c) acc[c] -= gb[(j - k) * C + c];
      float* dst = xb + std::min(std::max(j - half, int64_t{0}), T - 1) * C;
      for (int64_t c = 0; c < C; ++c) dst[c] += static_cast<float>(acc[c]) * inv;
    }
  }
}

// The rows (t + d) mod L for t = 0 .. L-1 are two contiguous runs: [d, L) then [0, d).
// i: B, L, C, K; ctx: delays [B, K]; saved[0]: values, saved[1]: weights
void delay_backward(Graph& g, const Node& nd) {
  const int64_t B = nd.i[0], L = nd.i[1], C = nd.i[2], K = nd.i[3];
  const auto* d = static_cast<const int64_t*>(nd.ctx);
  const float* gy = g.grad_or_null(nd.out[0]);
  if (gy == nullptr) return;
  const float* v = nd.saved[0].data;
  const float* w = nd.saved[1].data;
  const bool want_v = detail::wants_grad(g, nd.in[0]), want_w = detail::wants_grad(g, nd.in[1]);
  float* gv = want_v ? g.grad_accum(nd.in[0]) : nullptr;
  float* gw = want_w ? g.grad_accum(nd.in[1]) : nullptr;
  // Windows are independent: each writes only its own rows of gv and gw.
  parallel_for(B, 1, [&](int64_t b0, int64_t b1) {
    for (int64_t b = b0; b < b1; ++b)
      for (int64_t k = 0; k < K; ++k) {
        const int64_t dk = d[b * K + k], n1 = (L - dk) * C, n2 = dk * C;
        const float* gb = gy + b * L * C;
        if (want_v) {
          float* vb = gv + b * L * C;
          kernels::axpy(w[b * K + k], gb, vb + dk * C, n1);
          kernels::axpy(w[b * K + k], gb + n1, vb, n2);
        }
        if (want_w) {
          const float* vb = v + b * L * C;
          gw[b * K + k] += kernels::dot(gb, vb + dk * C, n1) + kernels::dot(gb + n1, vb, n2);
        }
      }
  });
}

// Autocorrelation products: S = K_b Q_b^T (row t, column s) contributes S[t, s] / C to lag
// (s - t) mod L, so row t adds into lags (L - t .. 2L - t) of a doubled accumulator that folds
// back at the end. One [L, L] scratch per worker; worker w takes windows w, w + W, ...
int64_t autocorr_workers(int64_t B) { return std::max<int64_t>(1, std::min<int64_t>(num_threads(), B)); }

void autocorr_fwd(const float* q, const float* k, float* out, int64_t B, int64_t L, int64_t C, float* scratch) {
  const int64_t W = autocorr_workers(B);
  parallel_for(W, 1, [&](int64_t w0, int64_t w1) {
    for (int64_t w = w0; w < w1; ++w) {
      float* S = scratch + w * (L * L + 2 * L);
      float* acc = S + L * L;
      for (int64_t b = w; b < B; b += W) {
        kernels::gemm(false, true, L, L, C, 1.0f / static_cast<float>(C), k + b * L * C, C, q + b * L * C, C, 0.0f, S,
                      L);
        std::fill(acc, acc + 2 * L, 0.0f);
        for (int64_t t = 0; t < L; ++t) {
          float* a = acc + L - t;
          const float* row = S + t * L;
          for (int64_t s = 0; s < L; ++s) a[s] += row[s];
        }
        float* o = out + b * L;
        for (int64_t tau = 0; tau < L; ++tau) o[tau] = acc[tau] + acc[L + tau];
      }
    }
  });
}

// i: B, L, C; saved[0]: q, saved[1]: k. D[t, s] = gy[(s - t) mod L] / C (the circulant of the
// output gradient): dq = D^T K, dk = D Q.
void autocorr_backward(Graph& g, const Node& nd) {
  const int64_t B = nd.i[0], L = nd.i[1], C = nd.i[2];
  const float* gy = g.grad_or_null(nd.out[0]);
  if (gy == nullptr) return;
  const float* q = nd.saved[0].data;
  const float* k = nd.saved[1].data;
  float* gq = detail::wants_grad(g, nd.in[0]) ? g.grad_accum(nd.in[0]) : nullptr;
  float* gk = detail::wants_grad(g, nd.in[1]) ? g.grad_accum(nd.in[1]) : nullptr;
  if (!gq && !gk) return;
  const int64_t W = autocorr_workers(B);
  float* scratch = g.arena().alloc(W * L * L);
  const float inv = 1.0f / static_cast<float>(C);
  parallel_for(W, 1, [&](int64_t w0, int64_t w1) {
    for (int64_t w = w0; w < w1; ++w) {
      float* D = scratch + w * L * L;
      for (int64_t b = w; b < B; b += W) {
        const float* gb = gy + b * L;
        for (int64_t t = 0; t < L; ++t) {  // D[t, s] = gb[s - t] for s >= t, gb[s - t + L] below
          std::memcpy(D + t * L, gb + L - t, sizeof(float) * static_cast<size_t>(t));
          std::memcpy(D + t * L + t, gb, sizeof(float) * static_cast<size_t>(L - t));
        }
        if (gq) kernels::gemm(true, false, L, C, L, inv, D, L, k + b * L * C, C, 1.0f, gq + b * L * C, C);
        if (gk) kernels::gemm(false, false, L, C, L, inv, D, L, q + b * L * C, C, 1.0f, gk + b * L * C, C);
      }
    }
  });
}

}  // namespace

Var moving_average(Var x, int64_t kernel) {
  ND_CHECK(x.defined() && x.rank() == 3, "moving_average: x must be [B, T, C]");
  ND_CHECK(kernel >= 1 && kernel % 2 == 1, "moving_average: kernel must be odd, got ", kernel);
  Graph& g = x.graph();
  const int64_t B = x.size(0), T = x.size(1), C = x.size(2);
  ND_CHECK(T >= 1, "moving_average: empty series");
  Var y = detail::make_out(g, x.shape(), {x});
  moving_avg_fwd(x.data(), y.data(), B, T, C, kernel,
                 static_cast<double*>(g.arena().alloc_bytes(sizeof(double) * static_cast<size_t>(C))));
  if (g.should_record({x})) {
    Node& nd = g.record(&moving_avg_backward, {y}, {x});
    nd.i[0] = B, nd.i[1] = T, nd.i[2] = C, nd.i[3] = kernel;
  }
  return y;
}

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
  parallel_for(B, 1, [&](int64_t b0, int64_t b1) {
    std::memset(out + b0 * L * C, 0, sizeof(float) * static_cast<size_t>((b1 - b0) * L * C));
    for (int64_t b = b0; b < b1; ++b)
      for (int64_t k = 0; k < K; ++k) {
        const int64_t dk = d[b * K + k], n1 = (L - dk) * C;
        const float* vb = v + b * L * C;
        float* ob = out + b * L * C;
        kernels::axpy(w[b * K + k], vb + dk * C, ob, n1);
        kernels::axpy(w[b * K + k], vb, ob + n1, dk * C);
      }
  });
  if (g.should_record({values, weights})) {
    Node& nd = g.record(&delay_backward, {y}, {values, weights});
    nd.i[0] = B, nd.i[1] = L, nd.i[2] = C, nd.i[3] = K;
    nd.ctx = d;
    nd.saved[0] = values.value();
    nd.saved[1] = weights.value();
  }
  return y;
}

Var mean_autocorrelation(Var q, Var k) {
  ND_CHECK(q.defined() && k.defined() && q.rank() == 3 && q.shape() == k.shape(),
           "mean_autocorrelation: q and k must both be [B, L, C], got ", q.defined() ? q.shape().str() : "undefined",
           " and ", k.defined() ? k.shape().str() : "undefined");
  const int64_t B = q.size(0), L = q.size(1), C = q.size(2);
  ND_CHECK(L >= 1 && C >= 1, "mean_autocorrelation: empty input ", q.shape().str());
  Graph& g = detail::graph_of({q, k});
  Var y = detail::make_out(g, Shape{B, L}, {q, k});
  autocorr_fwd(q.data(), k.data(), y.data(), B, L, C, g.arena().alloc(autocorr_workers(B) * (L * L + 2 * L)));
  if (g.should_record({q, k})) {
    Node& nd = g.record(&autocorr_backward, {y}, {q, k});
    nd.i[0] = B, nd.i[1] = L, nd.i[2] = C;
    nd.saved[0] = q.value();
    nd.saved[1] = k.value();
  }
  return y;
}

}  // namespace nd::ops
