#include "engine/backend/cpu/isa.h"

#include <cstdlib>
#include <string>
#include <vector>

#include "engine/build_config.h"
#include "engine/core/error.h"

namespace gemmeter::cpu {
namespace {

bool CpuRuns(Isa isa) {
#if GEMMETER_HAVE_X86_ISAS
  __builtin_cpu_init();
  switch (isa) {
    case Isa::kPortable: return true;
    case Isa::kAvx2:  // x86-64-v3
      return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") &&
             __builtin_cpu_supports("bmi2");
    case Isa::kAvx512:  // x86-64-v4
      return CpuRuns(Isa::kAvx2) && __builtin_cpu_supports("avx512f") &&
             __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vl") &&
             __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512cd");
  }
  return false;
#else
  return isa == Isa::kPortable;
#endif
}

std::vector<Isa> DetectIsas() {
  std::vector<Isa> isas;
  for (Isa isa : {Isa::kPortable, Isa::kAvx2, Isa::kAvx512}) {
    if (CpuRuns(isa)) isas.push_back(isa);
  }
  return isas;
}

Isa ChooseIsa() {
  const std::span<const Isa> isas = AvailableIsas();
  const char* forced = std::getenv("GEMMETER_ISA");
  if (forced == nullptr || *forced == '\0') return isas.back();
  std::string names;
  for (Isa isa : isas) {
    if (IsaName(isa) == forced) return isa;
    names += (names.empty() ? "" : ", ") + std::string(IsaName(isa));
  }
  Fail("GEMMETER_ISA={}: not a kernel variant this build and CPU run (available: {})", forced,
       names);
}

}  // namespace

std::string_view IsaName(Isa isa) {
  switch (isa) {
    case Isa::kPortable: return "portable";
    case Isa::kAvx2: return "avx2";
    case Isa::kAvx512: return "avx512";
  }
  return "?";
}

std::span<const Isa> AvailableIsas() {
  static const std::vector<Isa> isas = DetectIsas();
  return isas;
}

Isa SelectedIsa() {
  static const Isa isa = ChooseIsa();
  return isa;
}

}  // namespace gemmeter::cpu
