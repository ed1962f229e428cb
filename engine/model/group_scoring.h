// Batched log-likelihood scoring of (context, continuations) groups with shared prefixes:
// the model side of multiple-choice evaluation.
//
// Each group is one document: a context and the continuations to score after it (the
// choices). The log-likelihood of a continuation c after context x is
//   ll = sum_i log p(c_i | x, c_<i),
// summed in float32 as lm-evaluation-harness does; `greedy` says whether every c_i is the
// model's argmax at its position.
//
// Nothing is computed twice and nothing is copied per continuation:
//   1. Consecutive groups with the same `prefix_group` (an MMLU subject) share the longest
//      common token prefix of their contexts (the few-shot header): it runs once, into a
//      KV cache the whole run reads in place.
//   2. Each context's remaining tokens run once, on top of that prefix. Its last row
//      scores the first token of every continuation at once (several targets per row,
//      so MMLU's four one-token answers cost one position).
//   3. Continuations of two or more tokens run their tokens but the last on top of their
//      context's cache, each row scoring the next token.
// Documents are batched so each forward holds about `batch_tokens` rows: large matrix
// products. Scores equal scoring each request alone up to float summation order (a test
// holds them within 1e-4).
#pragma once

#include <cstdint>
#include <functional>
#include <span>
#include <vector>

#include "engine/model/model.h"

namespace gemmeter {

struct ScoringGroup {
  int64_t prefix_group = 0;            // adjacent groups with equal ids share a prefix
  std::vector<int32_t> context;        // token ids, BOS included; at least one token
  std::vector<std::vector<int32_t>> continuations;  // each at least one token
};

struct GroupScore {
  // Sum of the continuation tokens' float32 log-probabilities, in double: a float32 sum
  // of a ~-40 log-likelihood would round at 4e-6, and depend on the order in which a
  // document's tokens were scored.
  double log_likelihood = 0;
  int64_t tokens = 0;
  bool greedy = false;
};

struct ScoringOptions {
  int64_t batch_tokens = 1024;  // rows per forward pass (a single long context may exceed it)
};

// Work done, for throughput reports.
struct ScoringStats {
  int64_t block_tokens = 0;   // rows run through the decoder blocks
  int64_t scored_rows = 0;    // rows run through the LM head
  int64_t forward_passes = 0;
};

// Scores `groups` in order. After each batch, `done(index, scores)` is called for each
// group finished in it (scores in continuation order), so callers can save results as
// they arrive. Throws Error for an empty context or continuation, or one longer than the
// model's context length.
ScoringStats ScoreGroups(
    Model& model, std::span<const ScoringGroup> groups, const ScoringOptions& options,
    const std::function<void(size_t index, std::vector<GroupScore> scores)>& done);

}  // namespace gemmeter
