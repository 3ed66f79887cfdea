// Internal pieces of the attention kernels shared by the Highway path and the scalar reference:
// the counter-based dropout hash (both paths must draw the identical mask) and scratch sizing.
#pragma once
#include <algorithm>
#include <cmath>
#include <cstdint>

#include "nd/kernels/attention.h"

namespace nd::kernels::attn {

// splitmix64's finalizer (Steele et al. 2014): a bijective 64-bit mix.
inline uint64_t mix64(uint64_t z) {
  z += 0x9E3779B97F4A7C15ull;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

// One 32-bit key per attention row (seed, b, h, i); the columns j are hashed from it below.
inline uint32_t row_key(uint64_t seed, int64_t b, int64_t h, int64_t i) {
  uint64_t z = mix64(seed);
  z = mix64(z ^ static_cast<uint64_t>(b));
  z = mix64(z ^ static_cast<uint64_t>(h));
  z = mix64(z ^ static_cast<uint64_t>(i));
  return static_cast<uint32_t>(z >> 32);
}

constexpr uint32_t kGolden32 = 0x9E3779B9u;
constexpr uint32_t kMul1 = 0x7FEB352Du;  // "lowbias32" constants (C. Wellons, hash-prospector)
constexpr uint32_t kMul2 = 0x846CA68Bu;

// 24 uniform bits for column j of a row; the Highway path computes the same in u32 lanes.
inline uint32_t column_bits(uint32_t key, uint32_t j) {
  uint32_t x = key + j * kGolden32;
  x ^= x >> 16;
  x *= kMul1;
  x ^= x >> 15;
  x *= kMul2;
  x ^= x >> 16;
  return x >> 8;
}

// Keep iff column_bits >= threshold: P(keep) = 1 - threshold / 2^24 ~= 1 - p. Integer compare, so
// both paths agree exactly.
inline uint32_t keep_threshold(float p) {
  return static_cast<uint32_t>(std::ceil(static_cast<double>(p) * 16777216.0));
}

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
