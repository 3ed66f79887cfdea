// max / avg pooling over the last axis with PyTorch's output-length and divisor rules.
#include <algorithm>
#include <cmath>
#include <limits>

#include "nd/ops/conv.h"
#include "ops/op_util.h"

namespace nd::ops {

namespace {

int64_t pooled_len(int64_t L, int64_t k, int64_t s, int64_t p, bool ceil_mode) {
  const int64_t num = L + 2 * p - k;
  int64_t out = (ceil_mode ? (num + s - 1) / s : num / s) + 1;
  // PyTorch: the last window must start inside the input or the left padding.
  if (ceil_mode && (out - 1) * s >= L + p) --out;
  return out;
}

void check_pool(Var x, int64_t k, int64_t s, int64_t p, const char* name) {
  ND_CHECK(x.rank() >= 1, name, " of a scalar");
  ND_CHECK(k >= 1 && s >= 1 && p >= 0, name, ": kernel and stride must be >= 1 and padding >= 0 (got kernel ", k,
           ", stride ", s, ", padding ", p, ")");
  ND_CHECK(2 * p <= k, name, ": padding ", p, " must be at most half the kernel size ", k);
  ND_CHECK(x.shape().back() + 2 * p >= k, name, ": input length ", x.shape().back(), " is shorter than kernel ", k);
}

// saved[0]: argmax (as float) [rows, Lout]; i: rows, L, Lout
void max_pool_backward(Graph& g, const Node& n) {
  const int64_t rows = n.i[0], L = n.i[1], Lout = n.i[2];
  const float* gy = g.grad_or_null(n.out[0]);
  const float* am = n.saved[0].data;
  float* gx = g.grad_accum(n.in[0]);
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t t = 0; t < Lout; ++t) gx[r * L + static_cast<int64_t>(am[r * Lout + t])] += gy[r * Lout + t];
}

// i: rows, L, Lout, k, s, p, count_include_pad
void avg_window(int64_t t, int64_t L, int64_t k, int64_t s, int64_t p, bool cip, int64_t* b, int64_t* e, float* inv) {
  int64_t start = t * s - p, end = std::min(start + k, L + p);
  const int64_t pool = end - start;
  start = std::max<int64_t>(start, 0);
  end = std::min(end, L);
  *b = start;
  *e = end;
  const int64_t div = cip ? pool : (end - start);
  *inv = div > 0 ? 1.0f / static_cast<float>(div) : 0.0f;
}

void avg_pool_backward(Graph& g, const Node& n) {
  const int64_t rows = n.i[0], L = n.i[1], Lout = n.i[2], k = n.i[3], s = n.i[4], p = n.i[5];
  const bool cip = n.i[6];
  const float* gy = g.grad_or_null(n.out[0]);
  float* gx = g.grad_accum(n.in[0]);
  for (int64_t t = 0; t < Lout; ++t) {
    int64_t b, e;
    float inv;
    avg_window(t, L, k, s, p, cip, &b, &e, &inv);
    for (int64_t r = 0; r < rows; ++r)
      for (int64_t j = b; j < e; ++j) gx[r * L + j] += gy[r * Lout + t] * inv;
  }
}

}  // namespace

Var max_pool1d(Var x, int64_t k, int64_t s, int64_t p, bool ceil_mode) {
  check_pool(x, k, s, p, "max_pool1d");
  Graph& g = x.graph();
  const int64_t L = x.shape().back(), rows = x.numel() / std::max<int64_t>(L, 1);
  const int64_t Lout = pooled_len(L, k, s, p, ceil_mode);
  Shape so = x.shape();
  so[so.rank() - 1] = Lout;
  Var y = detail::make_out(g, so, {x});
  const bool rec = g.should_record({x});
  float* am = rec ? g.arena().alloc(rows * Lout) : nullptr;
  const float* xp = x.data();
  float* yp = y.data();
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t t = 0; t < Lout; ++t) {
      const int64_t b = std::max<int64_t>(t * s - p, 0), e = std::min(t * s - p + k, L);
      float best = -std::numeric_limits<float>::infinity();
      int64_t arg = b;
      for (int64_t j = b; j < e; ++j)
        if (xp[r * L + j] > best || std::isnan(xp[r * L + j])) {
          best = xp[r * L + j];
          arg = j;
          if (std::isnan(best)) break;
        }
      yp[r * Lout + t] = best;
      if (am) am[r * Lout + t] = static_cast<float>(arg);
    }
  if (rec) {
    Node& n = g.record(&max_pool_backward, {y}, {x});
    n.i[0] = rows, n.i[1] = L, n.i[2] = Lout;
    n.saved[0] = Tensor(am, Shape{rows, Lout});
  }
  return y;
}

Var avg_pool1d(Var x, int64_t k, int64_t s, int64_t p, bool ceil_mode, bool cip) {
  check_pool(x, k, s, p, "avg_pool1d");
  Graph& g = x.graph();
  const int64_t L = x.shape().back(), rows = x.numel() / std::max<int64_t>(L, 1);
  const int64_t Lout = pooled_len(L, k, s, p, ceil_mode);
  Shape so = x.shape();
  so[so.rank() - 1] = Lout;
  Var y = detail::make_out(g, so, {x});
  const float* xp = x.data();
  float* yp = y.data();
  for (int64_t t = 0; t < Lout; ++t) {
    int64_t b, e;
    float inv;
    avg_window(t, L, k, s, p, cip, &b, &e, &inv);
    for (int64_t r = 0; r < rows; ++r) {
      float acc = 0.0f;
      for (int64_t j = b; j < e; ++j) acc += xp[r * L + j];
      yp[r * Lout + t] = acc * inv;
    }
  }
  if (g.should_record({x})) {
    Node& n = g.record(&avg_pool_backward, {y}, {x});
    n.i[0] = rows, n.i[1] = L, n.i[2] = Lout, n.i[3] = k, n.i[4] = s, n.i[5] = p, n.i[6] = cip;
  }
  return y;
}

}  // namespace nd::ops
