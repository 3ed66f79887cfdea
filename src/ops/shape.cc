// Shape ops. Everything but reshape copies into a contiguous output; backward moves the gradient
// back through the same index map. Axis-wise ops view tensors as [outer, L, inner].
#include "nd/ops/shape.h"

#include <cstring>

#include "ops/op_util.h"

namespace nd::ops {

namespace {

struct Split {
  int64_t outer = 1, len = 1, inner = 1;
};
Split split_at(const Shape& s, int a) {
  Split sp;
  sp.len = s[a];
  for (int i = 0; i < a; ++i) sp.outer *= s[i];
  for (int i = a + 1; i < s.rank(); ++i) sp.inner *= s[i];
  return sp;
}

void copy_grad_backward(Graph& g, const Node& n) {
  detail::adopt_or_accum(g, n.in[0], g.grad_or_null(n.out[0]), g.value(n.out[0]).numel());
}

// ---- permute -------------------------------------------------------------------------------------
void permute_backward(Graph& g, const Node& n) {
  const Tensor gy(g.grad_or_null(n.out[0]), g.value(n.out[0]).shape);
  int inv[kMaxDims];
  for (int k = 0; k < gy.rank(); ++k) inv[n.i[k]] = k;
  const Tensor back = gy.permute(inv, gy.rank());
  auto sink = detail::grad_sink(g, n.in[0], back.numel());
  copy_to_contiguous(back, sink.buf);
  detail::finish_grad(sink);
}

// ---- slice / pad: out[o, j, i] = in[o, j + off, i] over the overlap ------------------------------
// i: outer, in_len, out_len, inner, offset (out index j maps to in index j + offset)
// Runs of at most this many floats are copied / added in a plain loop: a memcpy or axpy call per
// run of one or two floats (FEDformer's complex parts: 33M runs) cost ~20x the data movement.
constexpr int64_t kShortRun = 16;

void window_copy(const float* src, int64_t src_len, float* dst, int64_t dst_len, int64_t outer, int64_t inner,
                 int64_t offset, bool add) {
  const int64_t j0 = std::max<int64_t>(0, -offset), j1 = std::min<int64_t>(dst_len, src_len - offset);
  if (j1 <= j0) return;
  const int64_t run = (j1 - j0) * inner;
  if (run <= kShortRun) {  // e.g. the real / imaginary part of complex values: no call per run
    for (int64_t o = 0; o < outer; ++o) {
      const float* s = src + (o * src_len + j0 + offset) * inner;
      float* d = dst + (o * dst_len + j0) * inner;
      for (int64_t r = 0; r < run; ++r) d[r] = add ? d[r] + s[r] : s[r];
    }
    return;
  }
  for (int64_t o = 0; o < outer; ++o) {
    const float* s = src + (o * src_len + j0 + offset) * inner;
    float* d = dst + (o * dst_len + j0) * inner;
    if (add)
      kernels::axpy(1.0f, s, d, run);
    else
      std::memcpy(d, s, sizeof(float) * run);
  }
}

void window_backward(Graph& g, const Node& n) {
  const int64_t outer = n.i[0], in_len = n.i[1], out_len = n.i[2], inner = n.i[3], offset = n.i[4];
  float* gx = g.grad_accum(n.in[0]);
  // gradient flows from out[j] to in[j + offset]: reverse window with offset -offset
  window_copy(g.grad_or_null(n.out[0]), out_len, gx, in_len, outer, inner, -offset, true);
}

Var window(Var x, int axis, int64_t out_len, int64_t offset, float fill, const Shape& out_shape) {
  Graph& g = x.graph();
  const int a = x.shape().norm_axis(axis);
  const Split sp = split_at(x.shape(), a);
  Var y = detail::make_out(g, out_shape, {x});
  if (out_len > sp.len || offset < 0) kernels::fill(fill, y.data(), y.numel());
  window_copy(x.data(), sp.len, y.data(), out_len, sp.outer, sp.inner, offset, false);
  if (g.should_record({x})) {
    Node& n = g.record(&window_backward, {y}, {x});
    n.i[0] = sp.outer, n.i[1] = sp.len, n.i[2] = out_len, n.i[3] = sp.inner, n.i[4] = offset;
  }
  return y;
}

// ---- gather (index_select) -----------------------------------------------------------------------
// i: outer, in_len, out_len, inner; ctx: int64 indices
void gather_backward(Graph& g, const Node& n) {
  const int64_t outer = n.i[0], in_len = n.i[1], out_len = n.i[2], inner = n.i[3];
  const auto* idx = static_cast<const int64_t*>(n.ctx);
  const float* gy = g.grad_or_null(n.out[0]);
  float* gx = g.grad_accum(n.in[0]);
  for (int64_t o = 0; o < outer; ++o)
    for (int64_t j = 0; j < out_len; ++j) {
      const float* s = gy + (o * out_len + j) * inner;
      float* d = gx + (o * in_len + idx[j]) * inner;
      if (inner <= kShortRun)
        for (int64_t r = 0; r < inner; ++r) d[r] += s[r];
      else
        kernels::axpy(1.0f, s, d, inner);
    }
}

}  // namespace

Var reshape(Var x, const Shape& s) {
  ND_CHECK(s.numel() == x.numel(), "reshape: cannot view ", x.shape().str(), " (", x.numel(), " elements) as ",
           s.str(), " (", s.numel(), " elements)");
  Graph& g = x.graph();
  if (Var v = g.param_view(x, s); v.defined()) return v;  // a parameter: gradients land in the store
  const bool rec = g.should_record({x});
  Var y = g.alias(Tensor(x.data(), s), rec);
  if (rec) g.record(&copy_grad_backward, {y}, {x});
  return y;
}

Var flatten(Var x, int start_axis) {
  const int a = x.shape().norm_axis(start_axis);
  Shape s;
  for (int i = 0; i < a; ++i) s.push_back(x.size(i));
  int64_t rest = 1;
  for (int i = a; i < x.rank(); ++i) rest *= x.size(i);
  s.push_back(rest);
  return reshape(x, s);
}

Var unsqueeze(Var x, int axis) {
  const int r = x.rank() + 1;
  const int a = axis < 0 ? axis + r : axis;
  ND_CHECK(a >= 0 && a < r, "unsqueeze: axis ", axis, " out of range for shape ", x.shape().str());
  Shape s;
  for (int i = 0; i < x.rank(); ++i) {
    if (i == a) s.push_back(1);
    s.push_back(x.size(i));
  }
  if (a == x.rank()) s.push_back(1);
  return reshape(x, s);
}

Var squeeze(Var x, int axis) {
  const int a = x.shape().norm_axis(axis);
  ND_CHECK(x.size(a) == 1, "squeeze: axis ", axis, " of shape ", x.shape().str(), " has size ", x.size(a),
           ", not 1");
  Shape s;
  for (int i = 0; i < x.rank(); ++i)
    if (i != a) s.push_back(x.size(i));
  return reshape(x, s);
}

Var permute(Var x, const int* axes, int cnt) {
  Graph& g = x.graph();
  const Tensor v = x.value().permute(axes, cnt);
  Var y = detail::make_out(g, v.shape, {x});
  copy_to_contiguous(v, y.data());
  if (g.should_record({x})) {
    Node& n = g.record(&permute_backward, {y}, {x});
    for (int k = 0; k < x.rank(); ++k) n.i[k] = x.shape().norm_axis(axes[k]);
  }
  return y;
}

Var transpose(Var x, int a, int b) {
  int axes[kMaxDims];
  for (int i = 0; i < x.rank(); ++i) axes[i] = i;
  std::swap(axes[x.shape().norm_axis(a)], axes[x.shape().norm_axis(b)]);
  return permute(x, axes, x.rank());
}

Var slice(Var x, int axis, int64_t start, int64_t stop) {
  const int a = x.shape().norm_axis(axis);
  ND_CHECK(0 <= start && start <= stop && stop <= x.size(a), "slice [", start, ", ", stop, ") out of range for axis ",
           axis, " of shape ", x.shape().str());
  Shape s = x.shape();
  s[a] = stop - start;
  return window(x, a, stop - start, start, 0.0f, s);
}

Var select(Var x, int axis, int64_t index) {
  const int a = x.shape().norm_axis(axis);
  return squeeze(slice(x, a, index, index + 1), a);
}

Var pad(Var x, int axis, int64_t before, int64_t after, float value) {
  const int a = x.shape().norm_axis(axis);
  ND_CHECK(before >= 0 && after >= 0, "pad: negative padding (", before, ", ", after, ")");
  Shape s = x.shape();
  s[a] += before + after;
  return window(x, a, s[a], -before, value, s);
}

Var concat(const Var* xs, int64_t count, int axis) {
  ND_CHECK(count > 0, "concat of an empty list");
  const Shape& s0 = xs[0].shape();
  const int a = s0.norm_axis(axis);
  Shape so = s0;
  so[a] = 0;
  for (int64_t k = 0; k < count; ++k) {
    const Var& v = xs[k];
    ND_CHECK(v.rank() == s0.rank(), "concat: rank mismatch ", v.shape().str(), " vs ", s0.str());
    for (int i = 0; i < s0.rank(); ++i)
      ND_CHECK(i == a || v.size(i) == s0[i], "concat along axis ", axis, ": shapes ", v.shape().str(), " and ",
               s0.str(), " differ on axis ", i);
    so[a] += v.size(a);
  }
  // Built from pads + adds would cost more; write directly and record one window node per input.
  Graph& g = xs[0].graph();
  bool rec = g.should_record(xs, static_cast<int>(count));
  Var y = g.empty(so, rec);
  const Split sp = split_at(so, a);
  int64_t off = 0;
  for (int64_t k = 0; k < count; ++k) {
    const Var& v = xs[k];
    const int64_t len = v.size(a);
    window_copy(v.data(), len, y.data(), sp.len, sp.outer, sp.inner, -off, false);
    if (rec && v.requires_grad()) {
      Node& n = g.record(&window_backward, {y}, {v});
      n.i[0] = sp.outer, n.i[1] = len, n.i[2] = sp.len, n.i[3] = sp.inner, n.i[4] = -off;
    }
    off += len;
  }
  return y;
}

Var stack(const std::vector<Var>& xs, int axis) {
  ND_CHECK(!xs.empty(), "stack of an empty list");
  std::vector<Var> u;
  u.reserve(xs.size());
  for (const Var& v : xs) {
    ND_CHECK(v.shape() == xs[0].shape(), "stack: shapes ", v.shape().str(), " and ", xs[0].shape().str(), " differ");
    u.push_back(unsqueeze(v, axis));
  }
  return concat(u, axis < 0 ? axis : axis);
}

Var gather(Var x, int axis, const std::vector<int64_t>& index) {
  Graph& g = x.graph();
  const int a = x.shape().norm_axis(axis);
  const Split sp = split_at(x.shape(), a);
  const int64_t m = static_cast<int64_t>(index.size());
  auto* idx = g.arena().alloc_array<int64_t>(std::max<int64_t>(m, 1));
  for (int64_t j = 0; j < m; ++j) {
    ND_CHECK(index[j] >= 0 && index[j] < sp.len, "gather: index ", index[j], " out of range [0, ", sp.len,
             ") for axis ", axis, " of shape ", x.shape().str());
    idx[j] = index[j];
  }
  Shape so = x.shape();
  so[a] = m;
  Var y = detail::make_out(g, so, {x});
  for (int64_t o = 0; o < sp.outer; ++o)
    for (int64_t j = 0; j < m; ++j)
      std::memcpy(y.data() + (o * m + j) * sp.inner, x.data() + (o * sp.len + idx[j]) * sp.inner,
                  sizeof(float) * sp.inner);
  if (g.should_record({x})) {
    Node& n = g.record(&gather_backward, {y}, {x});
    n.i[0] = sp.outer, n.i[1] = sp.len, n.i[2] = m, n.i[3] = sp.inner;
    n.ctx = idx;
  }
  return y;
}

Var repeat_interleave(Var x, int axis, int64_t repeats) {
  ND_CHECK(repeats >= 1, "repeat_interleave: repeats must be >= 1, got ", repeats);
  const int64_t len = x.size(axis);
  std::vector<int64_t> idx(static_cast<size_t>(len * repeats));
  for (int64_t j = 0; j < len * repeats; ++j) idx[j] = j / repeats;
  return gather(x, axis, idx);
}

}  // namespace nd::ops
