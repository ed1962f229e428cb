// Block-format kernels (quant_kernels.h), compiled once per instruction set: meson builds
// this file with -march=x86-64-v4 (AVX-512), -march=x86-64-v3 (AVX2 + FMA + F16C) and
// the baseline, each defining GEMMETER_ISA_TABLE as the name of its exported table.
//
// Everything but that one function has internal linkage, and the file includes no header
// with inline functions it uses, so no AVX-512 code can leak into the portable build
// through a shared inline symbol.
//
// Vectors are GCC vector extensions of 16 lanes (one zmm; two ymm or four xmm on the
// narrower targets). Each format decodes a block into vectors of 16 consecutive values
// (`codes` as float, times a scale, plus an offset), the layouts of quant_blocks.h.
#include <cstdint>
#include <cstring>

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
struct Codes32 {
  float d;
  Floats c0, c1;
};

inline Codes32 DecodeQ8_0(const uint8_t* b) {
  return {Half(b), ToFloats(WidenSigned(b + 2)), ToFloats(WidenSigned(b + 18))};
}

inline Codes32 DecodeQ4_0(const uint8_t* b) {
  const Bytes qs = LoadBytes(b + 2);
  return {Half(b), ToFloats(Widen(qs & 0x0f) - 8), ToFloats(Widen(qs >> 4) - 8)};
}

inline Codes32 DecodeQ5_0(const uint8_t* b) {
  uint32_t qh;
  std::memcpy(&qh, b + 2, 4);
  const Bytes qs = LoadBytes(b + 6);
  const Uints high = Uints{} + qh;
  const Ints bit_lo = (Ints)(((high >> kLane) & 1u) << 4);
  const Ints bit_hi = (Ints)(((high >> (kLane + 16u)) & 1u) << 4);
  return {Half(b), ToFloats((Widen(qs & 0x0f) | bit_lo) - 16),
          ToFloats((Widen(qs >> 4) | bit_hi) - 16)};
}

template <Codes32 (*Decode)(const uint8_t*), size_t kBytes>
float Dot32(const float* x, const uint8_t* row, int64_t k) {
  // Two accumulators (even and odd blocks) halve the chain of dependent adds.
  Floats acc0 = {}, acc1 = {};
  const int64_t blocks = k / 32;
  int64_t b = 0;
  for (; b + 2 <= blocks; b += 2, row += 2 * kBytes, x += 64) {
    const Codes32 p = Decode(row), q = Decode(row + kBytes);
    acc0 += Splat(p.d) * (p.c0 * Load(x) + p.c1 * Load(x + 16));
    acc1 += Splat(q.d) * (q.c0 * Load(x + 32) + q.c1 * Load(x + 48));
  }
  if (b < blocks) {
    const Codes32 p = Decode(row);
    acc0 += Splat(p.d) * (p.c0 * Load(x) + p.c1 * Load(x + 16));
  }
  return Sum(acc0 + acc1);
}

template <Codes32 (*Decode)(const uint8_t*), size_t kBytes>
void Dequantize32(const uint8_t* row, float* out, int64_t k) {
  for (int64_t b = 0; b < k / 32; ++b, row += kBytes, out += 32) {
    const Codes32 p = Decode(row);
    Store(out, Splat(p.d) * p.c0);
    Store(out + 16, Splat(p.d) * p.c1);
  }
}

// ---- the K-quants: 256 values; Emit(v, w) receives values [16 v, 16 v + 16).
inline void ScaleMin(int j, const uint8_t* s, float* scale, float* min) {
  uint8_t sc, m;
  if (j < 4) {
    sc = s[j] & 63;
    m = s[j + 4] & 63;
  } else {
    sc = static_cast<uint8_t>((s[j + 4] & 0x0f) | ((s[j - 4] >> 6) << 4));
    m = static_cast<uint8_t>((s[j + 4] >> 4) | ((s[j] >> 6) << 4));
  }
  *scale = static_cast<float>(sc);
  *min = static_cast<float>(m);
}

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
      emit(4 * c + half, ToFloats(lo) * scale0 + offset0);
      emit(4 * c + 2 + half, ToFloats(hi) * scale1 + offset1);
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
        emit(8 * half + v, Splat(d * static_cast<float>(sc[v])) * ToFloats(codes[i] - 32));
      }
    }
  }
}

template <size_t kBytes, class DecodeFn>
float DotK(const float* x, const uint8_t* row, int64_t k, DecodeFn decode) {
  Floats acc[2] = {};
  for (int64_t b = 0; b < k / 256; ++b, row += kBytes, x += 256) {
    decode(row, [&](int v, Floats w) { acc[v & 1] += w * Load(x + 16 * v); });
  }
  return Sum(acc[0] + acc[1]);
}

template <size_t kBytes, class DecodeFn>
void DequantizeK(const uint8_t* row, float* out, int64_t k, DecodeFn decode) {
  for (int64_t b = 0; b < k / 256; ++b, row += kBytes, out += 256) {
    decode(row, [&](int v, Floats w) { Store(out + 16 * v, w); });
  }
}

struct Q4K {
  template <class Emit>
  void operator()(const uint8_t* b, Emit&& e) const { DecodeQ45K<false>(b, e); }
};
struct Q5K {
  template <class Emit>
  void operator()(const uint8_t* b, Emit&& e) const { DecodeQ45K<true>(b, e); }
};
struct Q6K {
  template <class Emit>
  void operator()(const uint8_t* b, Emit&& e) const { DecodeQ6K(b, e); }
};

template <class Format, size_t kBytes>
float DotKFor(const float* x, const uint8_t* row, int64_t k) {
  return DotK<kBytes>(x, row, k, Format{});
}
template <class Format, size_t kBytes>
void DequantizeKFor(const uint8_t* row, float* out, int64_t k) {
  DequantizeK<kBytes>(row, out, k, Format{});
}

// In kBlockDTypes order: q8_0, q4_0, q5_0, q4_k, q5_k, q6_k.
const BlockKernels kTable[] = {
    {Dot32<DecodeQ8_0, 34>, Dequantize32<DecodeQ8_0, 34>},
    {Dot32<DecodeQ4_0, 18>, Dequantize32<DecodeQ4_0, 18>},
    {Dot32<DecodeQ5_0, 22>, Dequantize32<DecodeQ5_0, 22>},
    {DotKFor<Q4K, 144>, DequantizeKFor<Q4K, 144>},
    {DotKFor<Q5K, 176>, DequantizeKFor<Q5K, 176>},
    {DotKFor<Q6K, 210>, DequantizeKFor<Q6K, 210>},
};

}  // namespace

const BlockKernels* GEMMETER_ISA_TABLE() { return kTable; }

}  // namespace gemmeter::cpu
