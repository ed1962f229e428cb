// The GGUF block formats: how their bytes decode to float32 values.
//
// Layouts (ggml src/ggml-common.h; summarized in engine-facts.md section 2.5). A block
// covers kBlockQ = 32 values (the "_0" formats) or kBlockK = 256 (the K-quants); "half"
// is an IEEE binary16 scale.
//   q8_0  34 B: half d; int8 q[32];                          y = d q
//   q4_0  18 B: half d; u8 qs[16] (low nibbles: values 0..15, high: 16..31);
//                                                            y = d (nibble - 8)
//   q5_0  22 B: half d; u8 qh[4] (bit j: fifth bit of value j); u8 qs[16] as q4_0;
//                                                            y = d (code - 16)
//   q4_k 144 B: half d; half dmin; u8 scales[12] (6-bit scale and min of 8 sub-blocks
//               of 32); u8 qs[128]: chunk c (64 values) = low nibbles of qs[32c..32c+31]
//               (sub-block 2c), then their high nibbles (2c+1);  y = d sc q - dmin m
//   q5_k 176 B: as q4_k with u8 qh[32] before qs: bit 2c of qh[l] is the fifth bit of
//               value l of chunk c's low half, bit 2c+1 of its high half
//   q6_k 210 B: u8 ql[128]; u8 qh[64]; int8 scales[16]; half d. Two halves of 128
//               values: value l + 32 i (l < 32, i < 4) takes 4 bits from ql and 2 from
//               qh[l]; 16 sub-blocks of 16 with one scale each;  y = d sc (code - 32)
//
// These are the plain (scalar) decoders: the reference backend's, and the oracle the
// vectorized kernels (engine/backend/cpu/quant_kernels.h) are tested against.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "engine/core/dtype.h"

namespace gemmeter {

inline constexpr int64_t kBlockQ = 32;   // values per block of q8_0, q4_0, q5_0
inline constexpr int64_t kBlockK = 256;  // values per super-block of the K-quants

// Byte offsets of the binary16 scales in one block of `dtype` (d, and dmin for q4_k and
// q5_k): what makes random bytes a well-scaled block (tests, benchmarks).
std::vector<size_t> HalfScaleOffsets(DType dtype);

// Decodes `count` values (a whole number of blocks) of block format `dtype` at `src`.
void DequantizeBlocks(DType dtype, const void* src, float* dst, int64_t count);

// The 6-bit scale and min of sub-block j (0..7) of a q4_k/q5_k super-block, packed in
// 12 bytes: j < 4 in the low 6 bits of bytes j and j+4; j >= 4 split between the low
// or high nibble of byte j+4 and the top 2 bits of bytes j-4 and j.
inline void ScaleMinK4(int j, const uint8_t* s, uint8_t* scale, uint8_t* min) {
  if (j < 4) {
    *scale = s[j] & 63;
    *min = s[j + 4] & 63;
  } else {
    *scale = static_cast<uint8_t>((s[j + 4] & 0x0f) | ((s[j - 4] >> 6) << 4));
    *min = static_cast<uint8_t>((s[j + 4] >> 4) | ((s[j] >> 6) << 4));
  }
}

}  // namespace gemmeter
