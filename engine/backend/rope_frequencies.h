// RoPE inverse frequencies, shared by every backend so they all rotate by the same
// angles: inv_freq[i] = 1 / theta^(2i / head_dim) / scaling_factor, formed in float32 as
// transformers' GemmaRotaryEmbedding does (the checkpoints were trained with those
// float32 values; at position ~500 the float32 angle already differs from the exact one
// by ~3e-5 rad). The angle is then float32(position) * inv_freq[i].
#pragma once

#include <cmath>
#include <cstdint>
#include <vector>

namespace gemmeter {

inline std::vector<float> RopeInverseFrequencies(int64_t head_dim, float theta, float scaling_factor) {
  std::vector<float> inv_freq(static_cast<size_t>(head_dim / 2));
  for (int64_t i = 0; i < head_dim / 2; ++i) {
    const float exponent = static_cast<float>(2 * i) / static_cast<float>(head_dim);
    inv_freq[static_cast<size_t>(i)] = 1.0f / std::pow(theta, exponent) / scaling_factor;
  }
  return inv_freq;
}

}  // namespace gemmeter
