// Flash-style attention kernels (Dao et al. 2022, "FlashAttention", Alg. 1-2; FlashAttention-2,
// Dao 2023, for the loop order): tiles of queries x keys, online softmax with a running max and
// sum, per-row log-sum-exp saved for a backward that recomputes the probabilities tile by tile.
// Memory beyond inputs and outputs: O(L + block_q * block_k) per worker, never O(Lq * Lk).
// Tile products go to BLAS; the row work (masking, exp, rescaling, dropout) is Highway.
#pragma once
#include <cstdint>

namespace nd::kernels {

// Row-major, contiguous: q [B, H, Lq, D], k [B, H, Lk, D], v [B, H, Lk, Dv], o [B, H, Lq, Dv].
struct AttentionDims {
  int64_t B = 0, H = 0, Lq = 0, Lk = 0, D = 0, Dv = 0;
};

struct AttentionConfig {
  float scale = 1.0f;         // multiplies q.k
  bool causal = false;        // query i sees keys j <= i
  const uint8_t* key_padding_mask = nullptr;  // [B, Lk], nonzero = attend; may be null
  float dropout_p = 0.0f;     // 0 = no dropout; kept entries are scaled by 1 / (1 - p)
  uint64_t seed = 0;
  int64_t block_q = 0;        // tile sizes; 0 = the defaults below
  int64_t block_k = 0;
};

constexpr int64_t kAttentionBlockQ = 64;
constexpr int64_t kAttentionBlockK = 128;

// Floats of scratch the forward / backward need (for every worker thread); 64-byte aligned.
int64_t attention_forward_scratch(const AttentionDims& d, const AttentionConfig& c);
int64_t attention_backward_scratch(const AttentionDims& d, const AttentionConfig& c);

// Writes o and lse [B, H, Lq] (log of the row's softmax denominator, scale included; -inf for a
// row that sees no key, whose output is zero).
void attention_forward(const AttentionDims& d, const AttentionConfig& c, const float* q, const float* k,
                       const float* v, float* o, float* lse, float* scratch);

// From the forward's o and lse and the output gradient do [B, H, Lq, Dv], overwrites dq, dk, dv
// (each may be null: not computed). Same config (and so the same dropout mask) as the forward.
void attention_backward(const AttentionDims& d, const AttentionConfig& c, const float* q, const float* k,
                        const float* v, const float* o, const float* lse, const float* d_o, float* dq, float* dk,
                        float* dv, float* scratch);

// The dropout keep-mask entry for (b, h, i, j): a counter-based hash (no state), so backward
// regenerates the forward's mask. Exposed for tests.
bool attention_dropout_keep(uint64_t seed, int64_t b, int64_t h, int64_t i, int64_t j, float p);

}  // namespace nd::kernels
