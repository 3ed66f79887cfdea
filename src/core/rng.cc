// xoshiro128++ (Blackman & Vigna 2018) seeded with splitmix64.
#include "nd/core/rng.h"

#include <cmath>

namespace nd {

namespace {
uint64_t splitmix64(uint64_t& x) {
  uint64_t z = (x += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}
inline uint32_t rotl(uint32_t x, int k) { return (x << k) | (x >> (32 - k)); }
}  // namespace

Rng::Rng(uint64_t seed) {
  uint64_t a = splitmix64(seed), b = splitmix64(seed);
  s_[0] = static_cast<uint32_t>(a);
  s_[1] = static_cast<uint32_t>(a >> 32);
  s_[2] = static_cast<uint32_t>(b);
  s_[3] = static_cast<uint32_t>(b >> 32);
}

uint32_t Rng::next_u32() {
  const uint32_t result = rotl(s_[0] + s_[3], 7) + s_[0];
  const uint32_t t = s_[1] << 9;
  s_[2] ^= s_[0];
  s_[3] ^= s_[1];
  s_[1] ^= s_[2];
  s_[0] ^= s_[3];
  s_[2] ^= t;
  s_[3] = rotl(s_[3], 11);
  return result;
}

float Rng::uniform() { return static_cast<float>(next_u32() >> 8) * (1.0f / 16777216.0f); }

float Rng::uniform(float lo, float hi) { return lo + (hi - lo) * uniform(); }

float Rng::normal() {
  if (has_spare_) {
    has_spare_ = false;
    return spare_;
  }
  float u1;
  do {
    u1 = uniform();
  } while (u1 <= 0.0f);
  const float u2 = uniform();
  const float r = std::sqrt(-2.0f * std::log(u1));
  const float th = 6.283185307179586f * u2;
  spare_ = r * std::sin(th);
  has_spare_ = true;
  return r * std::cos(th);
}

uint64_t Rng::randint(uint64_t n) {
  uint64_t x = (static_cast<uint64_t>(next_u32()) << 32) | next_u32();
  return x % n;
}

}  // namespace nd
