// See nd/core/interrupt.h.
#include "nd/core/interrupt.h"

#include <atomic>

namespace nd {

namespace {
std::atomic<InterruptCheck> g_check{nullptr};
}

void set_interrupt_check(InterruptCheck check) { g_check.store(check, std::memory_order_release); }

void check_interrupt() {
  InterruptCheck c = g_check.load(std::memory_order_acquire);
  if (c != nullptr && c()) throw Interrupted{};
}

}  // namespace nd
