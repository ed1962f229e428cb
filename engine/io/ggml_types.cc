#include "engine/io/ggml_types.h"

#include <fmt/format.h>

#include "engine/core/dtype.h"
#include "engine/core/error.h"

namespace gemmeter {

std::string GgmlTypeName(uint32_t id) {
  switch (id) {
    case 0: return "F32";
    case 1: return "F16";
    case 2: return "Q4_0";
    case 3: return "Q4_1";
    case 6: return "Q5_0";
    case 7: return "Q5_1";
    case 8: return "Q8_0";
    case 9: return "Q8_1";
    case 10: return "Q2_K";
    case 11: return "Q3_K";
    case 12: return "Q4_K";
    case 13: return "Q5_K";
    case 14: return "Q6_K";
    case 15: return "Q8_K";
    case 16: return "IQ2_XXS";
    case 17: return "IQ2_XS";
    case 18: return "IQ3_XXS";
    case 19: return "IQ1_S";
    case 20: return "IQ4_NL";
    case 21: return "IQ3_S";
    case 22: return "IQ2_S";
    case 23: return "IQ4_XS";
    case 24: return "I8";
    case 25: return "I16";
    case 26: return "I32";
    case 27: return "I64";
    case 28: return "F64";
    case 29: return "IQ1_M";
    case 30: return "BF16";
    case 34: return "TQ1_0";
    case 35: return "TQ2_0";
    case 39: return "MXFP4";
    default: return fmt::format("type {}", id);
  }
}

std::optional<DType> DTypeOfGgmlType(uint32_t id) {
  switch (static_cast<GgmlType>(id)) {
    case GgmlType::kF32: return DType::kF32;
    case GgmlType::kF16: return DType::kF16;
    case GgmlType::kBF16: return DType::kBF16;
    case GgmlType::kQ8_0: return DType::kQ8_0;
    case GgmlType::kQ4_0: return DType::kQ4_0;
    case GgmlType::kQ5_0: return DType::kQ5_0;
    case GgmlType::kQ4_K: return DType::kQ4_K;
    case GgmlType::kQ5_K: return DType::kQ5_K;
    case GgmlType::kQ6_K: return DType::kQ6_K;
    default: return std::nullopt;
  }
}

std::optional<GgmlBlockLayout> DequantizableLayout(uint32_t id) {
  const std::optional<DType> dtype = DTypeOfGgmlType(id);
  if (!dtype) return std::nullopt;
  return GgmlBlockLayout{BlockValues(*dtype), BlockBytes(*dtype)};
}

std::string DequantizableTypeNames() { return "F32, F16, BF16, Q8_0, Q4_0, Q5_0, Q4_K, Q5_K, Q6_K"; }

size_t GgmlRowBytes(const GgmlBlockLayout& layout, int64_t n) {
  return static_cast<size_t>(n / layout.block_size) * layout.block_bytes;
}

void DequantizeRow(uint32_t type_id, const void* src, float* dst, int64_t n) {
  const std::optional<DType> dtype = DTypeOfGgmlType(type_id);
  if (!dtype) {
    Fail("cannot dequantize {} (supported: {})", GgmlTypeName(type_id), DequantizableTypeNames());
  }
  Check(n % BlockValues(*dtype) == 0,
        "a {} row of {} values is not a whole number of {}-value blocks", GgmlTypeName(type_id), n,
        BlockValues(*dtype));
  ConvertToF32(src, *dtype, static_cast<size_t>(n), dst);
}

}  // namespace gemmeter
