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
  // One pass over context + continuation minus its last token; the row before each
  // continuation token scores it.
  std::vector<int32_t> tokens(context.begin(), context.end());
  tokens.insert(tokens.end(), continuation.begin(), continuation.end() - 1);
  std::vector<int32_t> targets(tokens.size(), -1);
  for (size_t i = 0; i < continuation.size(); ++i) targets[context.size() - 1 + i] = continuation[i];
  KvCache cache = model.NewCache(static_cast<int64_t>(tokens.size()));
  const SequenceInput input{&cache, tokens};
  const std::vector<TokenScore> scores = model.ForwardScores(std::span(&input, 1), targets);
  for (size_t i = 0; i < continuation.size(); ++i) {
    score.token_log_probs.push_back(scores[i].log_prob);
    score.log_likelihood += scores[i].log_prob;
    score.is_greedy = score.is_greedy && scores[i].argmax == continuation[i];
  }
  return score;
}

}  // namespace gemmeter
