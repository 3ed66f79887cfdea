// The counter-based dropout hash shared by every dropout in the engine (the elementwise dropout
// kernel and the attention kernels) and by their scalar references: a keep decision is a pure
// function of (seed, position), so masks need no sequential generator, vectorize, and are the
// same on every ISA and thread count.
#pragma once
#include <cmath>
#include <cstdint>

namespace nd::kernels::dropout_hash {

// splitmix64's finalizer (Steele et al. 2014): a bijective 64-bit mix.
inline uint64_t mix64(uint64_t z) {
  z += 0x9E3779B97F4A7C15ull;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

constexpr uint32_t kGolden32 = 0x9E3779B9u;
constexpr uint32_t kMul1 = 0x7FEB352Du;  // "lowbias32" constants (C. Wellons, hash-prospector)
constexpr uint32_t kMul2 = 0x846CA68Bu;

// 24 uniform bits for counter j under a 32-bit key; the Highway helper DropoutBits
// (kernels/simd-inl.h) computes the same in u32 lanes.
inline uint32_t bits24(uint32_t key, uint32_t j) {
  uint32_t x = key + j * kGolden32;
  x ^= x >> 16;
  x *= kMul1;
  x ^= x >> 15;
  x *= kMul2;
  x ^= x >> 16;
  return x >> 8;
}

// Keep iff bits24 >= threshold: P(keep) = 1 - threshold / 2^24 ~= 1 - p. An integer compare (or
// an exact float compare of 24-bit values), so every path agrees.
inline uint32_t keep_threshold(float p) {
  return static_cast<uint32_t>(std::ceil(static_cast<double>(p) * 16777216.0));
}

// Key of the elementwise dropout's chunk c (elements [c * 2^32, (c + 1) * 2^32)).
inline uint32_t chunk_key(uint64_t seed, uint64_t chunk) {
  return static_cast<uint32_t>(mix64(mix64(seed) ^ chunk) >> 32);
}

}  // namespace nd::kernels::dropout_hash
