// conv1d through im2col + GEMM (Chellapilla et al. 2006): forward and backward side by side.
#include <cstring>

#include "nd/kernels/gemm.h"
#include "nd/kernels/reduce.h"
#include "nd/ops/conv.h"
#include "ops/op_util.h"

namespace nd::ops {

namespace {

struct ConvDims {
  int64_t B, C, L, O, K, Lout, stride, dil, pl;
};

// cols [C*K, Lout] for one batch item: cols[c*K + k, t] = x[c, t*stride + k*dil - pl] (0 outside).
void im2col(const float* x, float* cols, const ConvDims& d) {
  for (int64_t c = 0; c < d.C; ++c)
    for (int64_t k = 0; k < d.K; ++k) {
      float* row = cols + (c * d.K + k) * d.Lout;
      const float* xr = x + c * d.L;
      const int64_t off = k * d.dil - d.pl;
      for (int64_t t = 0; t < d.Lout; ++t) {
        const int64_t s = t * d.stride + off;
        row[t] = (s >= 0 && s < d.L) ? xr[s] : 0.0f;
      }
    }
}

void col2im_add(const float* cols, float* dx, const ConvDims& d) {
  for (int64_t c = 0; c < d.C; ++c)
    for (int64_t k = 0; k < d.K; ++k) {
      const float* row = cols + (c * d.K + k) * d.Lout;
      float* xr = dx + c * d.L;
      const int64_t off = k * d.dil - d.pl;
      for (int64_t t = 0; t < d.Lout; ++t) {
        const int64_t s = t * d.stride + off;
        if (s >= 0 && s < d.L) xr[s] += row[t];
      }
    }
}

ConvDims dims_of(const Node& n) {
  return {n.i[0], n.i[1], n.i[2], n.i[3], n.i[4], n.i[5], n.i[6], n.i[7], static_cast<int64_t>(n.f[0])};
}

// saved[0]: cols [B, C*K, Lout]
void conv1d_backward(Graph& g, const Node& n) {
  const ConvDims d = dims_of(n);
  const float* gy = g.grad_or_null(n.out[0]);
  const float* cols = n.saved[0].data;
  const float* w = g.value(n.in[1]).data;
  const int64_t CK = d.C * d.K;
  if (detail::wants_grad(g, n.in[1])) {
    float* gw = g.grad_accum(n.in[1]);
    for (int64_t b = 0; b < d.B; ++b)  // dW[O, CK] += gy[b][O, Lout] cols[b]^T
      kernels::gemm(false, true, d.O, CK, d.Lout, gy + b * d.O * d.Lout, cols + b * CK * d.Lout, gw, 1.0f);
  }
  if (n.in[2] >= 0 && detail::wants_grad(g, n.in[2])) {
    float* gb = g.grad_accum(n.in[2]);
    float* t = g.arena().alloc(d.O);
    for (int64_t b = 0; b < d.B; ++b) {
      kernels::reduce_sum(gy + b * d.O * d.Lout, t, d.O, d.Lout, 1);
      kernels::axpy(1.0f, t, gb, d.O);
    }
  }
  if (detail::wants_grad(g, n.in[0])) {
    float* gx = g.grad_accum(n.in[0]);
    float* dcols = g.arena().alloc(CK * d.Lout);
    for (int64_t b = 0; b < d.B; ++b) {
      kernels::gemm(true, false, CK, d.Lout, d.O, w, gy + b * d.O * d.Lout, dcols, 0.0f);  // W^T gy
      col2im_add(dcols, gx + b * d.C * d.L, d);
    }
  }
}

}  // namespace

Var conv1d(Var x, Var w, Var b, const Conv1dArgs& a) {
  Graph& g = detail::graph_of({x, w, b});
  ND_CHECK(x.rank() == 3, "conv1d: input must be [batch, channels, length], got ", x.shape().str());
  ND_CHECK(w.rank() == 3, "conv1d: weight must be [out_channels, in_channels, kernel], got ", w.shape().str());
  ND_CHECK(w.size(1) == x.size(1), "conv1d: input has ", x.size(1), " channels but weight ", w.shape().str(),
           " expects ", w.size(1));
  ND_CHECK(a.stride >= 1 && a.dilation >= 1 && a.pad_left >= 0 && a.pad_right >= 0,
           "conv1d: stride and dilation must be >= 1 and padding >= 0");
  ConvDims d{x.size(0), x.size(1), x.size(2), w.size(0), w.size(2), 0, a.stride, a.dilation, a.pad_left};
  const int64_t span = a.dilation * (d.K - 1) + 1;
  ND_CHECK(d.L + a.pad_left + a.pad_right >= span, "conv1d: input length ", d.L, " plus padding ",
           a.pad_left + a.pad_right, " is shorter than the dilated kernel span ", span);
  d.Lout = (d.L + a.pad_left + a.pad_right - span) / a.stride + 1;
  if (b.defined()) ND_CHECK(b.numel() == d.O, "conv1d: bias ", b.shape().str(), " does not match ", d.O, " outputs");
  Var y = detail::make_out(g, Shape{d.B, d.O, d.Lout}, {x, w, b});
  const int64_t CK = d.C * d.K;
  const bool rec = g.should_record({x, w, b});
  // Keep all columns when recording (backward needs them), else reuse one scratch block.
  float* cols = g.arena().alloc((rec ? d.B : 1) * CK * d.Lout);
  for (int64_t bi = 0; bi < d.B; ++bi) {
    float* cb = cols + (rec ? bi : 0) * CK * d.Lout;
    im2col(x.data() + bi * d.C * d.L, cb, d);
    float* yb = y.data() + bi * d.O * d.Lout;
    if (b.defined())
      for (int64_t o = 0; o < d.O; ++o) kernels::fill(b.data()[o], yb + o * d.Lout, d.Lout);
    kernels::gemm(false, false, d.O, d.Lout, CK, w.data(), cb, yb, b.defined() ? 1.0f : 0.0f);
  }
  if (rec) {
    Node& n = g.record(&conv1d_backward, {y}, {x, w, b});
    n.i[0] = d.B, n.i[1] = d.C, n.i[2] = d.L, n.i[3] = d.O, n.i[4] = d.K, n.i[5] = d.Lout, n.i[6] = d.stride,
    n.i[7] = d.dil;
    n.f[0] = static_cast<float>(d.pl);
    n.saved[0] = Tensor(cols, Shape{d.B, CK, d.Lout});
  }
  return y;
}

}  // namespace nd::ops
