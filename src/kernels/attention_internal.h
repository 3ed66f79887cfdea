// Internal pieces of the attention kernels shared by the Highway path and the scalar reference:
// the counter-based dropout hash (both paths must draw the identical mask) and scratch sizing.
#pragma once
#include <algorithm>
#include <cmath>
#include <cstdint>

#include "kernels/dropout_hash.h"
#include "nd/kernels/attention.h"

namespace nd::kernels::attn {

using dropout_hash::keep_threshold;
using dropout_hash::mix64;

// One 32-bit key per attention row (seed, b, h, i); the columns j are hashed from it with
// dropout_hash::bits24.
inline uint32_t row_key(uint64_t seed, int64_t b, int64_t h, int64_t i) {
  uint64_t z = mix64(seed);
  z = mix64(z ^ static_cast<uint64_t>(b));
  z = mix64(z ^ static_cast<uint64_t>(h));
  z = mix64(z ^ static_cast<uint64_t>(i));
  return static_cast<uint32_t>(z >> 32);
}

inline uint32_t column_bits(uint32_t key, uint32_t j) { return dropout_hash::bits24(key, j); }

struct Tiles {
  int64_t bq, bk;
};
inline Tiles tiles(const AttentionConfig& c) {
  return {c.block_q > 0 ? c.block_q : kAttentionBlockQ, c.block_k > 0 ? c.block_k : kAttentionBlockK};
}

inline int64_t round16(int64_t n) { return (n + 15) / 16 * 16; }  // floats -> whole 64-byte lines

// Everything one forward or backward call needs, handed to the per-target workers.
struct Job {
  AttentionDims d;
  AttentionConfig c;
  int64_t bq, bk;
  const float *q, *k, *v, *o, *lse, *d_o;
  float *out, *out_lse, *dq, *dk, *dv;
};

// Scratch of the scalar reference (single-threaded; doubles stored in float slots).
inline int64_t ref_forward_scratch(const AttentionDims& d) { return round16(2 * d.Lk); }
inline int64_t ref_backward_scratch(const AttentionDims& d) {
  return round16(4 * d.Lk) + round16(2 * d.Lk * (d.D + d.Dv)) + round16(2 * std::max(d.D, d.Dv));
}

}  // namespace nd::kernels::attn
