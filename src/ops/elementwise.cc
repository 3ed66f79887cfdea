// Broadcasting add / sub / mul / div and simple unary maths: forward and backward side by side.
#include "nd/ops/elementwise.h"

#include <cmath>

#include "ops/op_util.h"

namespace nd::ops {

using detail::accum;
using detail::BcastPlan;
using detail::wants_grad;
using kernels::BinOp;

namespace {

float apply(BinOp op, float a, float b) {
  switch (op) {
    case BinOp::add: return a + b;
    case BinOp::sub: return a - b;
    case BinOp::mul: return a * b;
    case BinOp::div: return a / b;
  }
  return 0.0f;
}

// y = a op b with broadcasting; a, b, y contiguous.
void binary_bcast(BinOp op, const float* a, const Shape& sa, const float* b, const Shape& sb, float* y,
                  const Shape& so) {
  if (sa == sb) {
    kernels::binary(op, a, b, y, so.numel());
    return;
  }
  const BcastPlan p = detail::make_plan(sa, sb, so);
  detail::for_each_run(p, [&](int64_t oa, int64_t ob, int64_t oo, int64_t len, int64_t ja, int64_t jb) {
    if (ja && jb)
      kernels::binary(op, a + oa, b + ob, y + oo, len);
    else if (ja)
      kernels::binary_rs(op, a + oa, b[ob], y + oo, len);
    else if (jb)
      kernels::binary_ls(op, a[oa], b + ob, y + oo, len);
    else
      kernels::fill(apply(op, a[oa], b[ob]), y + oo, len);
  });
}

void binary_backward(Graph& g, const Node& n) {
  const auto op = static_cast<BinOp>(n.i[0]);
  const Tensor a = g.value(n.in[0]), b = g.value(n.in[1]), y = g.value(n.out[0]);
  const float* gy = g.grad_or_null(n.out[0]);
  const Shape& so = y.shape;
  const int64_t ny = so.numel();
  Arena& ar = g.arena();
  // Gradient w.r.t. one operand: dst_shape += sum_to(t).
  auto reduce_into = [&](int32_t id, const float* t, const Shape& dst_shape) {
    if (dst_shape == so) {
      accum(g, id, t, ny);
    } else {
      detail::sum_to(t, so, g.grad_accum(id), dst_shape);
    }
  };
  // For a + b and a - b, a's gradient is gy itself: when a has none yet, it takes over gy's buffer
  // (gy is dead after this node) instead of a copy. b is handled first so it still reads gy intact.
  const bool adopt_a = (op == BinOp::add || op == BinOp::sub) && a.shape == so && wants_grad(g, n.in[0]) &&
                       n.in[0] != n.in[1] && g.grad_or_null(n.in[0]) == nullptr;
  if (wants_grad(g, n.in[0]) && !adopt_a) {
    switch (op) {
      case BinOp::add:
      case BinOp::sub: reduce_into(n.in[0], gy, a.shape); break;
      case BinOp::mul:
      case BinOp::div: {
        float* t = ar.alloc(ny);
        binary_bcast(op, gy, so, b.data, b.shape, t, so);  // g*b or g/b
        reduce_into(n.in[0], t, a.shape);
        break;
      }
    }
  }
  if (wants_grad(g, n.in[1])) {
    switch (op) {
      case BinOp::add: reduce_into(n.in[1], gy, b.shape); break;
      case BinOp::sub: {
        float* t = ar.alloc(ny);
        kernels::scale(-1.0f, gy, t, ny);
        reduce_into(n.in[1], t, b.shape);
        break;
      }
      case BinOp::mul: {
        float* t = ar.alloc(ny);
        binary_bcast(BinOp::mul, gy, so, a.data, a.shape, t, so);
        reduce_into(n.in[1], t, b.shape);
        break;
      }
      case BinOp::div: {
        // d(a/b)/db = -y / b
        float* t = ar.alloc(ny);
        binary_bcast(BinOp::div, y.data, so, b.data, b.shape, t, so);
        kernels::binary(BinOp::mul, t, gy, t, ny);
        kernels::scale(-1.0f, t, t, ny);
        reduce_into(n.in[1], t, b.shape);
        break;
      }
    }
  }
  if (adopt_a && !g.grad_adopt(n.in[0], g.grad_or_null(n.out[0]))) reduce_into(n.in[0], gy, a.shape);
}

Var binary_op(BinOp op, Var a, Var b) {
  Graph& g = detail::graph_of({a, b});
  const Shape so = detail::broadcast_shape(a.shape(), b.shape());
  Var y = detail::make_out(g, so, {a, b});
  binary_bcast(op, a.data(), a.shape(), b.data(), b.shape(), y.data(), so);
  if (g.should_record({a, b})) g.record(&binary_backward, {y}, {a, b}).i[0] = static_cast<int64_t>(op);
  return y;
}

// y = a * s + t
void affine_backward(Graph& g, const Node& n) {
  const int64_t cnt = g.value(n.out[0]).numel();
  float* dst;
  bool fresh;
  dst = g.grad_write(n.in[0], &fresh);
  const float* gy = g.grad_or_null(n.out[0]);
  if (fresh)
    kernels::scale(n.f[0], gy, dst, cnt);
  else
    kernels::axpy(n.f[0], gy, dst, cnt);
}

Var affine(Var a, float s, float t) {
  Graph& g = a.graph();
  Var y = detail::make_out(g, a.shape(), {a});
  const int64_t cnt = a.numel();
  kernels::scale(s, a.data(), y.data(), cnt);
  if (t != 0.0f) kernels::add_scalar(t, y.data(), cnt);
  if (g.should_record({a})) g.record(&affine_backward, {y}, {a}).f[0] = s;
  return y;
}

enum class Unary : int64_t { exp, log, abs, square, sqrt };

void unary_backward(Graph& g, const Node& n) {
  const Tensor x = g.value(n.in[0]), y = g.value(n.out[0]);
  const float* gy = g.grad_or_null(n.out[0]);
  const int64_t cnt = x.numel();
  auto sink = detail::grad_sink(g, n.in[0], cnt);
  for (int64_t k = 0; k < cnt; ++k) {
    float d = 0.0f;
    switch (static_cast<Unary>(n.i[0])) {
      case Unary::exp: d = y.data[k]; break;
      case Unary::log: d = 1.0f / x.data[k]; break;
      case Unary::abs: d = x.data[k] > 0.0f ? 1.0f : (x.data[k] < 0.0f ? -1.0f : 0.0f); break;
      case Unary::square: d = 2.0f * x.data[k]; break;
      case Unary::sqrt: d = y.data[k] > 0.0f ? 0.5f / y.data[k] : 0.0f; break;
    }
    sink.buf[k] = gy[k] * d;
  }
  detail::finish_grad(sink);
}

Var unary(Var x, Unary u) {
  Graph& g = x.graph();
  Var y = detail::make_out(g, x.shape(), {x});
  const float* xp = x.data();
  float* yp = y.data();
  const int64_t cnt = x.numel();
  for (int64_t k = 0; k < cnt; ++k) {
    const float v = xp[k];
    switch (u) {
      case Unary::exp: yp[k] = std::exp(v); break;
      case Unary::log:
        ND_CHECK(v > 0.0f, "log of non-positive value ", v, " at flat index ", k, " of tensor ", x.shape().str());
        yp[k] = std::log(v);
        break;
      case Unary::abs: yp[k] = std::fabs(v); break;
      case Unary::square: yp[k] = v * v; break;
      case Unary::sqrt:
        ND_CHECK(v >= 0.0f, "sqrt of negative value ", v, " at flat index ", k, " of tensor ", x.shape().str());
        yp[k] = std::sqrt(v);
        break;
    }
  }
  if (g.should_record({x})) g.record(&unary_backward, {y}, {x}).i[0] = static_cast<int64_t>(u);
  return y;
}

}  // namespace

Var add(Var a, Var b) { return binary_op(BinOp::add, a, b); }
Var sub(Var a, Var b) { return binary_op(BinOp::sub, a, b); }
Var mul(Var a, Var b) { return binary_op(BinOp::mul, a, b); }
Var div(Var a, Var b) { return binary_op(BinOp::div, a, b); }
Var add(Var a, float s) { return affine(a, 1.0f, s); }
Var mul(Var a, float s) { return affine(a, s, 0.0f); }
Var neg(Var a) { return affine(a, -1.0f, 0.0f); }
Var exp(Var a) { return unary(a, Unary::exp); }
Var log(Var a) { return unary(a, Unary::log); }
Var abs(Var a) { return unary(a, Unary::abs); }
Var square(Var a) { return unary(a, Unary::square); }
Var sqrt(Var a) { return unary(a, Unary::sqrt); }

}  // namespace nd::ops
