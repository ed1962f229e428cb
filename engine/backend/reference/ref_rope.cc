// Reference rotary position embedding (rotate-half form).
#include <cmath>
#include <vector>

#include "engine/backend/reference/reference_ops.h"

namespace gemmeter::ref {

void Rope(float* x, int64_t tokens, int64_t heads, int64_t head_dim, const int32_t* positions,
          float theta, float scaling_factor) {
  const int64_t half = head_dim / 2;
  // The frequencies and the angle are formed in float32 exactly as transformers'
  // GemmaRotaryEmbedding does (inv_freq = 1 / theta^(arange(0, d, 2) / d) in float32,
  // angle = float32(position) * inv_freq): at position ~500 a float32 angle already
  // differs from the exact one by ~3e-5 rad, and the checkpoints were trained with the
  // float32 angles. cos/sin of that angle are then evaluated in double.
  std::vector<float> inv_freq(static_cast<size_t>(half));
  for (int64_t i = 0; i < half; ++i) {
    const float exponent = static_cast<float>(2 * i) / static_cast<float>(head_dim);
    inv_freq[i] = 1.0f / std::pow(theta, exponent) / scaling_factor;
  }
  for (int64_t t = 0; t < tokens; ++t) {
    const float position = static_cast<float>(positions[t]);
    for (int64_t i = 0; i < half; ++i) {
      const double angle = static_cast<double>(position * inv_freq[i]);
      const double c = std::cos(angle);
      const double s = std::sin(angle);
      for (int64_t h = 0; h < heads; ++h) {
        float* v = x + (t * heads + h) * head_dim;
        const double a = v[i];
        const double b = v[i + half];
        v[i] = static_cast<float>(a * c - b * s);
        v[i + half] = static_cast<float>(b * c + a * s);
      }
    }
  }
}

}  // namespace gemmeter::ref
