// Embedding lookup (row gather) and its scatter-add backward.
#include <cstring>

#include "nd/ops/conv.h"
#include "ops/op_util.h"

namespace nd::ops {

namespace {
// i: n, D; ctx: int64 ids
void embedding_backward(Graph& g, const Node& n) {
  const int64_t cnt = n.i[0], D = n.i[1];
  const auto* ids = static_cast<const int64_t*>(n.ctx);
  const float* gy = g.grad_or_null(n.out[0]);
  float* gw = g.grad_accum(n.in[0]);
  for (int64_t k = 0; k < cnt; ++k) kernels::axpy(1.0f, gy + k * D, gw + ids[k] * D, D);
}
}  // namespace

Var embedding(Var weight, const int64_t* idx, int64_t cnt) {
  ND_CHECK(weight.rank() == 2, "embedding: weight must be [num_embeddings, dim], got ", weight.shape().str());
  Graph& g = weight.graph();
  const int64_t V = weight.size(0), D = weight.size(1);
  auto* ids = g.arena().alloc_array<int64_t>(std::max<int64_t>(cnt, 1));
  for (int64_t k = 0; k < cnt; ++k) {
    ND_CHECK(idx[k] >= 0 && idx[k] < V, "embedding: index ", idx[k], " at position ", k, " is outside [0, ", V, ")");
    ids[k] = idx[k];
  }
  Var y = detail::make_out(g, Shape{cnt, D}, {weight});
  for (int64_t k = 0; k < cnt; ++k) std::memcpy(y.data() + k * D, weight.data() + ids[k] * D, sizeof(float) * D);
  if (g.should_record({weight})) {
    Node& n = g.record(&embedding_backward, {y}, {weight});
    n.i[0] = cnt, n.i[1] = D;
    n.ctx = ids;
  }
  return y;
}

}  // namespace nd::ops
