// Block-format kernels (quant_kernels.h) in AVX2 + FMA + F16C intrinsics (x86-64-v3),
// the variant for AVX2 machines. GCC's generic vectors lower the int8 -> float
// conversions poorly at this width, so this variant is written out by hand; it follows
// the same layouts (quant_blocks.h) and the same arithmetic as the portable variant:
// "_0" formats multiply the block's codes by x and scale the block's sum by d; K-quants
// decode each value as d sc q - dmin m (one fused multiply-add) and multiply it by x.
//
// Compiled with -march=x86-64-v3; everything but the exported table has internal
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

using Vec = __m256;
constexpr int kLanes = 8;
inline Vec Zero() { return _mm256_setzero_ps(); }
inline Vec Load(const float* p) { return _mm256_loadu_ps(p); }
inline void Store(float* p, Vec v) { _mm256_storeu_ps(p, v); }
inline Vec Splat(float f) { return _mm256_set1_ps(f); }
inline Vec Mul(Vec a, Vec b) { return _mm256_mul_ps(a, b); }
inline Vec Add(Vec a, Vec b) { return _mm256_add_ps(a, b); }
inline Vec Fma(Vec a, Vec b, Vec c) { return _mm256_fmadd_ps(a, b, c); }

inline float Half(const uint8_t* p) {
  uint16_t h;
  std::memcpy(&h, p, 2);
  return _cvtsh_ss(h);
}

// 8 bytes at p, zero- or sign-extended to 8 int32 lanes.
inline __m256i Bytes8(const uint8_t* p) {
  return _mm256_cvtepu8_epi32(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(p)));
}
inline __m256i SignedBytes8(const uint8_t* p) {
  return _mm256_cvtepi8_epi32(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(p)));
}
inline __m256 Float(__m256i v) { return _mm256_cvtepi32_ps(v); }

// Lanes summed in a fixed order.
inline float Sum(__m256 v) {
  const __m128 s4 = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  const __m128 s2 = _mm_add_ps(s4, _mm_movehl_ps(s4, s4));
  return _mm_cvtss_f32(_mm_add_ss(s2, _mm_shuffle_ps(s2, s2, 1)));
}

// ---- "_0" formats: the 32 codes of a block as four vectors of 8 (values 8i .. 8i+7).
constexpr int kCodeVectors = 4;
struct Codes32 {
  float d;
  Vec c[kCodeVectors];
};

inline Codes32 DecodeQ8_0(const uint8_t* b) {
  const uint8_t* q = b + 2;
  return {Half(b),
          {Float(SignedBytes8(q)), Float(SignedBytes8(q + 8)), Float(SignedBytes8(q + 16)),
           Float(SignedBytes8(q + 24))}};
}

// Nibbles of qs[0..15]: values 0..15 are the low nibbles, 16..31 the high ones.
inline void Nibbles(const uint8_t* qs, __m256i out[4]) {
  const __m256i lo = Bytes8(qs), lo8 = Bytes8(qs + 8);
  const __m256i mask = _mm256_set1_epi32(0x0f);
  out[0] = _mm256_and_si256(lo, mask);
  out[1] = _mm256_and_si256(lo8, mask);
  out[2] = _mm256_srli_epi32(lo, 4);
  out[3] = _mm256_srli_epi32(lo8, 4);
}

inline Codes32 DecodeQ4_0(const uint8_t* b) {
  __m256i n[4];
  Nibbles(b + 2, n);
  const __m256i eight = _mm256_set1_epi32(8);
  Codes32 out{Half(b), {}};
  for (int i = 0; i < 4; ++i) out.c[i] = Float(_mm256_sub_epi32(n[i], eight));
  return out;
}

// q5_0 as bytes: 32 codes (nibble | fifth bit << 4) - 16 in one 256-bit register, then
// widened 8 at a time like q8_0's. Byte j's fifth bit is bit j of qh: the byte j / 8 of
// qh, broadcast to byte j (a byte shuffle), tested against 1 << (j % 8). Measured 1.1-1.2x
// faster (q5_0 GEMV, 12 -> 14 GB/s on 2 threads) than shifting qh per 32-bit lane.
inline Codes32 DecodeQ5_0(const uint8_t* b) {
  uint32_t qh;
  std::memcpy(&qh, b + 2, 4);
  const __m128i q = _mm_loadu_si128(reinterpret_cast<const __m128i*>(b + 6));
  const __m256i low4 = _mm256_set1_epi8(0x0f);
  const __m256i nibbles = _mm256_and_si256(
      _mm256_inserti128_si256(_mm256_castsi128_si256(q), _mm_srli_epi16(q, 4), 1), low4);
  const __m256i byte_of_bit = _mm256_setr_epi8(0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1,
                                               2, 2, 2, 2, 2, 2, 2, 2, 3, 3, 3, 3, 3, 3, 3, 3);
  const __m256i bit = _mm256_set1_epi64x(static_cast<int64_t>(0x8040201008040201ull));
  const __m256i spread = _mm256_shuffle_epi8(_mm256_set1_epi32(static_cast<int>(qh)), byte_of_bit);
  const __m256i is_set = _mm256_cmpeq_epi8(_mm256_and_si256(spread, bit), bit);
  // code - 16 = nibble - 16 where the fifth bit is clear, the nibble where it is set
  const __m256i codes = _mm256_sub_epi8(nibbles, _mm256_andnot_si256(is_set, _mm256_set1_epi8(16)));
  const __m128i lo = _mm256_castsi256_si128(codes), hi = _mm256_extracti128_si256(codes, 1);
  auto widen = [](__m128i v) { return _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(v)); };
  return {Half(b), {widen(lo), widen(_mm_srli_si128(lo, 8)), widen(hi), widen(_mm_srli_si128(hi, 8))}};
}

// ---- K-quants: Emit(position, w) receives values [position, position + 8) of the block.
inline void ScaleMin(int j, const uint8_t* s, float* scale, float* min);  // common.inc

template <bool kFifthBit, class Emit>
inline void DecodeQ45K(const uint8_t* b, Emit&& emit) {
  const float d = Half(b), dmin = Half(b + 2);
  const uint8_t* scales = b + 4;
  const uint8_t* qh = b + 16;
  const uint8_t* qs = kFifthBit ? b + 48 : b + 16;
  const __m256i mask = _mm256_set1_epi32(0x0f), one = _mm256_set1_epi32(1);
  for (int c = 0; c < 4; ++c) {
    float sc0, m0, sc1, m1;
    ScaleMin(2 * c, scales, &sc0, &m0);
    ScaleMin(2 * c + 1, scales, &sc1, &m1);
    const __m256 scale0 = _mm256_set1_ps(d * sc0), min0 = _mm256_set1_ps(dmin * m0);
    const __m256 scale1 = _mm256_set1_ps(d * sc1), min1 = _mm256_set1_ps(dmin * m1);
    for (int l = 0; l < 32; l += 8) {
      const __m256i q = Bytes8(qs + 32 * c + l);
      __m256i lo = _mm256_and_si256(q, mask), hi = _mm256_srli_epi32(q, 4);
      if constexpr (kFifthBit) {
        const __m256i h = Bytes8(qh + l);
        lo = _mm256_or_si256(lo, _mm256_slli_epi32(_mm256_and_si256(_mm256_srli_epi32(h, 2 * c), one), 4));
        hi = _mm256_or_si256(hi, _mm256_slli_epi32(_mm256_and_si256(_mm256_srli_epi32(h, 2 * c + 1), one), 4));
      }
      emit(64 * c + l, _mm256_fmsub_ps(Float(lo), scale0, min0));
      emit(64 * c + 32 + l, _mm256_fmsub_ps(Float(hi), scale1, min1));
    }
  }
}

// q6_k: value l + 32 i of a half (l < 32) has sub-block 2 i + l / 16.
template <class Emit>
inline void DecodeQ6K(const uint8_t* b, Emit&& emit) {
  const float d = Half(b + 208);
  const __m256i mask = _mm256_set1_epi32(0x0f), three = _mm256_set1_epi32(3);
  const __m256i thirty_two = _mm256_set1_epi32(32);
  for (int half = 0; half < 2; ++half) {
    const uint8_t* ql = b + 64 * half;
    const uint8_t* qh = b + 128 + 32 * half;
    const auto* sc = reinterpret_cast<const int8_t*>(b + 192 + 8 * half);
    for (int l = 0; l < 32; l += 8) {
      const __m256i a = Bytes8(ql + l), a32 = Bytes8(ql + 32 + l), h = Bytes8(qh + l);
      auto high = [&](int shift) {
        return _mm256_slli_epi32(_mm256_and_si256(_mm256_srli_epi32(h, shift), three), 4);
      };
      const __m256i codes[4] = {_mm256_or_si256(_mm256_and_si256(a, mask), high(0)),
                                _mm256_or_si256(_mm256_and_si256(a32, mask), high(2)),
                                _mm256_or_si256(_mm256_srli_epi32(a, 4), high(4)),
                                _mm256_or_si256(_mm256_srli_epi32(a32, 4), high(6))};
      for (int i = 0; i < 4; ++i) {
        const __m256 scale = _mm256_set1_ps(d * static_cast<float>(sc[2 * i + l / 16]));
        emit(128 * half + 32 * i + l,
             _mm256_mul_ps(scale, Float(_mm256_sub_epi32(codes[i], thirty_two))));
      }
    }
  }
}

// ---- Row groups (row_groups.h): two vectors hold the 16 rows (0..7, 8..15).
constexpr int kGroupVectors = 2;
inline void Halves16(const uint8_t* p, Vec* out) {
  out[0] = _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p)));
  out[1] = _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p + 16)));
}
#include "engine/backend/cpu/quant_kernels_x86_bytes.inc"
struct Codes16 {
  Vec v[kGroupVectors];
};
inline Codes16 SignedCodes(ByteVec bytes) {
  return {{Float(_mm256_cvtepi8_epi32(bytes)),
           Float(_mm256_cvtepi8_epi32(_mm_unpackhi_epi64(bytes, bytes)))}};
}
inline Codes16 Q5Codes(ByteVec codes) { return SignedCodes(SubBytes(codes, 16)); }

#include "engine/backend/cpu/quant_kernels_common.inc"

}  // namespace

const BlockKernels* GEMMETER_ISA_TABLE() { return kTable; }

}  // namespace gemmeter::cpu
