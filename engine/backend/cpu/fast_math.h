// exp and tanh written as plain arithmetic so that `omp simd` loops vectorize them: glibc
// declares its vector math functions only under -ffast-math, which this project does not
// use (it would also license reassociating every sum). The clamps become vector min/max
// only with -fno-trapping-math (set for the engine in engine/meson.build).
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstring>

namespace gemmeter::cpu {

// e^x for x in [-87, 88] (clamped outside; e^-87 ~ 1.6e-38 is below any term that
// matters in a softmax sum or a tanh). Range reduction x = n ln2 + r with |r| <= ln2/2,
// ln2 split in a high part exact in float and a low correction (Cody & Waite 1980);
// e^r by its degree-7 Taylor polynomial (truncation error r^8/8! < 2.2e-9 relative);
// 2^n by building the float's exponent bits. Relative error ~2 float ulps.
inline float FastExp(float x) {
  x = x > -87.0f ? x : -87.0f;
  x = x < 88.0f ? x : 88.0f;
  const float k = x * 1.44269504088896341f;              // x / ln2
  const float n = (k + 12582912.0f) - 12582912.0f;       // round to nearest (1.5 * 2^23 trick)
  const float r = (x - n * 0.693145751953125f) - n * 1.428606765330187e-06f;
  float p = 1.0f / 5040.0f;
  p = p * r + 1.0f / 720.0f;
  p = p * r + 1.0f / 120.0f;
  p = p * r + 1.0f / 24.0f;
  p = p * r + 1.0f / 6.0f;
  p = p * r + 0.5f;
  p = p * r + 1.0f;
  p = p * r + 1.0f;
  const int32_t bits = (static_cast<int32_t>(n) + 127) << 23;
  float scale;
  std::memcpy(&scale, &bits, 4);
  return p * scale;
}

// tanh(z) = 1 - 2 / (e^(2z) + 1): saturates to +-1 correctly at both ends.
inline float FastTanh(float z) { return 1.0f - 2.0f / (FastExp(2.0f * z) + 1.0f); }

// gelu_tanh(g) = 0.5 g (1 + tanh(sqrt(2/pi) (g + 0.044715 g^3))).
inline float FastGeluTanh(float g) {
  return 0.5f * g * (1.0f + FastTanh(0.7978845608028654f * (g + 0.044715f * g * g * g)));
}

}  // namespace gemmeter::cpu
