// matmul / bmm / linear: shape checks, BLAS calls, and their backward passes.
#include "nd/ops/linear.h"

#include "nd/core/parallel.h"
#include "nd/kernels/gemm.h"
#include "nd/kernels/reduce.h"
#include "ops/op_util.h"

namespace nd::ops {

using detail::wants_grad;

namespace {

// --- linear: y[M, O] = x[M, I] w[O, I]^T + b[O] ---------------------------------------------------
void linear_backward(Graph& g, const Node& n) {
  const int64_t M = n.i[0], I = n.i[1], O = n.i[2];
  const float* gy = g.grad_or_null(n.out[0]);
  const float* x = g.value(n.in[0]).data;
  const float* w = g.value(n.in[1]).data;
  if (wants_grad(g, n.in[0])) {
    bool fresh;
    float* gx = g.grad_write(n.in[0], &fresh);
    kernels::gemm(false, false, M, I, O, gy, w, gx, fresh ? 0.0f : 1.0f);  // dx = gy w
  }
  if (wants_grad(g, n.in[1])) {
    bool fresh;
    float* gw = g.grad_write(n.in[1], &fresh);
    kernels::gemm(true, false, O, I, M, gy, x, gw, fresh ? 0.0f : 1.0f);  // dw = gy^T x
  }
  if (n.in[2] >= 0 && wants_grad(g, n.in[2])) {
    float* t = g.arena().alloc(O);
    kernels::reduce_sum(gy, t, 1, M, O);
    detail::accum(g, n.in[2], t, O);
  }
}

void matmul_backward(Graph& g, const Node& n) {
  // y[Bt][M, N] = op(a)[M, K] op(b)[K, N]; i: M, N, K, batch, ta, tb, b_broadcast
  const int64_t M = n.i[0], N = n.i[1], K = n.i[2], Bt = n.i[3];
  const bool ta = n.i[4], tb = n.i[5], bshared = n.i[6];
  const float* gy = g.grad_or_null(n.out[0]);
  const float* a = g.value(n.in[0]).data;
  const float* b = g.value(n.in[1]).data;
  const int64_t sa = M * K, sb = bshared ? 0 : K * N, sy = M * N;
  if (wants_grad(g, n.in[0])) {
    bool fresh;
    float* ga = g.grad_write(n.in[0], &fresh);
    const float beta = fresh ? 0.0f : 1.0f;
    if (!ta)  // da[M, K] = gy[M, N] op(b)^T
      kernels::gemm_batched(false, !tb, Bt, M, K, N, gy, sy, b, sb, ga, sa, beta);
    else  // a stored [K, M]: da[K, M] = op(b)[K, N] gy^T
      kernels::gemm_batched(tb, true, Bt, K, M, N, b, sb, gy, sy, ga, sa, beta);
  }
  if (wants_grad(g, n.in[1])) {
    bool fresh;
    float* gb = g.grad_write(n.in[1], &fresh);
    const float beta = fresh ? 0.0f : 1.0f;
    // A shared b (matmul with a 2-D right side) is always recorded as one [Bt * M, K] product.
    ND_CHECK(!bshared || Bt == 1, "matmul backward: shared right operand with a batch of ", Bt);
    if (!tb)  // db[K, N] = op(a)^T gy
      kernels::gemm_batched(!ta, false, Bt, K, N, M, a, sa, gy, sy, gb, sb, beta);
    else  // b stored [N, K]: db[N, K] = gy^T op(a)
      kernels::gemm_batched(true, ta, Bt, N, K, M, gy, sy, a, sa, gb, sb, beta);
  }
}

Var matmul_impl(Var a, Var b, int64_t Bt, int64_t M, int64_t N, int64_t K, bool ta, bool tb, bool bshared,
                const Shape& out_shape) {
  Graph& g = detail::graph_of({a, b});
  Var y = detail::make_out(g, out_shape, {a, b});
  const int64_t sa = M * K, sb = bshared ? 0 : K * N, sy = M * N;
  if (bshared && !ta && !tb) {
    // One GEMM over all rows.
    kernels::gemm(false, false, Bt * M, N, K, a.data(), b.data(), y.data(), 0.0f);
  } else {
    kernels::gemm_batched(ta, tb, Bt, M, N, K, a.data(), sa, b.data(), sb, y.data(), sy, 0.0f);
  }
  if (g.should_record({a, b})) {
    Node& n = g.record(&matmul_backward, {y}, {a, b});
    n.i[0] = M, n.i[1] = N, n.i[2] = K, n.i[3] = Bt, n.i[4] = ta, n.i[5] = tb, n.i[6] = bshared;
    if (bshared && !ta && !tb) n.i[0] = Bt * M, n.i[3] = 1;
  }
  return y;
}

}  // namespace

Var linear(Var x, Var w, Var b) {
  Graph& g = detail::graph_of({x, w, b});
  ND_CHECK(w.rank() == 2, "linear: weight must be [out, in], got ", w.shape().str());
  ND_CHECK(x.rank() >= 1 && x.shape().back() == w.size(1), "linear: input ", x.shape().str(),
           " does not end in in_features = ", w.size(1), " of weight ", w.shape().str());
  const int64_t O = w.size(0), I = w.size(1), M = x.numel() / std::max<int64_t>(I, 1);
  if (b.defined())
    ND_CHECK(b.rank() == 1 && b.size(0) == O, "linear: bias ", b.shape().str(), " does not match out_features ", O);
  Shape so = x.shape();
  so[so.rank() - 1] = O;
  Var y = detail::make_out(g, so, {x, w, b});
  float* yp = y.data();
  if (b.defined()) {
    // The bias rows C starts from (then a beta = 1 GEMM): a pass over all of y, split over the
    // threads like the GEMM after it (PatchTST: 12288 rows per layer's linears).
    const float* bp = b.data();
    parallel_for(M, std::max<int64_t>(1, 16384 / std::max<int64_t>(O, 1)), [&](int64_t r0, int64_t r1) {
      for (int64_t r = r0; r < r1; ++r) std::memcpy(yp + r * O, bp, sizeof(float) * O);
    });
  }
  kernels::gemm(false, true, M, O, I, x.data(), w.data(), yp, b.defined() ? 1.0f : 0.0f);
  if (g.should_record({x, w, b})) {
    Node& n = g.record(&linear_backward, {y}, {x, w, b});
    n.i[0] = M, n.i[1] = I, n.i[2] = O;
  }
  return y;
}

Var matmul(Var a, Var b) {
  ND_CHECK(a.rank() >= 2 && (b.rank() == 2 || b.rank() == 3), "matmul: unsupported ranks ", a.shape().str(), " @ ",
           b.shape().str());
  if (b.rank() == 3) return bmm(a, b);
  const int64_t K = a.shape().back(), M = a.size(-2), N = b.size(1);
  ND_CHECK(b.size(0) == K, "matmul: inner dimensions differ: ", a.shape().str(), " @ ", b.shape().str());
  Shape so = a.shape();
  so[so.rank() - 1] = N;
  return matmul_impl(a, b, a.numel() / (M * K), M, N, K, false, false, true, so);
}

Var bmm(Var a, Var b, bool ta, bool tb) {
  ND_CHECK(a.rank() == 3 && b.rank() == 3, "bmm: expected [B, M, K] @ [B, K, N], got ", a.shape().str(), " @ ",
           b.shape().str());
  ND_CHECK(a.size(0) == b.size(0), "bmm: batch sizes differ: ", a.shape().str(), " @ ", b.shape().str());
  const int64_t M = ta ? a.size(2) : a.size(1), K = ta ? a.size(1) : a.size(2);
  const int64_t Kb = tb ? b.size(2) : b.size(1), N = tb ? b.size(1) : b.size(2);
  ND_CHECK(K == Kb, "bmm: inner dimensions differ: ", a.shape().str(), (ta ? "^T" : ""), " @ ", b.shape().str(),
           (tb ? "^T" : ""));
  return matmul_impl(a, b, a.size(0), M, N, K, ta, tb, false, Shape{a.size(0), M, N});
}

}  // namespace nd::ops
