// Matrix products (BLAS): matmul, batched matmul, linear layer.
#pragma once
#include "nd/autograd/graph.h"

namespace nd::ops {

// a [..., M, K] @ b [K, N] -> [..., M, N];  a [B, M, K] @ b [B, K, N] -> [B, M, N].
Var matmul(Var a, Var b);
// Batched product with optional transposes: op(a) [B, M, K] @ op(b) [B, K, N] -> [B, M, N].
Var bmm(Var a, Var b, bool transpose_a = false, bool transpose_b = false);
// y = x W^T + b: x [..., in], w [out, in], b [out] (optional) -> [..., out] (torch.nn.functional.linear).
Var linear(Var x, Var w, Var b = Var());

}  // namespace nd::ops
