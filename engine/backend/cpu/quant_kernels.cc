#include "engine/backend/cpu/quant_kernels.h"

#include "engine/build_config.h"
#include "engine/core/error.h"

namespace gemmeter::cpu {

const BlockKernels& KernelsFor(DType dtype, Isa isa) {
  size_t index = 0;
  while (index < std::size(kBlockDTypes) && kBlockDTypes[index] != dtype) ++index;
  Check(index < std::size(kBlockDTypes), "no block kernels for {} (not a block format)",
        DTypeName(dtype));
  bool available = false;
  for (Isa a : AvailableIsas()) available |= a == isa;
  Check(available, "the {} kernels do not run on this CPU or are not in this build", IsaName(isa));
  switch (isa) {
#if GEMMETER_HAVE_X86_ISAS
    case Isa::kAvx512: return BlockKernelTableAvx512()[index];
    case Isa::kAvx2: return BlockKernelTableAvx2()[index];
#endif
    default: return BlockKernelTablePortable()[index];
  }
}

}  // namespace gemmeter::cpu
