// Reference RMSNorm.
#include <cmath>

#include "engine/backend/reference/reference_ops.h"

namespace gemmeter::ref {

void RmsNorm(const float* x, const float* gain, float* y, int64_t rows, int64_t cols, float eps) {
  for (int64_t r = 0; r < rows; ++r) {
    const float* xr = x + r * cols;
    float* yr = y + r * cols;
    double sum_squares = 0.0;
    for (int64_t c = 0; c < cols; ++c) sum_squares += static_cast<double>(xr[c]) * xr[c];
    const double inv_rms = 1.0 / std::sqrt(sum_squares / static_cast<double>(cols) + eps);
    for (int64_t c = 0; c < cols; ++c) {
      yr[c] = static_cast<float>(static_cast<double>(xr[c]) * inv_rms * gain[c]);
    }
  }
}

}  // namespace gemmeter::ref
