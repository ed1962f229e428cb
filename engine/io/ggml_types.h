// ggml tensor types as stored in GGUF files, and their dequantization to float32.
//
// Block layouts (ggml src/ggml-common.h; summarized in engine-facts.md section 2.5):
// a quantized row of n values is n / block_size blocks of block_bytes each, always
// along the innermost GGUF dimension ne[0] (the matmul's K).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

#include "engine/core/dtype.h"

namespace gemmeter {

// Numbering fixed by the GGUF format (ggml.h enum ggml_type).
enum class GgmlType : uint32_t {
  kF32 = 0,
  kF16 = 1,
  kQ4_0 = 2,
  kQ4_1 = 3,
  kQ5_0 = 6,
  kQ5_1 = 7,
  kQ8_0 = 8,
  kQ8_1 = 9,
  kQ2_K = 10,
  kQ3_K = 11,
  kQ4_K = 12,
  kQ5_K = 13,
  kQ6_K = 14,
  kQ8_K = 15,
  kBF16 = 30,
};

// "F32", "Q4_K", ...; for ids without a name here: "type <id>".
std::string GgmlTypeName(uint32_t type_id);

struct GgmlBlockLayout {
  int64_t block_size;   // values per block
  size_t block_bytes;   // bytes per block
};
// The dtype gemmeter holds a GGUF type in; nullopt for types it cannot read.
std::optional<DType> DTypeOfGgmlType(uint32_t type_id);
// The layout of the types gemmeter can dequantize; nullopt for every other id.
std::optional<GgmlBlockLayout> DequantizableLayout(uint32_t type_id);
// Names of the types gemmeter dequantizes, for error messages.
std::string DequantizableTypeNames();

// Bytes of a row of n values; n must be a multiple of the block size.
size_t GgmlRowBytes(const GgmlBlockLayout& layout, int64_t n);

// Converts one row of `n` values of `type_id` at `src` to float32. Throws Error for a
// type that is not dequantizable or an n that is not a whole number of blocks.
void DequantizeRow(uint32_t type_id, const void* src, float* dst, int64_t n);

}  // namespace gemmeter
