// Runtime ISA selection (nd/kernels/dispatch.h). Highway picks the best compiled target the CPU
// supports; a cap (ND_ISA or force_isa) is applied by mocking the set of supported targets, which
// also steers vqsort in hwy_contrib because Highway's chosen target is process-wide.
#include "nd/kernels/dispatch.h"

#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "kernels/dispatch.cc"
#include "hwy/foreach_target.h"  // IWYU pragma: keep
#include "hwy/highway.h"

HWY_BEFORE_NAMESPACE();
namespace nd::kernels::HWY_NAMESPACE {
// The target that dynamic dispatch actually reaches: what active_isa() reports.
int64_t DispatchedTarget() { return HWY_TARGET; }
}  // namespace nd::kernels::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
#include <cctype>
#include <cstdint>
#include <cstdlib>
#include <mutex>

#include "kernels/dispatch_internal.h"
#include "nd/core/error.h"

namespace nd::kernels {

namespace detail {
std::atomic<int> g_isa_mode{0};
}  // namespace detail

namespace {

constexpr int kModeSimd = 1;
constexpr int kModeRef = 2;

std::mutex g_mu;  // serializes changes of the mode and of Highway's target mask

std::string lower(const std::string& s) {
  std::string out = s;
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// Targets compiled into this library (HWY_TARGETS of this translation unit equals that of every
// kernel file: same flags) that the CPU supports, ignoring any cap we installed. Lowest bit = best.
int64_t real_supported() {
  static const int64_t targets = [] {
    hwy::SetSupportedTargetsForTest(0);
    return hwy::SupportedTargets() & HWY_TARGETS;
  }();
  return targets;
}

// Our name for a Highway target. HWY_SCALAR (Highway's one-lane fallback, used instead of EMU128
// by compilers with the EMU128 miscompilation, e.g. GCC < 12.3) is renamed so that it cannot be
// confused with "scalar", the reference kernels.
std::string isa_name(int64_t bit) { return bit == HWY_SCALAR ? "HWY_SCALAR" : hwy::TargetName(bit); }

// Highway target bit for a (lower-case) name, or 0 when the name is no compiled target.
// Aliases: avx512 = avx3; emu128 = the portable fallback, whichever of EMU128 / HWY_SCALAR exists.
int64_t target_bit(const std::string& name) {
  std::string want = name == "avx512" ? "avx3" : name;
  if (want == "emu128" && !(HWY_TARGETS & HWY_EMU128) && (HWY_TARGETS & HWY_SCALAR)) want = "hwy_scalar";
  for (int64_t t = HWY_TARGETS; t != 0; t &= t - 1) {
    const int64_t bit = t & -t;
    if (lower(isa_name(bit)) == want) return bit;
  }
  return 0;
}

std::string valid_choices() {
  std::string s = "best, scalar";
  for (int64_t t = real_supported(); t != 0; t &= t - 1) s += ", " + lower(isa_name(t & -t));
  if (real_supported() & HWY_AVX3) s += "; aliases: avx512 = avx3";
  if (!(HWY_TARGETS & HWY_EMU128) && (HWY_TARGETS & HWY_SCALAR)) s += ", emu128 = hwy_scalar";
  return s;
}

// Applies a (lower-case) choice and returns the resulting mode. Caller holds g_mu.
int apply_locked(const std::string& name) {
  int mode = kModeSimd;
  int64_t mask = 0;  // 0 = Highway's own detection
  if (name.empty() || name == "best") {
  } else if (name == "scalar") {
    mode = kModeRef;
  } else if (const int64_t bit = target_bit(name); bit != 0) {
    // A cap: the named target and every weaker one the CPU supports (bits above it are weaker).
    mask = real_supported() & ~(bit - 1);
    ND_CHECK(mask != 0, "ISA '", name, "' is not supported by this CPU; valid choices: ", valid_choices());
  } else {
    ND_THROW("unknown ISA '", name, "'; valid choices: ", valid_choices());
  }
  (void)real_supported();  // capture the unmocked set before installing a mock
  hwy::SetSupportedTargetsForTest(mask);
  // Re-select now rather than relying on the lazy first-call update, so that every dispatch
  // table sees the new choice immediately.
  hwy::GetChosenTarget().Update(hwy::SupportedTargets());
  return mode;
}

}  // namespace

namespace detail {
int init_isa_mode() {
  std::lock_guard<std::mutex> lock(g_mu);
  int mode = g_isa_mode.load(std::memory_order_relaxed);
  if (mode != 0) return mode;
  const char* env = std::getenv("ND_ISA");
  const std::string name = lower(env ? env : "");
  try {
    mode = apply_locked(name);
  } catch (const Error& e) {
    ND_THROW("ND_ISA: ", e.what());
  }
  g_isa_mode.store(mode, std::memory_order_relaxed);
  return mode;
}
}  // namespace detail

bool reference_forced() { return use_ref(); }

HWY_EXPORT(DispatchedTarget);

std::string active_isa() {
  if (use_ref()) return "scalar";
  return isa_name(HWY_DYNAMIC_DISPATCH(DispatchedTarget)());
}

// Meant for start-up, tests and benchmarks: a kernel already running on another thread finishes on
// the path it started with (both flags are atomic, so it never sees a torn state).
void force_isa(const std::string& name) {
  // An explicit choice wins: once the mode is set, ND_ISA is no longer consulted.
  std::lock_guard<std::mutex> lock(g_mu);
  detail::g_isa_mode.store(apply_locked(lower(name)), std::memory_order_relaxed);
}

std::vector<std::string> available_isas() {
  std::vector<std::string> out;
  {
    std::lock_guard<std::mutex> lock(g_mu);
    for (int64_t t = real_supported(); t != 0; t &= t - 1) out.emplace_back(isa_name(t & -t));
  }
  out.emplace_back("scalar");
  return out;
}

}  // namespace nd::kernels
#endif  // HWY_ONCE
