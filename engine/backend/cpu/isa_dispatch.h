// Run-time choice among builds of one kernel for several instruction sets.
//
// Why not GCC's target_clones: its clones are chosen by an ifunc resolver before main(),
// and on the AMD EPYC (Zen 4, AVX-512) machine this project is measured on, that
// resolver picked the baseline (SSE2) clone every time, while __builtin_cpu_supports()
// called after start-up reports AVX-512 correctly (see AvailableIsas()). So a kernel's
// body is written once as an always-inline function; GEMMETER_DISPATCH compiles it into
// three functions (x86-64-v4, x86-64-v3, baseline) and a fourth that calls the one
// SelectedIsa() names, chosen on its first call. GEMMETER_ISA=portable|avx2|avx512
// forces a variant, as for the block-format kernels.
#pragma once

#include "engine/backend/cpu/isa.h"
#include "engine/build_config.h"

// The body of a dispatched kernel: inlined into each variant, where it is compiled for
// that variant's instruction set.
#define GEMMETER_KERNEL_BODY __attribute__((always_inline)) inline

namespace gemmeter::cpu {

template <class Fn>
Fn PickByIsa(Fn avx512, Fn avx2, Fn portable) {
  switch (SelectedIsa()) {
    case Isa::kAvx512: return avx512;
    case Isa::kAvx2: return avx2;
    default: return portable;
  }
}

}  // namespace gemmeter::cpu

#if GEMMETER_HAVE_X86_ISAS
// Defines `ret name params` calling, in the variant SelectedIsa() names, avx512_impl,
// avx2_impl or portable_impl with `args`: one body (a template) instantiated for each
// instruction set's registers. Parenthesize an impl that has commas.
#define GEMMETER_DISPATCH_EACH(ret, name, params, args, avx512_impl, avx2_impl, portable_impl) \
  __attribute__((target("arch=x86-64-v4"))) ret name##Avx512 params {                       \
    return avx512_impl args;                                                                \
  }                                                                                         \
  __attribute__((target("arch=x86-64-v3"))) ret name##Avx2 params { return avx2_impl args; } \
  ret name##Portable params { return portable_impl args; }                                  \
  ret name params {                                                                         \
    static const auto chosen =                                                              \
        ::gemmeter::cpu::PickByIsa(&name##Avx512, &name##Avx2, &name##Portable);            \
    return chosen args;                                                                     \
  }
#else
#define GEMMETER_DISPATCH_EACH(ret, name, params, args, avx512_impl, avx2_impl, portable_impl) \
  ret name params { return portable_impl args; }
#endif
// Defines `ret name params` calling `impl args` in the variant SelectedIsa() names: the
// same body compiled for each instruction set.
#define GEMMETER_DISPATCH(ret, name, impl, params, args) \
  GEMMETER_DISPATCH_EACH(ret, name, params, args, impl, impl, impl)
