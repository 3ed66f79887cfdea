// Deterministic random numbers: a counter-free xoshiro128++ stream seeded through splitmix64.
// Same seed => same sequence on every platform and thread count.
#pragma once
#include <cstdint>

namespace nd {

class Rng {
 public:
  explicit Rng(uint64_t seed = 1);
  uint32_t next_u32();
  float uniform();                    // [0, 1)
  float uniform(float lo, float hi);  // [lo, hi)
  float normal();                     // N(0, 1), Box-Muller
  float normal(float mean, float std) { return mean + std * normal(); }
  uint64_t randint(uint64_t n);       // [0, n)

 private:
  uint32_t s_[4];
  bool has_spare_ = false;
  float spare_ = 0.0f;
};

}  // namespace nd
