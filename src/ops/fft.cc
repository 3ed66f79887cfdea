// rfft / irfft and complex tanh: forward and backward side by side.
#include "nd/ops/fft.h"

#include <cmath>
#include <vector>

#include "nd/kernels/fft.h"
#include "ops/op_util.h"

namespace nd::ops {

namespace {

int64_t rows_of(const Shape& s, int drop) {
  int64_t r = 1;
  for (int a = 0; a < s.rank() - drop; ++a) r *= s[a];
  return r;
}

// i: rows, n
void rfft_backward(Graph& g, const Node& nd) {
  const int64_t rows = nd.i[0], n = nd.i[1];
  const float* gy = g.grad_or_null(nd.out[0]);
  if (gy == nullptr || !detail::wants_grad(g, nd.in[0])) return;
  detail::GradSink s = detail::grad_sink(g, nd.in[0], rows * n);
  kernels::rfft_adjoint_f32(rows, n, gy, s.buf);
  detail::finish_grad(s);
}

// i: rows, m, n.  dL/dX_k = (w_k / n) rfft(dL/dx)_k for k <= n / 2 (w_k = 2 for interior bins,
// and the DC / Nyquist imaginary parts get 0, which rfft yields), 0 past n / 2.
void irfft_backward(Graph& g, const Node& nd) {
  const int64_t rows = nd.i[0], m = nd.i[1], n = nd.i[2], mf = n / 2 + 1;
  const float* gy = g.grad_or_null(nd.out[0]);
  if (gy == nullptr || !detail::wants_grad(g, nd.in[0])) return;
  float* spec = g.arena().alloc(rows * mf * 2);
  kernels::rfft_f32(rows, n, gy, spec);
  detail::GradSink s = detail::grad_sink(g, nd.in[0], rows * m * 2);
  const float inv_n = 1.0f / static_cast<float>(n);
  for (int64_t r = 0; r < rows; ++r) {
    float* o = s.buf + r * m * 2;
    const float* sp = spec + r * mf * 2;
    for (int64_t k = 0; k < m; ++k) {
      if (k >= mf) {
        o[2 * k] = o[2 * k + 1] = 0.0f;
        continue;
      }
      const float w = (k == 0 || 2 * k == n) ? inv_n : 2.0f * inv_n;
      o[2 * k] = w * sp[2 * k];
      o[2 * k + 1] = (k == 0 || 2 * k == n) ? 0.0f : w * sp[2 * k + 1];
    }
  }
  detail::finish_grad(s);
}

// saved[0]: tanh(z) (the output). d tanh / dz = 1 - tanh^2 =: D (holomorphic), so with
// PyTorch's convention grad_z = conj(D) * grad_w.
void complex_tanh_backward(Graph& g, const Node& nd) {
  const int64_t cnt = nd.i[0];
  const float* gy = g.grad_or_null(nd.out[0]);
  if (gy == nullptr || !detail::wants_grad(g, nd.in[0])) return;
  const float* w = nd.saved[0].data;
  detail::GradSink s = detail::grad_sink(g, nd.in[0], cnt * 2);
  for (int64_t k = 0; k < cnt; ++k) {
    const float a = w[2 * k], b = w[2 * k + 1];
    const float dr = 1.0f - (a * a - b * b), di = -2.0f * a * b;  // D = 1 - w^2
    const float gr = gy[2 * k], gi = gy[2 * k + 1];
    s.buf[2 * k] = dr * gr + di * gi;  // conj(D) * g
    s.buf[2 * k + 1] = dr * gi - di * gr;
  }
  detail::finish_grad(s);
}

}  // namespace

Var rfft(Var x) {
  ND_CHECK(x.defined() && x.rank() >= 1, "rfft: expected a tensor [..., n]");
  Graph& g = x.graph();
  const Shape& s = x.shape();
  const int64_t n = s.back(), rows = rows_of(s, 1);
  ND_CHECK(n >= 1, "rfft: the last axis is empty");
  ND_CHECK(s.rank() < kMaxDims, "rfft: rank ", s.rank(), " leaves no room for the complex axis");
  Shape o = s;
  o[o.rank() - 1] = n / 2 + 1;
  o.push_back(2);
  Var y = detail::make_out(g, o, {x});
  kernels::rfft_f32(rows, n, x.data(), y.data());
  if (g.should_record({x})) {
    Node& nd = g.record(&rfft_backward, {y}, {x});
    nd.i[0] = rows, nd.i[1] = n;
  }
  return y;
}

Var irfft(Var X, int64_t n) {
  ND_CHECK(X.defined() && X.rank() >= 2 && X.size(X.rank() - 1) == 2,
           "irfft: expected a complex tensor [..., m, 2], got ", X.defined() ? X.shape().str() : "undefined");
  Graph& g = X.graph();
  const Shape& s = X.shape();
  const int64_t m = s[s.rank() - 2], rows = rows_of(s, 2);
  if (n <= 0) n = 2 * (m - 1);
  ND_CHECK(n >= 1, "irfft: invalid output length ", n, " for ", m, " bins");
  Shape o;  // [..., m, 2] -> [..., n]
  for (int a = 0; a + 2 < s.rank(); ++a) o.push_back(s[a]);
  o.push_back(n);
  Var y = detail::make_out(g, o, {X});
  kernels::irfft_f32(rows, m, n, X.data(), y.data());
  if (g.should_record({X})) {
    Node& nd = g.record(&irfft_backward, {y}, {X});
    nd.i[0] = rows, nd.i[1] = m, nd.i[2] = n;
  }
  return y;
}

Var complex_tanh(Var z) {
  ND_CHECK(z.defined() && z.rank() >= 1 && z.size(z.rank() - 1) == 2,
           "complex_tanh: expected a complex tensor [..., 2], got ", z.defined() ? z.shape().str() : "undefined");
  Graph& g = z.graph();
  const int64_t cnt = z.numel() / 2;
  Var y = detail::make_out(g, z.shape(), {z});
  const float* a = z.data();
  float* w = y.data();
  for (int64_t k = 0; k < cnt; ++k) {
    // tanh(x + iy) = (sinh 2x + i sin 2y) / (cosh 2x + cos 2y), in double; for |x| large the
    // ratio tends to (sign x, 0) and the formula would overflow.
    const double x = a[2 * k], yv = a[2 * k + 1];
    if (std::fabs(x) > 20.0) {
      w[2 * k] = x > 0 ? 1.0f : -1.0f;
      w[2 * k + 1] = static_cast<float>(2.0 * std::sin(2 * yv) * std::exp(-2.0 * std::fabs(x)));
      continue;
    }
    const double den = std::cosh(2 * x) + std::cos(2 * yv);
    w[2 * k] = static_cast<float>(std::sinh(2 * x) / den);
    w[2 * k + 1] = static_cast<float>(std::sin(2 * yv) / den);
  }
  if (g.should_record({z})) {
    Node& nd = g.record(&complex_tanh_backward, {y}, {z});
    nd.i[0] = cnt;
    nd.saved[0] = y.value();
  }
  return y;
}

}  // namespace nd::ops
