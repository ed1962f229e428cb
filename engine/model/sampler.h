// Choosing the next token from a row of logits: greedy, or sampled with temperature,
// top-k and top-p, reproducibly from a seed.
#pragma once

#include <cstdint>
#include <random>
#include <span>

namespace gemmeter {

struct SamplingOptions {
  float temperature = 0.0f;  // 0: greedy (argmax, lowest id on ties)
  int top_k = 0;             // 0: no limit
  float top_p = 1.0f;        // nucleus: smallest set of tokens whose probability >= top_p
  uint64_t seed = 0;
};

class Sampler {
 public:
  explicit Sampler(const SamplingOptions& options);
  int32_t Next(std::span<const float> logits);

 private:
  SamplingOptions options_;
  std::mt19937_64 rng_;
};

// Index of the largest value; the lowest index among equal maxima.
int32_t Argmax(std::span<const float> values);

}  // namespace gemmeter
