// Runtime ISA selection. Highway compiles every SIMD kernel for several targets (AVX-512, AVX2,
// SSE4, NEON, portable baseline) and picks the best one the CPU supports at start-up.
// ND_ISA=scalar forces the scalar reference kernels (src/kernels/ref), which are also the test
// oracle; ND_ISA=avx2 / avx512 / sse4 / emu128 caps the Highway target.
#pragma once
#include <string>
#include <vector>

namespace nd::kernels {

// True when the scalar reference kernels are in use.
bool reference_forced();
// Name of the path in use: "scalar" or the Highway target name ("AVX3", "AVX2", ...).
std::string active_isa();
// "best" (default), "scalar", or one of available_isas(); throws nd::Error on an unknown name.
void force_isa(const std::string& name);
// The Highway targets this binary was compiled for and this CPU supports, best first,
// plus "scalar" last.
std::vector<std::string> available_isas();

}  // namespace nd::kernels
