// Cooperative cancellation of long calls (training, cross-validation). A front end (the Python
// module) installs a check that reports a pending user interrupt (Ctrl-C); the library polls it
// between training steps and unwinds with nd::Interrupted, leaving no half-trained model behind.
// The library itself never installs signal handlers.
#pragma once

namespace nd {

// Thrown by check_interrupt(); deliberately not an nd::Error so that front ends can tell a user
// interrupt from bad input.
struct Interrupted {};

// The check returns true when the running call should stop. nullptr removes it. The check is
// called from the thread running the library call, at most once per training step.
using InterruptCheck = bool (*)();
void set_interrupt_check(InterruptCheck check);
// Throws nd::Interrupted when the installed check asks to stop.
void check_interrupt();

}  // namespace nd
