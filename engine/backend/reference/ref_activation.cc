// Reference element-wise ops: tanh-GELU (GeGLU), soft-capping, log-softmax.
#include <cmath>
#include <numbers>

#include "engine/backend/reference/reference_ops.h"

namespace gemmeter::ref {

double GeluTanh(double x) {
  // Hendrycks & Gimpel (2016), eq. for the tanh approximation; transformers
  // "gelu_pytorch_tanh", which Gemma was trained with.
  const double sqrt_2_over_pi = std::sqrt(2.0 / std::numbers::pi);
  return 0.5 * x * (1.0 + std::tanh(sqrt_2_over_pi * (x + 0.044715 * x * x * x)));
}

void GeGlu(const float* gate, const float* up, float* y, int64_t n) {
  for (int64_t i = 0; i < n; ++i) {
    y[i] = static_cast<float>(GeluTanh(gate[i]) * static_cast<double>(up[i]));
  }
}

void Softcap(float* x, int64_t n, float cap) {
  for (int64_t i = 0; i < n; ++i) {
    x[i] = static_cast<float>(cap * std::tanh(static_cast<double>(x[i]) / cap));
  }
}

void LogSoftmaxGather(const float* row, int64_t n, const int32_t* targets, int64_t count,
                      float* log_probs, int32_t* argmax) {
  int64_t best = 0;
  for (int64_t j = 1; j < n; ++j)
    if (row[j] > row[best]) best = j;
  double sum = 0.0;
  for (int64_t j = 0; j < n; ++j) sum += std::exp(static_cast<double>(row[j]) - row[best]);
  // (l_t - max) - log(sum): the difference first, which is exact. max + log(sum) would
  // round at the logits' magnitude (log p of a row of -1e30s came out 0, not -log V).
  const double log_sum = std::log(sum);
  for (int64_t i = 0; i < count; ++i) {
    log_probs[i] = static_cast<float>(
        (static_cast<double>(row[targets[i]]) - static_cast<double>(row[best])) - log_sum);
  }
  *argmax = static_cast<int32_t>(best);
}

}  // namespace gemmeter::ref
