// Kernels on GGUF block formats, with float32 activations: a dot product of a float32
// vector with one block-format row (decode's matrix-vector products) and a row decoded
// to float32 (prefill's weight panels, embedding lookups). Blocks are unpacked in vector
// registers; nothing is quantized on the activation side, so a product equals the
// float32 product with the dequantized row up to float32 summation (and, for q4_k/q5_k,
// a fused multiply-add in decoding d sc q - dmin m).
//
// One source (quant_kernels_isa.cc, GCC vector extensions) is compiled for several
// instruction sets; the best one this CPU runs is chosen at run time, and
// GEMMETER_ISA=portable|avx2|avx512 forces one (tests hold every variant to the plain
// decoders of engine/core/quant_blocks.h).
#pragma once

#include <cstdint>
#include <span>
#include <string_view>

#include "engine/core/dtype.h"

namespace gemmeter::cpu {

enum class Isa { kPortable, kAvx2, kAvx512 };

struct BlockKernels {
  // sum_i x[i] w[i] over a row of k values (a whole number of blocks) at `row`.
  float (*dot)(const float* x, const uint8_t* row, int64_t k);
  // The row's k values as float32.
  void (*dequantize)(const uint8_t* row, float* out, int64_t k);
};

std::string_view IsaName(Isa isa);
// The variants compiled into this build that this CPU can run, portable first.
std::span<const Isa> AvailableIsas();
// The widest available variant, or the one GEMMETER_ISA names (Error if it is unknown or
// unavailable here).
Isa SelectedIsa();
// The kernels for block format `dtype` (Error for a plain dtype).
const BlockKernels& KernelsFor(DType dtype, Isa isa);
inline const BlockKernels& KernelsFor(DType dtype) { return KernelsFor(dtype, SelectedIsa()); }

// The per-variant tables (quant_kernels_isa.cc), in kBlockDTypes order.
const BlockKernels* BlockKernelTablePortable();
const BlockKernels* BlockKernelTableAvx2();
const BlockKernels* BlockKernelTableAvx512();

}  // namespace gemmeter::cpu
