// Reference rotary position embedding (rotate-half form).
#include <cmath>
#include <vector>

#include "engine/backend/reference/reference_ops.h"
#include "engine/backend/rope_frequencies.h"

namespace gemmeter::ref {

void Rope(float* x, int64_t tokens, int64_t heads, int64_t head_dim, const int32_t* positions,
          float theta, float scaling_factor) {
  const int64_t half = head_dim / 2;
  // Frequencies and angles in float32 as transformers forms them (rope_frequencies.h);
  // cos/sin of each angle in double.
  const std::vector<float> inv_freq = RopeInverseFrequencies(head_dim, theta, scaling_factor);
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
