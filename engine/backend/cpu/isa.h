// The instruction-set variants of the CPU kernels, and which one runs.
//
// Kernels exist in a portable build and, on x86-64, in x86-64-v3 (AVX2 + FMA + F16C) and
// x86-64-v4 (AVX-512) builds. The widest one this CPU supports runs, detected with
// __builtin_cpu_supports() after start-up; GEMMETER_ISA=portable|avx2|avx512 forces one
// (tests use it to hold every variant to the reference).
#pragma once

#include <span>
#include <string_view>

namespace gemmeter::cpu {

enum class Isa { kPortable, kAvx2, kAvx512 };

std::string_view IsaName(Isa isa);
// The variants compiled into this build that this CPU can run, portable first.
std::span<const Isa> AvailableIsas();
// The widest available variant, or the one GEMMETER_ISA names (Error if it is unknown or
// unavailable here).
Isa SelectedIsa();

}  // namespace gemmeter::cpu
