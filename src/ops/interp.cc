// Linear interpolation over the last axis (N-HiTS's basis expansion, Challu et al. 2023 §3.3),
// matching torch.nn.functional.interpolate(mode="linear").
#include "nd/ops/conv.h"
#include "ops/op_util.h"

namespace nd::ops {

namespace {

// Source position of output j: index i0, neighbour i1, weight lambda of i1.
void source_of(int64_t j, int64_t Lin, int64_t Lout, bool align, int64_t* i0, int64_t* i1, float* lam) {
  float src;
  if (align) {
    src = Lout > 1 ? static_cast<float>(j) * static_cast<float>(Lin - 1) / static_cast<float>(Lout - 1) : 0.0f;
  } else {
    const float scale = static_cast<float>(Lin) / static_cast<float>(Lout);
    src = (static_cast<float>(j) + 0.5f) * scale - 0.5f;
    if (src < 0.0f) src = 0.0f;
  }
  int64_t a = static_cast<int64_t>(src);
  if (a > Lin - 1) a = Lin - 1;
  *i0 = a;
  *i1 = a + 1 < Lin ? a + 1 : Lin - 1;
  *lam = src - static_cast<float>(a);
}

// i: rows, Lin, Lout, align
void interp_backward(Graph& g, const Node& n) {
  const int64_t rows = n.i[0], Lin = n.i[1], Lout = n.i[2];
  const bool align = n.i[3];
  const float* gy = g.grad_or_null(n.out[0]);
  float* gx = g.grad_accum(n.in[0]);
  for (int64_t j = 0; j < Lout; ++j) {
    int64_t i0, i1;
    float lam;
    source_of(j, Lin, Lout, align, &i0, &i1, &lam);
    for (int64_t r = 0; r < rows; ++r) {
      gx[r * Lin + i0] += (1.0f - lam) * gy[r * Lout + j];
      gx[r * Lin + i1] += lam * gy[r * Lout + j];
    }
  }
}

}  // namespace

Var interpolate_linear(Var x, int64_t out_len, bool align_corners) {
  ND_CHECK(x.rank() >= 1 && x.shape().back() >= 1, "interpolate_linear: empty input ", x.shape().str());
  ND_CHECK(out_len >= 1, "interpolate_linear: output length must be >= 1, got ", out_len);
  Graph& g = x.graph();
  const int64_t Lin = x.shape().back(), rows = x.numel() / Lin;
  Shape so = x.shape();
  so[so.rank() - 1] = out_len;
  Var y = detail::make_out(g, so, {x});
  const float* xp = x.data();
  float* yp = y.data();
  for (int64_t j = 0; j < out_len; ++j) {
    int64_t i0, i1;
    float lam;
    source_of(j, Lin, out_len, align_corners, &i0, &i1, &lam);
    for (int64_t r = 0; r < rows; ++r) yp[r * out_len + j] = (1.0f - lam) * xp[r * Lin + i0] + lam * xp[r * Lin + i1];
  }
  if (g.should_record({x})) {
    Node& n = g.record(&interp_backward, {y}, {x});
    n.i[0] = rows, n.i[1] = Lin, n.i[2] = out_len, n.i[3] = align_corners;
  }
  return y;
}

}  // namespace nd::ops
