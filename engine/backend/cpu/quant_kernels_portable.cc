// Block-format kernels (quant_kernels.h), portable variant: GCC vector extensions of 16
// lanes compiled for the baseline instruction set (four SSE2 registers per vector on
// x86-64), for CPUs without AVX2 and for other architectures. The AVX2 and AVX-512
// variants (quant_kernels_avx2.cc, quant_kernels_avx512.cc) are intrinsics: GCC lowers
// these generic int8 -> float conversions poorly at those widths.
//
// Each variant is its own static library built with its own -march and defines
// GEMMETER_ISA_TABLE as the name of its exported table. Everything else in these files
// has internal linkage, and they include no header whose inline functions they use, so
// no AVX-512 code can leak into a baseline caller through a shared inline symbol.
//
// Each format decodes a block into vectors of 16 consecutive values (`codes` as float,
// times a scale, plus an offset), the layouts of quant_blocks.h.
#include <cstdint>
#include <cstring>
#include <utility>

#include "engine/backend/cpu/quant_kernels.h"

#ifndef GEMMETER_ISA_TABLE
#error "define GEMMETER_ISA_TABLE (the exported table's name)"
#endif

namespace gemmeter::cpu {
namespace {

typedef float Floats __attribute__((vector_size(64)));
typedef int32_t Ints __attribute__((vector_size(64)));
typedef uint32_t Uints __attribute__((vector_size(64)));
typedef uint8_t Bytes __attribute__((vector_size(16)));

constexpr Uints kLane = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15};

inline Floats Load(const float* p) {
  Floats v;
  std::memcpy(&v, p, sizeof v);
  return v;
}
inline void Store(float* p, Floats v) { std::memcpy(p, &v, sizeof v); }
inline Bytes LoadBytes(const uint8_t* p) {
  Bytes v;
  std::memcpy(&v, p, sizeof v);
  return v;
}
inline Floats Splat(float f) { return Floats{} + f; }

using Vec = Floats;
constexpr int kLanes = 16;
inline Vec Zero() { return Vec{}; }
inline Vec Mul(Vec a, Vec b) { return a * b; }
inline Vec Add(Vec a, Vec b) { return a + b; }
inline Vec Fma(Vec a, Vec b, Vec c) { return a * b + c; }
inline Floats ToFloats(Ints v) { return __builtin_convertvector(v, Floats); }
inline Ints Widen(Bytes v) { return __builtin_convertvector(v, Ints); }  // zero-extends
// int8 -> int32 as (byte ^ 0x80) - 128: GCC vectorizes the zero-extension well but
// lowers a signed convertvector to scalar code.
inline Ints WidenSigned(const uint8_t* p) { return Widen(LoadBytes(p) ^ 0x80) - 128; }

// IEEE binary16 -> float32: shifting the 15 magnitude bits into float position gives the
// value times 2^-112 (exponent bias 127 vs 15), exact for subnormal halves too, so one
// multiply by 2^112 rescales it; infinities and NaN keep an all-ones exponent.
inline float Half(const uint8_t* p) {
  uint16_t h;
  std::memcpy(&h, p, 2);
  const uint32_t sign = static_cast<uint32_t>(h & 0x8000u) << 16;
  const uint32_t magnitude = h & 0x7fffu;
  uint32_t bits;
  if (magnitude >= 0x7c00u) {
    bits = sign | 0x7f800000u | ((magnitude & 0x3ffu) << 13);
  } else {
    const uint32_t shifted = magnitude << 13;
    float f;
    std::memcpy(&f, &shifted, 4);
    f *= 0x1p112f;
    std::memcpy(&bits, &f, 4);
    bits |= sign;
  }
  float out;
  std::memcpy(&out, &bits, 4);
  return out;
}

// Lanes summed in a fixed tree, so results do not depend on anything but the inputs.
inline float Sum(Floats v) {
  float s8[8], s4[4];
  for (int i = 0; i < 8; ++i) s8[i] = v[i] + v[i + 8];
  for (int i = 0; i < 4; ++i) s4[i] = s8[i] + s8[i + 4];
  return (s4[0] + s4[2]) + (s4[1] + s4[3]);
}

// ---- the "_0" formats: 32 values, one scale d; codes c0 (values 0..15), c1 (16..31).
constexpr int kCodeVectors = 2;
struct Codes32 {
  float d;
  Vec c[kCodeVectors];
};

inline Codes32 DecodeQ8_0(const uint8_t* b) {
  return {Half(b), {ToFloats(WidenSigned(b + 2)), ToFloats(WidenSigned(b + 18))}};
}

inline Codes32 DecodeQ4_0(const uint8_t* b) {
  const Bytes qs = LoadBytes(b + 2);
  return {Half(b), {ToFloats(Widen(qs & 0x0f) - 8), ToFloats(Widen(qs >> 4) - 8)}};
}

inline Codes32 DecodeQ5_0(const uint8_t* b) {
  uint32_t qh;
  std::memcpy(&qh, b + 2, 4);
  const Bytes qs = LoadBytes(b + 6);
  const Uints high = Uints{} + qh;
  const Ints bit_lo = (Ints)(((high >> kLane) & 1u) << 4);
  const Ints bit_hi = (Ints)(((high >> (kLane + 16u)) & 1u) << 4);
  return {Half(b), {ToFloats((Widen(qs & 0x0f) | bit_lo) - 16),
                    ToFloats((Widen(qs >> 4) | bit_hi) - 16)}};
}

// ---- the K-quants: Emit(position, w) receives values [position, position + 16).
inline void ScaleMin(int j, const uint8_t* s, float* scale, float* min);  // common.inc

// q4_k and q5_k (kFifthBit): chunk c holds sub-blocks 2c (low nibbles) and 2c + 1 (high).
template <bool kFifthBit, class Emit>
inline void DecodeQ45K(const uint8_t* b, Emit&& emit) {
  const float d = Half(b), dmin = Half(b + 2);
  const uint8_t* scales = b + 4;
  const uint8_t* qh = b + 16;
  const uint8_t* qs = kFifthBit ? b + 48 : b + 16;
  for (int c = 0; c < 4; ++c) {
    float sc0, m0, sc1, m1;
    ScaleMin(2 * c, scales, &sc0, &m0);
    ScaleMin(2 * c + 1, scales, &sc1, &m1);
    const Floats scale0 = Splat(d * sc0), offset0 = Splat(-(dmin * m0));
    const Floats scale1 = Splat(d * sc1), offset1 = Splat(-(dmin * m1));
    for (int half = 0; half < 2; ++half) {  // bytes l in [16 half, 16 half + 16)
      const Bytes q = LoadBytes(qs + 32 * c + 16 * half);
      Ints lo = Widen(q & 0x0f), hi = Widen(q >> 4);
      if constexpr (kFifthBit) {
        const Ints h = Widen(LoadBytes(qh + 16 * half));
        lo |= ((h >> (2 * c)) & 1) << 4;
        hi |= ((h >> (2 * c + 1)) & 1) << 4;
      }
      emit(64 * c + 16 * half, ToFloats(lo) * scale0 + offset0);
      emit(64 * c + 32 + 16 * half, ToFloats(hi) * scale1 + offset1);
    }
  }
}

// q6_k: in each half of 128 values, vector v (0..7) of the half holds values
// [16 v, 16 v + 16) and is exactly sub-block v, scale sc[v].
template <class Emit>
inline void DecodeQ6K(const uint8_t* b, Emit&& emit) {
  const float d = Half(b + 208);
  for (int half = 0; half < 2; ++half) {
    const uint8_t* ql = b + 64 * half;
    const uint8_t* qh = b + 128 + 32 * half;
    const auto* sc = reinterpret_cast<const int8_t*>(b + 192 + 8 * half);
    for (int j = 0; j < 2; ++j) {  // l in [16 j, 16 j + 16)
      const Bytes lo = LoadBytes(ql + 16 * j), lo32 = LoadBytes(ql + 32 + 16 * j);
      const Ints h = Widen(LoadBytes(qh + 16 * j));
      const Ints codes[4] = {
          Widen(lo & 0x0f) | ((h & 3) << 4), Widen(lo32 & 0x0f) | (((h >> 2) & 3) << 4),
          Widen(lo >> 4) | (((h >> 4) & 3) << 4), Widen(lo32 >> 4) | (((h >> 6) & 3) << 4)};
      for (int i = 0; i < 4; ++i) {
        const int v = 2 * i + j;
        emit(128 * half + 16 * v, Splat(d * static_cast<float>(sc[v])) * ToFloats(codes[i] - 32));
      }
    }
  }
}

// ---- Row groups (row_groups.h): one vector of 16 lanes holds the 16 rows.
constexpr int kGroupVectors = 1;
inline void Halves16(const uint8_t* p, Vec* out) {
  for (int r = 0; r < 16; ++r) out[0][r] = Half(p + 2 * r);
}
using ByteVec = Bytes;
inline ByteVec Load16(const uint8_t* p) { return LoadBytes(p); }
inline ByteVec AndBytes(ByteVec v, uint8_t mask) { return v & mask; }
inline ByteVec OrBytes(ByteVec a, ByteVec b) { return a | b; }
inline ByteVec SubBytes(ByteVec v, uint8_t c) { return v - c; }
// Each byte shifted left by kBits (right for negative kBits).
template <int kBits>
inline ByteVec Shift(ByteVec v) {
  if constexpr (kBits > 0) return v << kBits;
  if constexpr (kBits < 0) return v >> -kBits;
  return v;
}
inline ByteVec LowNibbles(ByteVec q) { return q & 0x0f; }
inline ByteVec HighNibbles(ByteVec q) { return q >> 4; }
struct Codes16 {
  Vec v[kGroupVectors];
};
inline Codes16 SignedCodes(ByteVec bytes) { return {{ToFloats(Widen(bytes ^ 0x80) - 128)}}; }
inline Codes16 Q5Codes(ByteVec codes) { return SignedCodes(SubBytes(codes, 16)); }

#include "engine/backend/cpu/quant_kernels_common.inc"

}  // namespace

const BlockKernels* GEMMETER_ISA_TABLE() { return kTable; }

}  // namespace gemmeter::cpu
