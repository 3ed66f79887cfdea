// Fused attention for tiny per-head matrices on token-major projections (nd::ops::token_attention
// for short token sequences: PatchTST's patches, iTransformer's variates). Per (batch row, head)
// the scores, softmax, dropout and products run on L1-resident tiles with no GEMM calls and no
// intermediate passes over [B * H, Lq, Lk] arrays; one parallel region over the batch rows.
#pragma once
#include <cstdint>

namespace nd::kernels {

// q [B, Lq, H * D], k [B, Lk, H * D], v [B, Lk, H * Dv] (head h reads columns [h * D, (h + 1) * D));
// out [B, Lq, H * Dv]; per-head matrices (prev, scores, probabilities) [B * H, Lq, Lk].
struct TokenAttentionDims {
  int64_t B = 0, H = 0, Lq = 0, Lk = 0, D = 0, Dv = 0;
};

struct TokenAttentionConfig {
  float scale = 1.0f;      // multiplies q.k
  float dropout_p = 0.0f;  // 0 = none; kept probabilities are scaled by 1 / (1 - p)
  uint64_t seed = 0;       // mask = kernels::dropout(seed) over the [B * H, Lq, Lk] probabilities
};

// Largest Lq, Lk, D, Dv the fused kernels take (their tiles live on the stack).
constexpr int64_t kTokenAttentionMaxLen = 64;
constexpr int64_t kTokenAttentionMaxDim = 64;

inline bool token_attention_fits(const TokenAttentionDims& d) {
  return d.B >= 1 && d.H >= 1 && d.Lq >= 1 && d.Lk >= 1 && d.D >= 1 && d.Dv >= 1 && d.Lq <= kTokenAttentionMaxLen &&
         d.Lk <= kTokenAttentionMaxLen && d.D <= kTokenAttentionMaxDim && d.Dv <= kTokenAttentionMaxDim;
}

// s = scale q k^T + prev (prev may be null), p = softmax(s) per row, out = dropout(p) v.
// Writes scores = s and probs = p (the probabilities before dropout) when not null.
// Requires token_attention_fits(d).
void token_attention_forward(const TokenAttentionDims& d, const TokenAttentionConfig& c, const float* q,
                             const float* k, const float* v, const float* prev, float* scores, float* probs,
                             float* out);

// Backward of token_attention_forward from its probs, the output gradient d_out [B, Lq, H * Dv]
// and the gradient of the returned scores d_scores [B * H, Lq, Lk] (either may be null: zero).
// Overwrites dq, dk, dv and ds = d loss / d s (the gradient of prev); each may be null (not
// computed). Same config (and so the same dropout mask) as the forward.
void token_attention_backward(const TokenAttentionDims& d, const TokenAttentionConfig& c, const float* q,
                              const float* k, const float* v, const float* probs, const float* d_out,
                              const float* d_scores, float* dq, float* dk, float* dv, float* ds);

}  // namespace nd::kernels
