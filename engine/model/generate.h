// Text generation and continuation scoring on top of Model::Forward.
#pragma once

#include <cstdint>
#include <functional>
#include <span>
#include <vector>

#include "engine/model/model.h"
#include "engine/model/sampler.h"

namespace gemmeter {

struct GenerateOptions {
  int max_new_tokens = 64;
  SamplingOptions sampling;
  std::vector<int32_t> stop_tokens;  // generation ends after emitting one of these
};

struct GenerationResult {
  std::vector<int32_t> tokens;  // generated ids (the stop token included, if reached)
  int64_t prompt_tokens = 0;
  double prefill_seconds = 0;  // the prompt's forward pass, to the first token's logits
  double decode_seconds = 0;   // every later one-token step
};

// Prefills `prompt` and decodes up to max_new_tokens, calling on_token after each.
GenerationResult Generate(Model& model, std::span<const int32_t> prompt,
                          const GenerateOptions& options,
                          const std::function<void(int32_t)>& on_token = {});

struct ContinuationScore {
  double log_likelihood = 0;            // sum of log p(token | preceding tokens)
  std::vector<double> token_log_probs;  // one per continuation token
  bool is_greedy = true;                // every continuation token was the argmax
  int64_t context_tokens = 0;
};

// log p(continuation | context) for token ids: the context is prefilled once (its last
// logits predict the first continuation token) and only the continuation's rows of
// logits are computed.
ContinuationScore ScoreContinuation(Model& model, std::span<const int32_t> context,
                                    std::span<const int32_t> continuation);

// log(sum_j exp(l_j)), computed in double with the maximum subtracted first.
double LogSumExp(std::span<const float> logits);
// log-softmax of `logits` at `id`: l_id - LogSumExp(logits).
double LogSoftmaxAt(std::span<const float> logits, int32_t id);

}  // namespace gemmeter
