// Scaled dot-product attention as one differentiable op over a flash-style kernel
// (nd/kernels/attention.h): the [Lq, Lk] score matrix is never materialized, backward recomputes it
// tile by tile from the saved per-row log-sum-exp. Semantics follow
// torch.nn.functional.scaled_dot_product_attention (PyTorch 2.x).
#pragma once
#include <cstdint>

#include "nd/autograd/graph.h"

namespace nd::ops {

struct AttentionOptions {
  bool causal = false;     // torch's is_causal: query i sees keys j <= i (top-left aligned)
  float scale = 0.0f;      // multiplies q.k; 0 => 1 / sqrt(D)
  float dropout_p = 0.0f;  // dropout on the attention probabilities, applied only when training
  uint64_t seed = 0;       // the dropout mask is a pure function of (seed, b, h, i, j)
  // [B, Lk], nonzero = attend (torch's boolean attn_mask convention, broadcast over heads and
  // queries). Copied at the call; may be null. A query row that sees no key outputs zeros.
  const uint8_t* key_padding_mask = nullptr;
  bool training = false;
};

// q [B, H, Lq, D], k [B, H, Lk, D], v [B, H, Lk, Dv] -> [B, H, Lq, Dv]:
// softmax(scale * q k^T + mask) v, with dropout on the softmax when training and dropout_p > 0.
// Self attention: Lq == Lk; cross attention: any Lq, Lk.
Var scaled_dot_product_attention(Var q, Var k, Var v, const AttentionOptions& opt = {});

}  // namespace nd::ops

namespace nd::ops {

struct TokenAttentionOptions {
  float scale = 0.0f;      // multiplies q.k; 0 => 1 / sqrt(D)
  Var prev;                // optional [B * H, Lq, Lk] added to the scores (residual attention)
  bool return_scores = false;
  float dropout_p = 0.0f;  // on the probabilities, only when training
  uint64_t seed = 0;       // the dropout mask is a pure function of (seed, element)
  bool training = false;
};

struct TokenAttentionResult {
  Var out;     // [B, Lq, H * Dv]
  Var scores;  // [B * H, Lq, Lk] pre-softmax scores (scale q k^T + prev), if return_scores
};

// Multi-head attention straight on token-major projections: q [B, Lq, H * D], k [B, Lk, H * D],
// v [B, Lk, H * Dv] -> [B, Lq, H * Dv], head h reading columns [h * D, (h + 1) * D). One op
// instead of head split permutes, bmm, scale, softmax, bmm and the merge permute; the
// [B, H, Lq, Lk] probabilities are materialized (saved for backward), so it is meant for short
// token sequences (patches, variates) and for residual attention, which needs the scores. Long
// sequences belong to scaled_dot_product_attention.
TokenAttentionResult token_attention(Var q, Var k, Var v, int64_t heads, const TokenAttentionOptions& opt = {});

}  // namespace nd::ops
