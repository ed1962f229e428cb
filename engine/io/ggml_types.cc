#include "engine/io/ggml_types.h"

#include <cstring>
#include <fmt/format.h>

#include "engine/core/dtype.h"
#include "engine/core/error.h"

namespace gemmeter {
namespace {

constexpr int64_t kQK = 32;    // values per block of the "_0" formats
constexpr int64_t kQK_K = 256; // values per super-block of the K-quants

float Half(const uint8_t* p) {
  uint16_t bits;
  std::memcpy(&bits, p, 2);
  return F16ToFloat(bits);
}

// Q8_0: half d; int8 q[32]; y = d * q.
void DequantQ8_0(const uint8_t* b, float* y) {
  const float d = Half(b);
  const auto* q = reinterpret_cast<const int8_t*>(b + 2);
  for (int j = 0; j < kQK; ++j) y[j] = d * static_cast<float>(q[j]);
}

// Q4_0: half d; u8 qs[16]; low nibbles are values 0..15, high nibbles 16..31;
// y = d * (nibble - 8).
void DequantQ4_0(const uint8_t* b, float* y) {
  const float d = Half(b);
  const uint8_t* qs = b + 2;
  for (int j = 0; j < kQK / 2; ++j) {
    y[j] = d * static_cast<float>((qs[j] & 0x0f) - 8);
    y[j + kQK / 2] = d * static_cast<float>((qs[j] >> 4) - 8);
  }
}

// Q5_0: half d; u8 qh[4] (32 high bits, little-endian); u8 qs[16];
// value j's 5-bit code = nibble | (bit j of qh) << 4; y = d * (code - 16).
void DequantQ5_0(const uint8_t* b, float* y) {
  const float d = Half(b);
  uint32_t qh;
  std::memcpy(&qh, b + 2, 4);
  const uint8_t* qs = b + 6;
  for (int j = 0; j < kQK / 2; ++j) {
    const int lo = (qs[j] & 0x0f) | static_cast<int>(((qh >> j) & 1u) << 4);
    const int hi = (qs[j] >> 4) | static_cast<int>(((qh >> (j + 16)) & 1u) << 4);
    y[j] = d * static_cast<float>(lo - 16);
    y[j + kQK / 2] = d * static_cast<float>(hi - 16);
  }
}

// The 6-bit scale and min of sub-block j (0..7) of a Q4_K/Q5_K super-block, packed in
// 12 bytes: j < 4 in the low 6 bits of bytes j and j+4; j >= 4 split between the low
// or high nibble of byte j+4 and the top 2 bits of bytes j-4 and j.
void ScaleMinK4(int j, const uint8_t* s, uint8_t* scale, uint8_t* min) {
  if (j < 4) {
    *scale = s[j] & 63;
    *min = s[j + 4] & 63;
  } else {
    *scale = static_cast<uint8_t>((s[j + 4] & 0x0f) | ((s[j - 4] >> 6) << 4));
    *min = static_cast<uint8_t>((s[j + 4] >> 4) | ((s[j] >> 6) << 4));
  }
}

// Q4_K: half d; half dmin; u8 scales[12]; u8 qs[128]. Four chunks of 64 values; chunk c
// reads qs[32c .. 32c+31]: its first 32 values are the low nibbles (sub-block 2c), the
// next 32 the high nibbles (sub-block 2c+1); y = d * scale * q - dmin * min.
void DequantQ4_K(const uint8_t* b, float* y) {
  const float d = Half(b);
  const float dmin = Half(b + 2);
  const uint8_t* scales = b + 4;
  const uint8_t* qs = b + 16;
  for (int c = 0; c < 4; ++c) {
    uint8_t sc0, m0, sc1, m1;
    ScaleMinK4(2 * c, scales, &sc0, &m0);
    ScaleMinK4(2 * c + 1, scales, &sc1, &m1);
    for (int l = 0; l < 32; ++l) {
      y[64 * c + l] = d * sc0 * static_cast<float>(qs[32 * c + l] & 0x0f) - dmin * m0;
      y[64 * c + 32 + l] = d * sc1 * static_cast<float>(qs[32 * c + l] >> 4) - dmin * m1;
    }
  }
}

// Q5_K: half d; half dmin; u8 scales[12]; u8 qh[32]; u8 qs[128]. As Q4_K, with a fifth
// bit per value: for chunk c, bit 2c of qh[l] (low nibbles) and bit 2c+1 (high nibbles).
void DequantQ5_K(const uint8_t* b, float* y) {
  const float d = Half(b);
  const float dmin = Half(b + 2);
  const uint8_t* scales = b + 4;
  const uint8_t* qh = b + 16;
  const uint8_t* qs = b + 48;
  for (int c = 0; c < 4; ++c) {
    uint8_t sc0, m0, sc1, m1;
    ScaleMinK4(2 * c, scales, &sc0, &m0);
    ScaleMinK4(2 * c + 1, scales, &sc1, &m1);
    for (int l = 0; l < 32; ++l) {
      const int lo = (qs[32 * c + l] & 0x0f) + (((qh[l] >> (2 * c)) & 1) << 4);
      const int hi = (qs[32 * c + l] >> 4) + (((qh[l] >> (2 * c + 1)) & 1) << 4);
      y[64 * c + l] = d * sc0 * static_cast<float>(lo) - dmin * m0;
      y[64 * c + 32 + l] = d * sc1 * static_cast<float>(hi) - dmin * m1;
    }
  }
}

// Q6_K: u8 ql[128]; u8 qh[64]; int8 scales[16]; half d. Two halves of 128 values; in
// each, value l (< 32) of the four 32-value groups takes its low 4 bits from ql and its
// high 2 bits from qh[l]: y = d * scale * (code - 32).
void DequantQ6_K(const uint8_t* b, float* y) {
  const uint8_t* ql = b;
  const uint8_t* qh = b + 128;
  const auto* sc = reinterpret_cast<const int8_t*>(b + 192);
  const float d = Half(b + 208);
  for (int half = 0; half < 2; ++half) {
    for (int l = 0; l < 32; ++l) {
      const int is = l / 16;
      const int q1 = ((ql[l] & 0x0f) | ((qh[l] >> 0) & 3) << 4) - 32;
      const int q2 = ((ql[l + 32] & 0x0f) | ((qh[l] >> 2) & 3) << 4) - 32;
      const int q3 = ((ql[l] >> 4) | ((qh[l] >> 4) & 3) << 4) - 32;
      const int q4 = ((ql[l + 32] >> 4) | ((qh[l] >> 6) & 3) << 4) - 32;
      y[l] = d * sc[is + 0] * static_cast<float>(q1);
      y[l + 32] = d * sc[is + 2] * static_cast<float>(q2);
      y[l + 64] = d * sc[is + 4] * static_cast<float>(q3);
      y[l + 96] = d * sc[is + 6] * static_cast<float>(q4);
    }
    ql += 64;
    qh += 32;
    sc += 8;
    y += 128;
  }
}

}  // namespace

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

std::optional<GgmlBlockLayout> DequantizableLayout(uint32_t id) {
  switch (static_cast<GgmlType>(id)) {
    case GgmlType::kF32: return GgmlBlockLayout{1, 4};
    case GgmlType::kF16: return GgmlBlockLayout{1, 2};
    case GgmlType::kBF16: return GgmlBlockLayout{1, 2};
    case GgmlType::kQ8_0: return GgmlBlockLayout{kQK, 34};
    case GgmlType::kQ4_0: return GgmlBlockLayout{kQK, 18};
    case GgmlType::kQ5_0: return GgmlBlockLayout{kQK, 22};
    case GgmlType::kQ4_K: return GgmlBlockLayout{kQK_K, 144};
    case GgmlType::kQ5_K: return GgmlBlockLayout{kQK_K, 176};
    case GgmlType::kQ6_K: return GgmlBlockLayout{kQK_K, 210};
    default: return std::nullopt;
  }
}

std::string DequantizableTypeNames() { return "F32, F16, BF16, Q8_0, Q4_0, Q5_0, Q4_K, Q5_K, Q6_K"; }

size_t GgmlRowBytes(const GgmlBlockLayout& layout, int64_t n) {
  return static_cast<size_t>(n / layout.block_size) * layout.block_bytes;
}

void DequantizeRow(uint32_t type_id, const void* src, float* dst, int64_t n) {
  const auto layout = DequantizableLayout(type_id);
  if (!layout) {
    Fail("cannot dequantize {} (supported: {})", GgmlTypeName(type_id), DequantizableTypeNames());
  }
  Check(n % layout->block_size == 0, "a {} row of {} values is not a whole number of {}-value blocks",
        GgmlTypeName(type_id), n, layout->block_size);
  const auto* p = static_cast<const uint8_t*>(src);
  const int64_t blocks = n / layout->block_size;
  using Block = void (*)(const uint8_t*, float*);
  Block block = nullptr;
  switch (static_cast<GgmlType>(type_id)) {
    case GgmlType::kF32: std::memcpy(dst, src, static_cast<size_t>(n) * 4); return;
    case GgmlType::kF16: ConvertToF32(src, DType::kF16, static_cast<size_t>(n), dst); return;
    case GgmlType::kBF16: ConvertToF32(src, DType::kBF16, static_cast<size_t>(n), dst); return;
    case GgmlType::kQ8_0: block = DequantQ8_0; break;
    case GgmlType::kQ4_0: block = DequantQ4_0; break;
    case GgmlType::kQ5_0: block = DequantQ5_0; break;
    case GgmlType::kQ4_K: block = DequantQ4_K; break;
    case GgmlType::kQ5_K: block = DequantQ5_K; break;
    case GgmlType::kQ6_K: block = DequantQ6_K; break;
    default: Fail("cannot dequantize {}", GgmlTypeName(type_id));
  }
  for (int64_t i = 0; i < blocks; ++i) {
    block(p + static_cast<size_t>(i) * layout->block_bytes, dst + i * layout->block_size);
  }
}

}  // namespace gemmeter
