// Shared helpers for the kernel tests: run a check under every ISA this machine offers, random
// inputs at awkward sizes and unaligned offsets, guarded outputs (to catch tail overruns), and a
// closeness check that reports the worst element.
#pragma once
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <sstream>
#include <string>
#include <vector>

#include "nd/core/rng.h"
#include "nd/kernels/dispatch.h"

namespace nd::kernels::testing {

// Restores the ISA that was active when constructed ("best" when that was the best one).
class IsaGuard {
 public:
  IsaGuard() : prev_(active_isa()) {}
  IsaGuard(const IsaGuard&) = delete;
  IsaGuard& operator=(const IsaGuard&) = delete;
  ~IsaGuard() { force_isa(prev_ == available_isas().front() ? "best" : prev_); }

 private:
  std::string prev_;
};

// Runs fn() once per ISA of available_isas() (the reference "scalar" included), that ISA forced.
template <class F>
void for_each_isa(F&& fn) {
  IsaGuard guard;
  for (const std::string& isa : available_isas()) {
    force_isa(isa);
    SCOPED_TRACE("isa=" + isa);
    fn();
  }
}

// Sizes around every vector width (4, 8, 16 lanes) plus empty, tiny and large.
inline const std::vector<int64_t> kSizes = {0, 1, 2, 3, 7, 15, 16, 17, 31, 33, 64, 100, 1000};
// Element offsets from a 64-byte aligned start: unaligned loads and stores.
inline const std::vector<int64_t> kOffsets = {0, 1, 3};

// A float array at an element offset inside a larger allocation, with canaries around it.
class Buf {
 public:
  static constexpr float kCanary = -7.25e30f;
  static constexpr int64_t kPad = 24;
  Buf(int64_t n, int64_t offset = 0, float fill = 0.0f)
      : v_(static_cast<size_t>(n + offset + 2 * kPad), kCanary), off_(offset + kPad), n_(n) {
    for (int64_t i = 0; i < n; ++i) v_[off_ + i] = fill;
  }
  float* data() { return v_.data() + off_; }
  const float* data() const { return v_.data() + off_; }
  float& operator[](int64_t i) { return v_[off_ + i]; }
  float operator[](int64_t i) const { return v_[off_ + i]; }
  int64_t size() const { return n_; }
  bool canaries_intact() const {
    for (int64_t i = 0; i < static_cast<int64_t>(v_.size()); ++i)
      if ((i < off_ || i >= off_ + n_) && v_[i] != kCanary) return false;
    return true;
  }

 private:
  std::vector<float> v_;
  int64_t off_, n_;
};

inline Buf random_buf(int64_t n, int64_t offset, float lo, float hi, uint64_t seed) {
  Buf b(n, offset);
  Rng rng(seed);
  for (int64_t i = 0; i < n; ++i) b[i] = rng.uniform(lo, hi);
  return b;
}

inline Buf copy_buf(const Buf& src, int64_t offset) {
  Buf b(src.size(), offset);
  for (int64_t i = 0; i < src.size(); ++i) b[i] = src[i];
  return b;
}

// |got - want| <= atol + rtol * |want| elementwise; NaN must meet NaN and infinities must match.
inline ::testing::AssertionResult all_close(const float* want, const float* got, int64_t n, double atol,
                                            double rtol) {
  int64_t bad = -1, nbad = 0;
  double worst = 0.0;
  for (int64_t i = 0; i < n; ++i) {
    const double w = want[i], g = got[i];
    bool ok;
    if (std::isnan(w) || std::isnan(g)) {
      ok = std::isnan(w) && std::isnan(g);
    } else if (std::isinf(w) || std::isinf(g)) {
      ok = w == g;
    } else {
      const double err = std::fabs(g - w), tol = atol + rtol * std::fabs(w);
      ok = err <= tol;
      if (!ok && err / tol > worst) worst = err / tol;
    }
    if (!ok) {
      ++nbad;
      if (bad < 0) bad = i;
    }
  }
  if (nbad == 0) return ::testing::AssertionSuccess();
  std::ostringstream os;
  os.precision(9);
  os << nbad << " of " << n << " elements differ; first at " << bad << ": want " << want[bad] << ", got " << got[bad]
     << " (worst error / tolerance = " << worst << ")";
  return ::testing::AssertionFailure() << os.str();
}

inline ::testing::AssertionResult all_close(const Buf& want, const Buf& got, double atol, double rtol) {
  if (want.size() != got.size()) return ::testing::AssertionFailure() << "size mismatch";
  if (!got.canaries_intact()) return ::testing::AssertionFailure() << "wrote outside [0, n)";
  return all_close(want.data(), got.data(), want.size(), atol, rtol);
}

// Scalar closeness with the same rule.
inline ::testing::AssertionResult close(double want, double got, double atol, double rtol) {
  const float w = static_cast<float>(want), g = static_cast<float>(got);
  if (std::isnan(want) || std::isnan(got) || std::isinf(want) || std::isinf(got)) return all_close(&w, &g, 1, atol, rtol);
  if (std::fabs(got - want) <= atol + rtol * std::fabs(want)) return ::testing::AssertionSuccess();
  std::ostringstream os;
  os.precision(12);
  os << "want " << want << ", got " << got << " (diff " << std::fabs(got - want) << ")";
  return ::testing::AssertionFailure() << os.str();
}

}  // namespace nd::kernels::testing
