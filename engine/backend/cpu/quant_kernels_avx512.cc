// Block-format kernels (quant_kernels.h) in AVX-512 intrinsics (x86-64-v4: F, BW, DQ,
// VL): 16 values per vector, and q5_0's fifth bits applied straight from the block's
// 32-bit mask as a mask register. Same layouts (quant_blocks.h) and arithmetic as the
// AVX2 variant (quant_kernels_avx2.cc): "_0" formats multiply the block's codes by x and
// scale the block's sum by d; K-quants decode each value as d sc q - dmin m (one fused
// multiply-add) and multiply it by x.
//
// Compiled with -march=x86-64-v4; everything but the exported table has internal
// linkage (see quant_kernels_portable.cc).
#include <immintrin.h>

#include <cstdint>
#include <cstring>
#include <utility>

#include "engine/backend/cpu/quant_kernels.h"

#ifndef GEMMETER_ISA_TABLE
#error "define GEMMETER_ISA_TABLE (the exported table's name)"
#endif

namespace gemmeter::cpu {
namespace {

using Vec = __m512;
constexpr int kLanes = 16;
inline Vec Zero() { return _mm512_setzero_ps(); }
inline Vec Load(const float* p) { return _mm512_loadu_ps(p); }
inline void Store(float* p, Vec v) { _mm512_storeu_ps(p, v); }
inline Vec Splat(float f) { return _mm512_set1_ps(f); }
inline Vec Mul(Vec a, Vec b) { return _mm512_mul_ps(a, b); }
inline Vec Add(Vec a, Vec b) { return _mm512_add_ps(a, b); }
inline Vec Fma(Vec a, Vec b, Vec c) { return _mm512_fmadd_ps(a, b, c); }

inline float Half(const uint8_t* p) {
  uint16_t h;
  std::memcpy(&h, p, 2);
  return _cvtsh_ss(h);
}

// 16 bytes at p, zero- or sign-extended to 16 int32 lanes.
inline __m512i Bytes16(const uint8_t* p) {
  return _mm512_cvtepu8_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p)));
}
inline __m512i SignedBytes16(const uint8_t* p) {
  return _mm512_cvtepi8_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p)));
}
inline __m512 Float(__m512i v) { return _mm512_cvtepi32_ps(v); }

// Lanes summed in a fixed order (halves, then the AVX2 tree).
inline float Sum(__m512 v) {
  const __m256 s8 = _mm256_add_ps(_mm512_castps512_ps256(v),
                                  _mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(v), 1)));
  const __m128 s4 = _mm_add_ps(_mm256_castps256_ps128(s8), _mm256_extractf128_ps(s8, 1));
  const __m128 s2 = _mm_add_ps(s4, _mm_movehl_ps(s4, s4));
  return _mm_cvtss_f32(_mm_add_ss(s2, _mm_shuffle_ps(s2, s2, 1)));
}

#include "engine/backend/cpu/quant_kernels_x86_bytes.inc"

// ---- "_0" formats: the 32 codes of a block as two vectors of 16 (values 16i .. 16i+15).
constexpr int kCodeVectors = 2;
struct Codes32 {
  float d;
  Vec c[kCodeVectors];
};

inline Codes32 DecodeQ8_0(const uint8_t* b) {
  return {Half(b), {Float(SignedBytes16(b + 2)), Float(SignedBytes16(b + 18))}};
}

// q4_0 and q5_0 unpack their 32 codes as bytes, in 128-bit registers (single-slot
// operations on Zen 4, where 512-bit integer operations take two), then widen them like
// q8_0's: 1.5x faster than unpacking in 32-bit lanes. Low nibbles are values 0..15, high
// nibbles 16..31.
inline Codes32 FromSignedBytes(float d, __m128i low, __m128i high) {
  return {d, {Float(_mm512_cvtepi8_epi32(low)), Float(_mm512_cvtepi8_epi32(high))}};
}

inline Codes32 DecodeQ4_0(const uint8_t* b) {
  const __m128i q = _mm_loadu_si128(reinterpret_cast<const __m128i*>(b + 2));
  const __m128i eight = _mm_set1_epi8(8);
  return FromSignedBytes(Half(b), _mm_sub_epi8(LowNibbles(q), eight),
                         _mm_sub_epi8(HighNibbles(q), eight));
}

// Value j is (nibble | 16 fifth_bit) - 16: the nibble minus 16 where bit j of qh is
// clear, one masked subtraction with the complement of qh as the mask.
inline Codes32 DecodeQ5_0(const uint8_t* b) {
  uint32_t qh;
  std::memcpy(&qh, b + 2, 4);
  const __m128i q = _mm_loadu_si128(reinterpret_cast<const __m128i*>(b + 6));
  const __m128i sixteen = _mm_set1_epi8(16);
  const __m128i low = LowNibbles(q), high = HighNibbles(q);
  return FromSignedBytes(Half(b),
                         _mm_mask_sub_epi8(low, static_cast<__mmask16>(~qh), low, sixteen),
                         _mm_mask_sub_epi8(high, static_cast<__mmask16>(~qh >> 16), high, sixteen));
}

// ---- K-quants: Emit(position, w) receives values [position, position + 16) of the block.
inline void ScaleMin(int j, const uint8_t* s, float* scale, float* min);  // common.inc

template <bool kFifthBit, class Emit>
inline void DecodeQ45K(const uint8_t* b, Emit&& emit) {
  const float d = Half(b), dmin = Half(b + 2);
  const uint8_t* scales = b + 4;
  const uint8_t* qh = b + 16;
  const uint8_t* qs = kFifthBit ? b + 48 : b + 16;
  const __m512i mask = _mm512_set1_epi32(0x0f), one = _mm512_set1_epi32(1);
  for (int c = 0; c < 4; ++c) {
    float sc0, m0, sc1, m1;
    ScaleMin(2 * c, scales, &sc0, &m0);
    ScaleMin(2 * c + 1, scales, &sc1, &m1);
    const __m512 scale0 = _mm512_set1_ps(d * sc0), min0 = _mm512_set1_ps(dmin * m0);
    const __m512 scale1 = _mm512_set1_ps(d * sc1), min1 = _mm512_set1_ps(dmin * m1);
    for (int l = 0; l < 32; l += 16) {
      const __m512i q = Bytes16(qs + 32 * c + l);
      __m512i lo = _mm512_and_si512(q, mask), hi = _mm512_srli_epi32(q, 4);
      if constexpr (kFifthBit) {
        const __m512i h = Bytes16(qh + l);
        lo = _mm512_or_si512(lo, _mm512_slli_epi32(_mm512_and_si512(_mm512_srli_epi32(h, 2 * c), one), 4));
        hi = _mm512_or_si512(hi, _mm512_slli_epi32(_mm512_and_si512(_mm512_srli_epi32(h, 2 * c + 1), one), 4));
      }
      emit(64 * c + l, _mm512_fmsub_ps(Float(lo), scale0, min0));
      emit(64 * c + 32 + l, _mm512_fmsub_ps(Float(hi), scale1, min1));
    }
  }
}

// q6_k: value l + 32 i of a half (l < 32) has sub-block 2 i + l / 16.
template <class Emit>
inline void DecodeQ6K(const uint8_t* b, Emit&& emit) {
  const float d = Half(b + 208);
  const __m512i mask = _mm512_set1_epi32(0x0f), three = _mm512_set1_epi32(3);
  const __m512i thirty_two = _mm512_set1_epi32(32);
  for (int half = 0; half < 2; ++half) {
    const uint8_t* ql = b + 64 * half;
    const uint8_t* qh = b + 128 + 32 * half;
    const auto* sc = reinterpret_cast<const int8_t*>(b + 192 + 8 * half);
    for (int l = 0; l < 32; l += 16) {
      const __m512i a = Bytes16(ql + l), a32 = Bytes16(ql + 32 + l), h = Bytes16(qh + l);
      auto high = [&](int shift) {
        return _mm512_slli_epi32(_mm512_and_si512(_mm512_srli_epi32(h, shift), three), 4);
      };
      const __m512i codes[4] = {_mm512_or_si512(_mm512_and_si512(a, mask), high(0)),
                                _mm512_or_si512(_mm512_and_si512(a32, mask), high(2)),
                                _mm512_or_si512(_mm512_srli_epi32(a, 4), high(4)),
                                _mm512_or_si512(_mm512_srli_epi32(a32, 4), high(6))};
      for (int i = 0; i < 4; ++i) {
        const __m512 scale = _mm512_set1_ps(d * static_cast<float>(sc[2 * i + l / 16]));
        emit(128 * half + 32 * i + l,
             _mm512_mul_ps(scale, Float(_mm512_sub_epi32(codes[i], thirty_two))));
      }
    }
  }
}

// ---- Row groups (row_groups.h): one vector holds the 16 rows.
constexpr int kGroupVectors = 1;
inline void Halves16(const uint8_t* p, Vec* out) {
  out[0] = _mm512_cvtph_ps(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(p)));
}
struct Codes16 {
  Vec v[kGroupVectors];
};
inline Codes16 SignedCodes(ByteVec bytes) { return {{Float(_mm512_cvtepi8_epi32(bytes))}}; }
// Looked up in a 32-entry table (vpermt2ps): no subtraction, no int -> float conversion
// (q5_0's row-group GEMV 7% faster than SignedCodes(code - 16)).
inline Codes16 Q5Codes(ByteVec codes) {
  const __m512 low = _mm512_setr_ps(-16, -15, -14, -13, -12, -11, -10, -9, -8, -7, -6, -5, -4,
                                    -3, -2, -1);
  const __m512 high = _mm512_setr_ps(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
  return {{_mm512_permutex2var_ps(low, _mm512_cvtepu8_epi32(codes), high)}};
}

#include "engine/backend/cpu/quant_kernels_common.inc"

}  // namespace

const BlockKernels* GEMMETER_ISA_TABLE() { return kTable; }

}  // namespace gemmeter::cpu
