// rfft / irfft and complex tanh: forward and backward side by side.
#include "nd/ops/fft.h"

#include <cmath>
#include <limits>
#include <vector>

#include "nd/core/parallel.h"
#include "nd/kernels/fft.h"
#include "nd/kernels/gemm.h"
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

// Values below the smallest normal float as 0. Saturated tanh (|Re z| beyond ~44) has a
// derivative and an imaginary part of e^(-2|Re z|) that underflow into subnormals; every later
// product with them (FEDformer's cross-attention GEMMs) then ran up to ~40x slower on x86
// (2.3 s instead of ~60 ms per backward product at NF's default sizes). The values changed are
// below 1.2e-38 in magnitude.
inline float flush_subnormal(float v) { return std::fabs(v) < std::numeric_limits<float>::min() ? 0.0f : v; }

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
    s.buf[2 * k] = flush_subnormal(dr * gr + di * gi);  // conj(D) * g
    s.buf[2 * k + 1] = flush_subnormal(dr * gi - di * gr);
  }
  detail::finish_grad(s);
}

// Frequencies of rfft_modes / irfft_modes: in [0, L / 2] (and distinct for the inverse); none is
// allowed (an empty spectrum).
void check_freqs(const char* op, const std::vector<int64_t>& freqs, int64_t L, bool distinct) {
  std::vector<bool> seen(static_cast<size_t>(L / 2 + 1), false);
  for (int64_t f : freqs) {
    ND_CHECK(f >= 0 && f <= L / 2, op, ": frequency ", f, " outside the ", L / 2 + 1, " bins of length ", L);
    ND_CHECK(!distinct || !seen[f], op, ": frequency ", f, " given twice");
    seen[f] = true;
  }
}

// The angle 2 pi f t / L with f t reduced mod L first (exact in integers), in double.
double dft_angle(int64_t f, int64_t t, int64_t L) {
  return 2.0 * 3.14159265358979323846 * static_cast<double>((f * t) % L) / static_cast<double>(L);
}

// Forward DFT matrix F [L, 2M]: F[t, 2m] = cos(2 pi f_m t / L), F[t, 2m + 1] = -sin(...).
float* dft_matrix(Graph& g, const std::vector<int64_t>& freqs, int64_t L) {
  const int64_t M = static_cast<int64_t>(freqs.size());
  float* F = g.arena().alloc(L * 2 * M);
  for (int64_t t = 0; t < L; ++t)
    for (int64_t m = 0; m < M; ++m) {
      const double a = dft_angle(freqs[m], t, L);
      F[t * 2 * M + 2 * m] = static_cast<float>(std::cos(a));
      F[t * 2 * M + 2 * m + 1] = static_cast<float>(-std::sin(a));
    }
  return F;
}

// Inverse (Hermitian) matrix G [2M, L]: row 2m = w cos(2 pi f t / L) / L, row 2m + 1 =
// -w sin(...) / L, w = 1 for the DC and Nyquist bins (whose imaginary rows are 0), else 2.
float* idft_matrix(Graph& g, const std::vector<int64_t>& freqs, int64_t L) {
  const int64_t M = static_cast<int64_t>(freqs.size());
  float* G = g.arena().alloc(2 * M * L);
  for (int64_t m = 0; m < M; ++m) {
    const int64_t f = freqs[m];
    const bool edge = f == 0 || 2 * f == L;
    const double w = (edge ? 1.0 : 2.0) / static_cast<double>(L);
    for (int64_t t = 0; t < L; ++t) {
      const double a = dft_angle(f, t, L);
      G[2 * m * L + t] = static_cast<float>(w * std::cos(a));
      G[(2 * m + 1) * L + t] = edge ? 0.0f : static_cast<float>(-w * std::sin(a));
    }
  }
  return G;
}

// i: B, L, C, M; ctx: F [L, 2M]. dx_b [L, C] += F dY_b^T.
void rfft_modes_backward(Graph& g, const Node& nd) {
  const int64_t B = nd.i[0], L = nd.i[1], C = nd.i[2], M2 = 2 * nd.i[3];
  const float* gy = g.grad_or_null(nd.out[0]);
  if (gy == nullptr || !detail::wants_grad(g, nd.in[0])) return;
  const float* F = static_cast<const float*>(nd.ctx);
  float* gx = g.grad_accum(nd.in[0]);
  parallel_for(B, 1, [&](int64_t b0, int64_t b1) {
    for (int64_t b = b0; b < b1; ++b)
      kernels::gemm(false, true, L, C, M2, 1.0f, F, M2, gy + b * C * M2, M2, 1.0f, gx + b * L * C, C);
  });
}

// i: rows, L, M; ctx: G [2M, L]. dY [rows, 2M] += dout G^T.
void irfft_modes_backward(Graph& g, const Node& nd) {
  const int64_t rows = nd.i[0], L = nd.i[1], M2 = 2 * nd.i[2];
  const float* gy = g.grad_or_null(nd.out[0]);
  if (gy == nullptr || !detail::wants_grad(g, nd.in[0])) return;
  kernels::gemm(false, true, rows, M2, L, 1.0f, gy, L, static_cast<const float*>(nd.ctx), L, 1.0f,
                g.grad_accum(nd.in[0]), M2);
}

}  // namespace

Var rfft_modes(Var x, const std::vector<int64_t>& freqs) {
  ND_CHECK(x.defined() && x.rank() == 3, "rfft_modes: x must be [B, L, C], got ",
           x.defined() ? x.shape().str() : "undefined");
  const int64_t B = x.size(0), L = x.size(1), C = x.size(2), M = static_cast<int64_t>(freqs.size());
  ND_CHECK(L >= 1, "rfft_modes: empty time axis");
  check_freqs("rfft_modes", freqs, L, false);
  Graph& g = x.graph();
  const float* F = dft_matrix(g, freqs, L);
  Var y = detail::make_out(g, Shape{B, C, M, 2}, {x});
  const float* xv = x.data();
  float* yv = y.data();
  parallel_for(B, 1, [&](int64_t b0, int64_t b1) {  // Y_b [C, 2M] = x_b^T F
    for (int64_t b = b0; b < b1; ++b)
      kernels::gemm(true, false, C, 2 * M, L, 1.0f, xv + b * L * C, C, F, 2 * M, 0.0f, yv + b * C * 2 * M, 2 * M);
  });
  if (g.should_record({x})) {
    Node& nd = g.record(&rfft_modes_backward, {y}, {x});
    nd.i[0] = B, nd.i[1] = L, nd.i[2] = C, nd.i[3] = M;
    nd.ctx = F;
  }
  return y;
}

Var irfft_modes(Var Y, const std::vector<int64_t>& freqs, int64_t L) {
  const int64_t M = static_cast<int64_t>(freqs.size());
  ND_CHECK(Y.defined() && Y.rank() >= 2 && Y.size(Y.rank() - 2) == M && Y.size(Y.rank() - 1) == 2,
           "irfft_modes: Y must be [..., ", M, ", 2] for ", M, " frequencies, got ",
           Y.defined() ? Y.shape().str() : "undefined");
  ND_CHECK(L >= 1, "irfft_modes: invalid output length ", L);
  check_freqs("irfft_modes", freqs, L, true);
  const Shape& s = Y.shape();
  const int64_t rows = rows_of(s, 2);
  Shape o;  // [..., M, 2] -> [..., L]
  for (int a = 0; a + 2 < s.rank(); ++a) o.push_back(s[a]);
  o.push_back(L);
  Graph& g = Y.graph();
  const float* G = idft_matrix(g, freqs, L);
  Var y = detail::make_out(g, o, {Y});
  kernels::gemm(false, false, rows, L, 2 * M, 1.0f, Y.data(), 2 * M, G, L, 0.0f, y.data(), L);
  if (g.should_record({Y})) {
    Node& nd = g.record(&irfft_modes_backward, {y}, {Y});
    nd.i[0] = rows, nd.i[1] = L, nd.i[2] = M;
    nd.ctx = G;
  }
  return y;
}

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
  parallel_for(cnt, 4096, [&](int64_t k0, int64_t k1) {
    for (int64_t k = k0; k < k1; ++k) {
      // tanh(x + iy) = (sinh 2x + i sin 2y) / (cosh 2x + cos 2y), in double, sinh and cosh from
      // one expm1 (no cancellation for small x); for |x| large the ratio tends to (sign x, 0)
      // and the formula would overflow.
      const double x = a[2 * k], yv = a[2 * k + 1];
      if (std::fabs(x) > 20.0) {
        w[2 * k] = x > 0 ? 1.0f : -1.0f;
        w[2 * k + 1] = flush_subnormal(static_cast<float>(2.0 * std::sin(2 * yv) * std::exp(-2.0 * std::fabs(x))));
        continue;
      }
      // tanh is odd: evaluate at |x| (e >= 1, so 1 / e cannot overflow) and flip both signs back.
      const double sg = x < 0 ? -1.0 : 1.0, ax = sg * x, y2 = sg * 2 * yv;
      const double em1 = std::expm1(2 * ax), e = em1 + 1.0;
      const double sh = 0.5 * (em1 + em1 / e), ch = 0.5 * (e + 1.0 / e);
      const double den = ch + std::cos(y2);
      w[2 * k] = static_cast<float>(sg * sh / den);
      w[2 * k + 1] = flush_subnormal(static_cast<float>(sg * std::sin(y2) / den));
    }
  });
  if (g.should_record({z})) {
    Node& nd = g.record(&complex_tanh_backward, {y}, {z});
    nd.i[0] = cnt;
    nd.saved[0] = y.value();
  }
  return y;
}

}  // namespace nd::ops
