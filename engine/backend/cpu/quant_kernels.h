// Kernels on GGUF block formats, with float32 activations: a dot product of a float32
// vector with one block-format row, or with the 16 rows of a row group (row_groups.h;
// decode's matrix-vector products), and a row decoded to float32 (prefill's weight
// panels, embedding lookups). Blocks are unpacked in vector
// registers; nothing is quantized on the activation side, so a product equals the
// float32 product with the dequantized row up to float32 summation (and, for q4_k/q5_k,
// a fused multiply-add in decoding d sc q - dmin m).
//
// Three variants (quant_kernels_portable.cc, _avx2.cc, _avx512.cc), each built for its
// instruction set; the widest this CPU runs is chosen at run time, and
// GEMMETER_ISA=portable|avx2|avx512 forces one (tests hold every variant to gguf-py's
// dequantization, and the op suite holds the backends to the reference's decoders).
#pragma once

#include <cstdint>

#include "engine/backend/cpu/isa.h"
#include "engine/core/dtype.h"

namespace gemmeter::cpu {


struct BlockKernels {
  // sum_i x[i] w[i] over a row of k values (a whole number of blocks) at `row`.
  float (*dot)(const float* x, const uint8_t* row, int64_t k);
  // The row's k values as float32.
  void (*dequantize)(const uint8_t* row, float* out, int64_t k);
  // Row groups (row_groups.h): y[r] = the dot product of x with row r of the group at
  // `group` (16 rows of k values), r < 16. x_sums[j] = the float sum of x[32 j .. 32 j + 32)
  // (the q4_k/q5_k mins multiply them).
  void (*group_dot)(const float* x, const float* x_sums, const uint8_t* group, int64_t k,
                    float* y);
};

// The kernels for block format `dtype` (Error for a plain dtype).
const BlockKernels& KernelsFor(DType dtype, Isa isa);
inline const BlockKernels& KernelsFor(DType dtype) { return KernelsFor(dtype, SelectedIsa()); }

// The per-variant tables, in kBlockDTypes order.
const BlockKernels* BlockKernelTablePortable();
const BlockKernels* BlockKernelTableAvx2();
const BlockKernels* BlockKernelTableAvx512();

}  // namespace gemmeter::cpu
