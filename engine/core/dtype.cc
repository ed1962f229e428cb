#include "engine/core/dtype.h"

#include <cmath>

#include "engine/core/error.h"
#include "engine/core/quant_blocks.h"

namespace gemmeter {

std::string_view DTypeName(DType dtype) {
  switch (dtype) {
    case DType::kF32: return "f32";
    case DType::kBF16: return "bf16";
    case DType::kF16: return "f16";
    case DType::kI32: return "i32";
    case DType::kI64: return "i64";
    case DType::kQ8_0: return "q8_0";
    case DType::kQ4_0: return "q4_0";
    case DType::kQ5_0: return "q5_0";
    case DType::kQ4_K: return "q4_k";
    case DType::kQ5_K: return "q5_k";
    case DType::kQ6_K: return "q6_k";
  }
  return "?";
}

bool IsBlockFormat(DType dtype) { return BlockValues(dtype) > 1; }

int64_t BlockValues(DType dtype) {
  switch (dtype) {
    case DType::kQ8_0:
    case DType::kQ4_0:
    case DType::kQ5_0: return kBlockQ;
    case DType::kQ4_K:
    case DType::kQ5_K:
    case DType::kQ6_K: return kBlockK;
    default: return 1;
  }
}

size_t BlockBytes(DType dtype) {
  switch (dtype) {
    case DType::kF32: return 4;
    case DType::kBF16: return 2;
    case DType::kF16: return 2;
    case DType::kI32: return 4;
    case DType::kI64: return 8;
    case DType::kQ8_0: return 34;
    case DType::kQ4_0: return 18;
    case DType::kQ5_0: return 22;
    case DType::kQ4_K: return 144;
    case DType::kQ5_K: return 176;
    case DType::kQ6_K: return 210;
  }
  return 0;
}

size_t DTypeSize(DType dtype) {
  Check(!IsBlockFormat(dtype), "{} is a block format: it has bytes per row, not per element",
        DTypeName(dtype));
  return BlockBytes(dtype);
}

size_t RowBytes(DType dtype, int64_t cols) {
  const int64_t block = BlockValues(dtype);
  Check(cols % block == 0, "a {} row of {} values is not a whole number of {}-value blocks",
        DTypeName(dtype), cols, block);
  return static_cast<size_t>(cols / block) * BlockBytes(dtype);
}

float F16ToFloat(uint16_t bits) {
  const uint32_t sign = (bits >> 15) & 1u;
  const uint32_t exponent = (bits >> 10) & 0x1fu;
  const uint32_t mantissa = bits & 0x3ffu;
  float magnitude;
  if (exponent == 0) {
    magnitude = std::ldexp(static_cast<float>(mantissa), -24);  // subnormal: m * 2^-24
  } else if (exponent == 31) {
    magnitude = mantissa ? NAN : INFINITY;
  } else {
    magnitude = std::ldexp(static_cast<float>(mantissa | 0x400u), static_cast<int>(exponent) - 25);
  }
  return sign ? -magnitude : magnitude;
}

uint16_t FloatToF16(float f) {
  uint32_t u;
  std::memcpy(&u, &f, sizeof u);
  const uint16_t sign = static_cast<uint16_t>((u >> 16) & 0x8000u);
  const float a = std::fabs(f);
  if (std::isnan(f)) return sign | 0x7e00u;
  if (a >= 65520.0f) return sign | 0x7c00u;  // rounds to infinity
  if (a < 6.103515625e-05f) {                 // subnormal range: units of 2^-24
    return sign | static_cast<uint16_t>(std::nearbyint(a * 16777216.0f));
  }
  int e;
  const float m = std::frexp(a, &e);  // a = m * 2^e, m in [0.5, 1)
  // 11 significant bits: round m * 2^11 to nearest even.
  uint32_t significand = static_cast<uint32_t>(std::nearbyint(m * 2048.0f));
  if (significand == 2048) {
    significand = 1024;
    ++e;
  }
  const uint32_t biased = static_cast<uint32_t>(e - 1 + 15);
  if (biased >= 31) return sign | 0x7c00u;
  return sign | static_cast<uint16_t>((biased << 10) | (significand & 0x3ffu));
}

void ConvertToF32(const void* src, DType src_dtype, size_t count, float* dst) {
  if (count == 0) return;  // an empty tensor may have no data pointer at all
  switch (src_dtype) {
    case DType::kF32:
      std::memcpy(dst, src, count * sizeof(float));
      return;
    case DType::kBF16: {
      const auto* p = static_cast<const uint16_t*>(src);
      for (size_t i = 0; i < count; ++i) dst[i] = BF16ToFloat(p[i]);
      return;
    }
    case DType::kF16: {
      const auto* p = static_cast<const uint16_t*>(src);
      for (size_t i = 0; i < count; ++i) dst[i] = F16ToFloat(p[i]);
      return;
    }
    default:
      if (IsBlockFormat(src_dtype)) {
        DequantizeBlocks(src_dtype, src, dst, static_cast<int64_t>(count));
        return;
      }
      Fail("cannot convert {} tensor data to f32", DTypeName(src_dtype));
  }
}

}  // namespace gemmeter
