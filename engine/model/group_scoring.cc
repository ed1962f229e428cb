#include "engine/model/group_scoring.h"

#include <algorithm>
#include <optional>

#include "engine/core/error.h"

namespace gemmeter {
namespace {

// The longest common prefix of the contexts of groups [begin, end), leaving each context
// at least one token of its own (its last row must run to score its continuations).
size_t SharedPrefixLength(std::span<const ScoringGroup> groups) {
  size_t length = groups.front().context.size() - 1;
  for (const ScoringGroup& g : groups) {
    length = std::min(length, g.context.size() - 1);
    const auto mismatch = std::mismatch(g.context.begin(), g.context.begin() + length,
                                        groups.front().context.begin());
    length = static_cast<size_t>(mismatch.first - g.context.begin());
  }
  return length;
}

void CheckGroup(const ScoringGroup& g, size_t index, int64_t max_tokens) {
  Check(!g.context.empty(), "score: document {} has an empty context", index);
  Check(!g.continuations.empty(), "score: document {} has no continuations", index);
  for (const auto& c : g.continuations) {
    Check(!c.empty(), "score: document {} has an empty continuation", index);
    const auto total = static_cast<int64_t>(g.context.size() + c.size());
    Check(max_tokens <= 0 || total <= max_tokens,
          "score: document {} needs {} tokens, more than the model's context length {}", index,
          total, max_tokens);
  }
}

// Runs the groups [begin, end) of one prefix group on top of `prefix` (or from scratch).
class PrefixRun {
 public:
  PrefixRun(Model& model, const ScoringOptions& options, ScoringStats& stats)
      : model_(model), options_(options), stats_(stats) {}

  template <typename Done>
  void Run(std::span<const ScoringGroup> groups, size_t first_index, const Done& done) {
    const size_t shared = SharedPrefixLength(groups);
    std::optional<KvCache> prefix;
    if (shared > 0) {
      prefix.emplace(model_.NewCache(static_cast<int64_t>(shared)));
      const SequenceInput input{&*prefix, std::span(groups.front().context).first(shared)};
      model_.Forward(std::span(&input, 1), LogitsFor::kLastPosition);
      stats_.block_tokens += static_cast<int64_t>(shared);
      ++stats_.forward_passes;
    }
    // Documents in batches of about batch_tokens context rows.
    size_t begin = 0;
    while (begin < groups.size()) {
      size_t end = begin;
      int64_t rows = 0;
      while (end < groups.size() &&
             (end == begin || rows + static_cast<int64_t>(groups[end].context.size() - shared) <=
                                  options_.batch_tokens)) {
        rows += static_cast<int64_t>(groups[end].context.size() - shared);
        ++end;
      }
      const auto batch = groups.subspan(begin, end - begin);
      std::vector<std::vector<GroupScore>> scores = RunBatch(batch, shared, prefix);
      for (size_t i = 0; i < batch.size(); ++i) done(first_index + begin + i, std::move(scores[i]));
      begin = end;
    }
  }

 private:
  // Phase 1: every context's own tokens, its last row scoring each continuation's first
  // token. Phase 2: continuations' remaining tokens over their context's cache.
  std::vector<std::vector<GroupScore>> RunBatch(std::span<const ScoringGroup> batch,
                                                       size_t shared,
                                                       const std::optional<KvCache>& prefix) {
    std::vector<std::vector<GroupScore>> scores(batch.size());
    std::vector<KvCache> contexts;
    contexts.reserve(batch.size());
    std::vector<SequenceInput> inputs;
    ScoreTargets first_tokens;
    int64_t row = 0;
    for (const ScoringGroup& g : batch) {
      const auto own = std::span(g.context).subspan(shared);
      const auto capacity = static_cast<int64_t>(own.size());
      contexts.push_back(prefix ? KvCache(*prefix, capacity) : model_.NewCache(capacity));
      inputs.push_back({&contexts.back(), own});
      row += capacity;
      std::vector<int32_t> firsts;
      for (const auto& c : g.continuations) firsts.push_back(c.front());
      first_tokens.Add(row - 1, firsts);
    }
    const std::vector<TokenScore> first = model_.ForwardScores(inputs, first_tokens);
    stats_.block_tokens += row;
    stats_.scored_rows += static_cast<int64_t>(first_tokens.rows.size());
    ++stats_.forward_passes;
    size_t t = 0;
    for (size_t d = 0; d < batch.size(); ++d) {
      for (const auto& c : batch[d].continuations) {
        scores[d].push_back({first[t].log_prob, static_cast<int64_t>(c.size()),
                             first[t].argmax == c.front()});
        ++t;
      }
    }
    RunContinuations(batch, contexts, scores);
    return scores;
  }

  void RunContinuations(std::span<const ScoringGroup> batch, const std::vector<KvCache>& contexts,
                        std::vector<std::vector<GroupScore>>& scores) {
    struct Pending {
      size_t doc, choice;
    };
    std::vector<Pending> pending;
    for (size_t d = 0; d < batch.size(); ++d) {
      for (size_t c = 0; c < batch[d].continuations.size(); ++c) {
        if (batch[d].continuations[c].size() > 1) pending.push_back({d, c});
      }
    }
    size_t begin = 0;
    while (begin < pending.size()) {
      std::vector<KvCache> caches;
      std::vector<SequenceInput> inputs;
      ScoreTargets targets;
      std::vector<Pending> members;
      int64_t rows = 0;
      caches.reserve(pending.size() - begin);
      for (; begin < pending.size(); ++begin) {
        const Pending& p = pending[begin];
        const auto& c = batch[p.doc].continuations[p.choice];
        const auto n = static_cast<int64_t>(c.size()) - 1;
        if (!members.empty() && rows + n > options_.batch_tokens) break;
        caches.emplace_back(contexts[p.doc], n);
        inputs.push_back({&caches.back(), std::span(c).first(static_cast<size_t>(n))});
        for (int64_t i = 0; i < n; ++i) targets.Add(rows + i, std::span(c).subspan(i + 1, 1));
        rows += n;
        members.push_back(p);
      }
      const std::vector<TokenScore> result = model_.ForwardScores(inputs, targets);
      stats_.block_tokens += rows;
      stats_.scored_rows += rows;
      ++stats_.forward_passes;
      size_t t = 0;
      for (const Pending& p : members) {
        const auto& c = batch[p.doc].continuations[p.choice];
        GroupScore& s = scores[p.doc][p.choice];
        for (size_t i = 1; i < c.size(); ++i, ++t) {
          s.log_likelihood += result[t].log_prob;
          s.greedy = s.greedy && result[t].argmax == c[i];
        }
      }
    }
  }

  Model& model_;
  const ScoringOptions& options_;
  ScoringStats& stats_;
};

}  // namespace

ScoringStats ScoreGroups(
    Model& model, std::span<const ScoringGroup> groups, const ScoringOptions& options,
    const std::function<void(size_t index, std::vector<GroupScore> scores)>& done) {
  Check(options.batch_tokens > 0, "score: batch_tokens must be positive, got {}",
        options.batch_tokens);
  for (size_t i = 0; i < groups.size(); ++i) {
    CheckGroup(groups[i], i, model.config().max_position_embeddings);
  }
  ScoringStats stats;
  PrefixRun run(model, options, stats);
  size_t begin = 0;
  while (begin < groups.size()) {
    size_t end = begin + 1;
    while (end < groups.size() && groups[end].prefix_group == groups[begin].prefix_group) ++end;
    run.Run(groups.subspan(begin, end - begin), begin, done);
    begin = end;
  }
  return stats;
}

}  // namespace gemmeter
