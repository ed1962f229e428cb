// Element types of tensors, and the scalar conversions between them.
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
};

std::string_view DTypeName(DType dtype);
size_t DTypeSize(DType dtype);

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

// Converts `count` elements of `src` (in `src_dtype`, F32/BF16/F16) to float32.
void ConvertToF32(const void* src, DType src_dtype, size_t count, float* dst);

}  // namespace gemmeter
