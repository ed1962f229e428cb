#include "engine/core/quant_blocks.h"

#include <cstring>

#include "engine/core/error.h"

namespace gemmeter {
namespace {

float Half(const uint8_t* p) {
  uint16_t bits;
  std::memcpy(&bits, p, 2);
  return F16ToFloat(bits);
}

// Q8_0: half d; int8 q[32]; y = d * q.
void DequantQ8_0(const uint8_t* b, float* y) {
  const float d = Half(b);
  const auto* q = reinterpret_cast<const int8_t*>(b + 2);
  for (int j = 0; j < kBlockQ; ++j) y[j] = d * static_cast<float>(q[j]);
}

// Q4_0: half d; u8 qs[16]; low nibbles are values 0..15, high nibbles 16..31;
// y = d * (nibble - 8).
void DequantQ4_0(const uint8_t* b, float* y) {
  const float d = Half(b);
  const uint8_t* qs = b + 2;
  for (int j = 0; j < kBlockQ / 2; ++j) {
    y[j] = d * static_cast<float>((qs[j] & 0x0f) - 8);
    y[j + kBlockQ / 2] = d * static_cast<float>((qs[j] >> 4) - 8);
  }
}

// Q5_0: half d; u8 qh[4] (32 high bits, little-endian); u8 qs[16];
// value j's 5-bit code = nibble | (bit j of qh) << 4; y = d * (code - 16).
void DequantQ5_0(const uint8_t* b, float* y) {
  const float d = Half(b);
  uint32_t qh;
  std::memcpy(&qh, b + 2, 4);
  const uint8_t* qs = b + 6;
  for (int j = 0; j < kBlockQ / 2; ++j) {
    const int lo = (qs[j] & 0x0f) | static_cast<int>(((qh >> j) & 1u) << 4);
    const int hi = (qs[j] >> 4) | static_cast<int>(((qh >> (j + 16)) & 1u) << 4);
    y[j] = d * static_cast<float>(lo - 16);
    y[j + kBlockQ / 2] = d * static_cast<float>(hi - 16);
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

std::vector<size_t> HalfScaleOffsets(DType dtype) {
  switch (dtype) {
    case DType::kQ8_0:
    case DType::kQ4_0:
    case DType::kQ5_0: return {0};
    case DType::kQ4_K:
    case DType::kQ5_K: return {0, 2};
    case DType::kQ6_K: return {208};  // after ql, qh and the int8 scales
    default: Fail("{} is not a block format", DTypeName(dtype));
  }
}

void DequantizeBlocks(DType dtype, const void* src, float* dst, int64_t count) {
  using Block = void (*)(const uint8_t*, float*);
  Block block = nullptr;
  switch (dtype) {
    case DType::kQ8_0: block = DequantQ8_0; break;
    case DType::kQ4_0: block = DequantQ4_0; break;
    case DType::kQ5_0: block = DequantQ5_0; break;
    case DType::kQ4_K: block = DequantQ4_K; break;
    case DType::kQ5_K: block = DequantQ5_K; break;
    case DType::kQ6_K: block = DequantQ6_K; break;
    default: Fail("{} is not a block format", DTypeName(dtype));
  }
  const int64_t values = BlockValues(dtype);
  const size_t bytes = BlockBytes(dtype);
  Check(count % values == 0, "{} values of {} are not a whole number of {}-value blocks", count,
        DTypeName(dtype), values);
  const auto* p = static_cast<const uint8_t*>(src);
  for (int64_t i = 0; i < count / values; ++i) {
    block(p + static_cast<size_t>(i) * bytes, dst + i * values);
  }
}

}  // namespace gemmeter
