#include "engine/model/sampler.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <vector>

#include "engine/core/error.h"

namespace gemmeter {

int32_t Argmax(std::span<const float> values) {
  Check(!values.empty(), "argmax of an empty row");
  size_t best = 0;
  for (size_t i = 1; i < values.size(); ++i)
    if (values[i] > values[best]) best = i;
  return static_cast<int32_t>(best);
}

Sampler::Sampler(const SamplingOptions& options) : options_(options), rng_(options.seed) {
  Check(options.temperature >= 0 && std::isfinite(options.temperature),
        "temperature must be >= 0, got {}", options.temperature);
  Check(options.top_k >= 0, "top-k must be >= 0, got {}", options.top_k);
  Check(options.top_p > 0 && options.top_p <= 1, "top-p must be in (0, 1], got {}", options.top_p);
}

int32_t Sampler::Next(std::span<const float> logits) {
  if (options_.temperature == 0.0f) return Argmax(logits);
  // Candidates by descending logit (ties: lower id first), cut to top-k.
  std::vector<int32_t> order(logits.size());
  std::iota(order.begin(), order.end(), 0);
  const size_t k = options_.top_k > 0 ? std::min<size_t>(options_.top_k, order.size()) : order.size();
  auto by_logit = [&](int32_t a, int32_t b) {
    return logits[a] > logits[b] || (logits[a] == logits[b] && a < b);
  };
  std::partial_sort(order.begin(), order.begin() + static_cast<std::ptrdiff_t>(k), order.end(), by_logit);
  order.resize(k);
  // p_i = exp((l_i - l_max) / T) / Z, in double.
  std::vector<double> p(k);
  double z = 0;
  for (size_t i = 0; i < k; ++i) {
    p[i] = std::exp((static_cast<double>(logits[order[i]]) - logits[order[0]]) / options_.temperature);
    z += p[i];
  }
  size_t keep = k;
  double mass = 0;
  for (size_t i = 0; i < k; ++i) {
    mass += p[i] / z;
    if (mass >= options_.top_p) {
      keep = i + 1;
      break;
    }
  }
  double kept = 0;
  for (size_t i = 0; i < keep; ++i) kept += p[i];
  // A uniform double in [0, 1) from the top 53 bits: the same on every platform, unlike
  // std::uniform_real_distribution.
  const double u = static_cast<double>(rng_() >> 11) * 0x1.0p-53 * kept;
  double acc = 0;
  for (size_t i = 0; i < keep; ++i) {
    acc += p[i];
    if (u < acc) return order[i];
  }
  return order[keep - 1];
}

}  // namespace gemmeter
