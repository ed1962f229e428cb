// Element types of tensors, and the scalar conversions between them.
//
// Besides plain elements, a tensor may hold a GGUF block format (q8_0 ... q6_k): each
// row of `cols` values is cols / BlockValues() blocks of BlockBytes() bytes, always
// along the innermost dimension (a weight matrix's K). engine/core/quant_blocks.h
// decodes them.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>

namespace gemmeter {

enum class DType : uint8_t {
  kF32,
  kBF16,
  kF16,
  kI32,
  kI64,
  // GGUF block formats (layouts in quant_blocks.h).
  kQ8_0,
  kQ4_0,
  kQ5_0,
  kQ4_K,
  kQ5_K,
  kQ6_K,
};

// Every block format, in enum order: the list tests and benchmarks iterate.
inline constexpr DType kBlockDTypes[] = {DType::kQ8_0, DType::kQ4_0, DType::kQ5_0,
                                         DType::kQ4_K, DType::kQ5_K, DType::kQ6_K};

std::string_view DTypeName(DType dtype);
// Bytes per element of a plain dtype; throws Error for a block format (use RowBytes).
size_t DTypeSize(DType dtype);
bool IsBlockFormat(DType dtype);
// Values per block (1 for plain dtypes) and bytes per block (DTypeSize for plain ones).
int64_t BlockValues(DType dtype);
size_t BlockBytes(DType dtype);
// Bytes of one row of `cols` values; throws Error naming the format when cols is not a
// whole number of blocks.
size_t RowBytes(DType dtype, int64_t cols);

// bfloat16: the top 16 bits of an IEEE float32.
inline float BF16ToFloat(uint16_t bits) {
  uint32_t u = static_cast<uint32_t>(bits) << 16;
  float f;
  std::memcpy(&f, &u, sizeof f);
  return f;
}

// Round-to-nearest-even, as torch's float -> bfloat16 cast does; NaN stays NaN.
inline uint16_t FloatToBF16(float f) {
  uint32_t u;
  std::memcpy(&u, &f, sizeof u);
  if ((u & 0x7fffffffu) > 0x7f800000u) return static_cast<uint16_t>((u >> 16) | 0x40u);
  uint32_t rounding_bias = 0x7fffu + ((u >> 16) & 1u);
  return static_cast<uint16_t>((u + rounding_bias) >> 16);
}

// IEEE binary16 -> float32, including subnormals, infinities and NaN.
float F16ToFloat(uint16_t bits);
// float32 -> IEEE binary16 with round-to-nearest-even.
uint16_t FloatToF16(float f);

// Converts `count` elements of `src` (in `src_dtype`: f32, bf16, f16 or a block format,
// where count is a whole number of blocks) to float32.
void ConvertToF32(const void* src, DType src_dtype, size_t count, float* dst);

}  // namespace gemmeter
