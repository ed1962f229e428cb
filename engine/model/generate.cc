#include "engine/model/generate.h"

#include <algorithm>
#include <chrono>
#include <cmath>

#include "engine/core/error.h"

namespace gemmeter {
namespace {

double Seconds(std::chrono::steady_clock::time_point since) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - since).count();
}

}  // namespace

double LogSumExp(std::span<const float> logits) {
  const double max_logit = *std::max_element(logits.begin(), logits.end());
  double sum = 0;
  for (float l : logits) sum += std::exp(static_cast<double>(l) - max_logit);
  return max_logit + std::log(sum);
}

double LogSoftmaxAt(std::span<const float> logits, int32_t id) {
  return static_cast<double>(logits[static_cast<size_t>(id)]) - LogSumExp(logits);
}

GenerationResult Generate(Model& model, std::span<const int32_t> prompt,
                          const GenerateOptions& options,
                          const std::function<void(int32_t)>& on_token) {
  Check(!prompt.empty(), "generate: the prompt has no tokens");
  Check(options.max_new_tokens >= 0, "generate: max_new_tokens must be >= 0");
  GenerationResult result;
  result.prompt_tokens = static_cast<int64_t>(prompt.size());
  if (options.max_new_tokens == 0) return result;
  KvCache cache = model.NewCache(result.prompt_tokens + options.max_new_tokens);
  Sampler sampler(options.sampling);

  auto start = std::chrono::steady_clock::now();
  SequenceInput input{&cache, prompt};
  std::vector<float> logits = model.ForwardToHost(std::span(&input, 1), LogitsFor::kLastPosition);
  result.prefill_seconds = Seconds(start);

  start = std::chrono::steady_clock::now();
  for (int step = 0; step < options.max_new_tokens; ++step) {
    const int32_t next = sampler.Next(logits);
    result.tokens.push_back(next);
    if (on_token) on_token(next);
    const bool stop = std::find(options.stop_tokens.begin(), options.stop_tokens.end(), next) !=
                      options.stop_tokens.end();
    if (stop || step + 1 == options.max_new_tokens) break;
    input.tokens = std::span(&result.tokens.back(), 1);
    logits = model.ForwardToHost(std::span(&input, 1), LogitsFor::kLastPosition);
  }
  result.decode_seconds = Seconds(start);
  return result;
}

ContinuationScore ScoreContinuation(Model& model, std::span<const int32_t> context,
                                    std::span<const int32_t> continuation) {
  Check(!context.empty(), "score: the context has no tokens (it needs at least BOS)");
  Check(!continuation.empty(), "score: the continuation has no tokens");
  ContinuationScore score;
  score.context_tokens = static_cast<int64_t>(context.size());
  KvCache cache = model.NewCache(static_cast<int64_t>(context.size() + continuation.size()));
  SequenceInput input{&cache, context};
  std::vector<float> first = model.ForwardToHost(std::span(&input, 1), LogitsFor::kLastPosition);
  // Rows: the context's last position, then every continuation token but the last.
  std::vector<float> rest;
  if (continuation.size() > 1) {
    input.tokens = continuation.first(continuation.size() - 1);
    rest = model.ForwardToHost(std::span(&input, 1), LogitsFor::kAllPositions);
  }
  const auto vocab = static_cast<size_t>(model.config().vocab_size);
  for (size_t i = 0; i < continuation.size(); ++i) {
    const std::span<const float> row =
        i == 0 ? std::span<const float>(first) : std::span<const float>(rest).subspan((i - 1) * vocab, vocab);
    const double lp = LogSoftmaxAt(row, continuation[i]);
    score.token_log_probs.push_back(lp);
    score.log_likelihood += lp;
    score.is_greedy = score.is_greedy && Argmax(row) == continuation[i];
  }
  return score;
}

}  // namespace gemmeter
