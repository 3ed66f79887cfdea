// Internal helpers shared by the op files: output allocation, gradient accumulation, broadcasting.
#pragma once
#include <cstring>
#include <initializer_list>

#include "nd/autograd/graph.h"
#include "nd/core/error.h"
#include "nd/kernels/elementwise.h"

namespace nd::ops::detail {

inline Graph& graph_of(std::initializer_list<Var> vs) {
  Graph* g = nullptr;
  for (const Var& v : vs) {
    if (!v.defined()) continue;
    ND_CHECK(g == nullptr || g == &v.graph(), "op inputs belong to different graphs");
    g = &v.graph();
  }
  ND_CHECK(g != nullptr, "op called with undefined inputs");
  return *g;
}

// Output value for an op over `ins`; it requires grad when a node will be recorded.
inline Var make_out(Graph& g, const Shape& s, std::initializer_list<Var> ins) {
  return g.empty(s, g.should_record(ins));
}

inline bool wants_grad(Graph& g, int32_t id) { return id >= 0 && g.requires_grad(id); }

// Adds src (n floats) into the gradient of value `id`.
inline void accum(Graph& g, int32_t id, const float* src, int64_t n) {
  bool fresh = false;
  float* dst = g.grad_write(id, &fresh);
  if (fresh)
    std::memcpy(dst, src, sizeof(float) * static_cast<size_t>(n));
  else
    kernels::axpy(1.0f, src, dst, n);
}

// Passes the output gradient gy (n floats) on to value `id` unchanged: `id` takes over gy's
// buffer when it has no gradient yet (gy is dead once its node's backward has read it), else gy
// is added to its gradient. Call it last in a backward that reads gy.
inline void adopt_or_accum(Graph& g, int32_t id, float* gy, int64_t n) {
  if (!g.grad_adopt(id, gy)) accum(g, id, gy, n);
}

// Scratch buffer of n floats for backward: the gradient buffer itself when fresh (then the
// caller writes and is done), else scratch (Graph::grad_scratch) that finish_grad() adds in and
// gives back.
struct GradSink {
  float* dst;
  float* buf;
  int64_t n;
  bool fresh;
  Graph* g;
};
inline GradSink grad_sink(Graph& g, int32_t id, int64_t n) {
  bool fresh = false;
  float* dst = g.grad_write(id, &fresh);
  return {dst, fresh ? dst : g.grad_scratch(n), n, fresh, &g};
}
inline void finish_grad(const GradSink& s) {
  if (s.fresh) return;
  kernels::axpy(1.0f, s.buf, s.dst, s.n);
  if (s.g) s.g->release_grad_scratch(s.buf, s.n);  // a default (empty) sink has none
}

// ---- broadcasting (NumPy rules) ----------------------------------------------------------------
// Output shape of broadcasting a and b; throws naming both shapes when incompatible.
Shape broadcast_shape(const Shape& a, const Shape& b);

// Iteration plan over the output of a broadcast, adjacent dimensions merged. For each innermost
// run the callback gets element offsets into a, b and out, the run length and the innermost
// strides of a and b (0 = broadcast scalar along the run, 1 = contiguous).
struct BcastPlan {
  int rank = 0;
  int64_t shape[kMaxDims] = {};
  int64_t sa[kMaxDims] = {}, sb[kMaxDims] = {}, so[kMaxDims] = {};
};
BcastPlan make_plan(const Shape& a, const Shape& b, const Shape& out);

template <typename F>
void for_each_run(const BcastPlan& p, F&& f) {
  if (p.rank == 0) {
    f(int64_t{0}, int64_t{0}, int64_t{0}, int64_t{1}, int64_t{0}, int64_t{0});
    return;
  }
  const int r = p.rank;
  const int64_t len = p.shape[r - 1];
  int64_t idx[kMaxDims] = {};
  int64_t oa = 0, ob = 0, oo = 0;
  int64_t outer = 1;
  for (int d = 0; d < r - 1; ++d) outer *= p.shape[d];
  for (int64_t k = 0; k < outer; ++k) {
    f(oa, ob, oo, len, p.sa[r - 1], p.sb[r - 1]);
    for (int d = r - 2; d >= 0; --d) {
      oa += p.sa[d];
      ob += p.sb[d];
      oo += p.so[d];
      if (++idx[d] < p.shape[d]) break;
      oa -= p.sa[d] * p.shape[d];
      ob -= p.sb[d] * p.shape[d];
      oo -= p.so[d] * p.shape[d];
      idx[d] = 0;
    }
  }
}

// dst (shape `to`) += src (shape `from`, which `to` broadcasts to), summing broadcast axes.
void sum_to(const float* src, const Shape& from, float* dst, const Shape& to);

}  // namespace nd::ops::detail
