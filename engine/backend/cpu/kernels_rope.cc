// Rotary position embedding (rotate-half form), as reference_ops.h states it.
#include <cmath>
#include <vector>

#include "engine/backend/cpu/cpu_kernels.h"
#include "engine/backend/cpu/isa_dispatch.h"
#include "engine/backend/rope_frequencies.h"

namespace gemmeter::cpu {
namespace {

GEMMETER_KERNEL_BODY void RotateHeadImpl(float* v, const float* cos_t, const float* sin_t, int64_t half) {
#pragma omp simd
  for (int64_t i = 0; i < half; ++i) {
    const float a = v[i];
    const float b = v[i + half];
    v[i] = a * cos_t[i] - b * sin_t[i];
    v[i + half] = b * cos_t[i] + a * sin_t[i];
  }
}
GEMMETER_DISPATCH(void, RotateHead, RotateHeadImpl,
                  (float* v, const float* cos_t, const float* sin_t, int64_t half),
                  (v, cos_t, sin_t, half))

}  // namespace

void Rope(float* x, int64_t tokens, int64_t heads, int64_t head_dim, const int32_t* positions,
          float theta, float scaling_factor) {
  const int64_t half = head_dim / 2;
  const std::vector<float> inv_freq = RopeInverseFrequencies(head_dim, theta, scaling_factor);
  ParallelChunks(tokens, 1, [&](int64_t t_begin, int64_t t_end) {
    for (int64_t t = t_begin; t < t_end; ++t) {
      std::vector<float> cos_t(static_cast<size_t>(half)), sin_t(static_cast<size_t>(half));
      const float position = static_cast<float>(positions[t]);
      for (int64_t i = 0; i < half; ++i) {
        const double angle = static_cast<double>(position * inv_freq[i]);
        cos_t[i] = static_cast<float>(std::cos(angle));
        sin_t[i] = static_cast<float>(std::sin(angle));
      }
      for (int64_t h = 0; h < heads; ++h) {
        RotateHead(x + (t * heads + h) * head_dim, cos_t.data(), sin_t.data(), half);
      }
    }
  }, tokens * heads * head_dim > 32768 ? 0 : 1);
}

}  // namespace gemmeter::cpu
