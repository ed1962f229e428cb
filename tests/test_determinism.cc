// Same answers however they are computed: greedy tokens, scores and predictions must not
// depend on the thread count, the batch size of scoring, or how a prompt is split into
// prefill chunks, on every backend.
//
// Budgets. The thread count changes nothing: each output element is computed by one
// thread with the same arithmetic (parallel.h), so scores at the same batch size and
// chunking must be bitwise equal across thread counts. The row count of a forward pass
// (batch size, chunking) may choose another kernel (a GEMV for <= 4 rows, oneDNN's GEMM
// above) that sums the same products in another order: float32 reassociation of a
// K = 640..2048 term dot product moves a logit of size ~10 by ~1e-6, and each token's
// float32 log-probability (ulp 1e-6 at |log p| ~ 10) by about as much, so a
// log-likelihood may move by up to 1e-5 per continuation token (a document's
// log-likelihood is summed in double); greedy tokens, greedy flags and predicted
// choices must stay identical.
//
// One exception, by design: bf16 weights on a CPU where oneDNN has a bf16 matmul (AVX-512
// BF16). Prefill rows (> 4 per pass) then go through the hardware bf16 dot product on
// bf16-rounded activations, decode rows through our float32 GEMV, so a score depends on
// the row count (measured on the real model: log-likelihoods up to 0.05 apart; the
// hardware instruction alone sums 2048 products with up to 1.6e-5 relative error here,
// against ~1e-6 for float32 FMAs). For bf16 the test still requires identical results
// across thread counts and reports the batch/chunk differences without a budget.
//
// The fast suite runs the tiny Gemma 3 fixture; the [slow] case runs the real Gemma 3
// 270M (default model) with its native, f32 and (onednn) bf16 weights.
#include <catch2/catch.hpp>
#include <fmt/core.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <optional>
#include <random>

#include "engine/backend/backend.h"
#include "engine/model/checkpoint.h"
#include "engine/model/generate.h"
#include "engine/model/group_scoring.h"
#include "tests/test_util.h"

namespace gemmeter {
namespace {

constexpr double kTolerancePerToken = 1e-5;

// Documents of 2-4 choices after a shared header, as an evaluation builds them.
std::vector<ScoringGroup> Documents(int64_t vocab, int count, int context_tokens) {
  std::mt19937 rng(11);
  auto token = [&] { return static_cast<int32_t>(3 + rng() % std::min<int64_t>(vocab - 3, 20000)); };
  std::vector<int32_t> header = {2};  // BOS
  for (int i = 0; i < context_tokens / 2; ++i) header.push_back(token());
  std::vector<ScoringGroup> groups;
  for (int d = 0; d < count; ++d) {
    ScoringGroup g;
    g.prefix_group = 0;
    g.context = header;
    for (int i = 0; i < context_tokens / 2; ++i) g.context.push_back(token());
    const int choices = 2 + d % 3;
    for (int c = 0; c < choices; ++c) {
      std::vector<int32_t> continuation;
      for (int i = 0, n = 1 + static_cast<int>(rng() % 6); i < n; ++i) continuation.push_back(token());
      g.continuations.push_back(continuation);
    }
    groups.push_back(g);
  }
  return groups;
}

using Scores = std::vector<std::vector<GroupScore>>;

Scores Score(Model& model, const std::vector<ScoringGroup>& groups, int64_t batch_tokens) {
  Scores scores(groups.size());
  ScoreGroups(model, groups, {.batch_tokens = batch_tokens},
              [&](size_t i, std::vector<GroupScore> s) { scores[i] = std::move(s); });
  return scores;
}

size_t Prediction(const std::vector<GroupScore>& choices) {
  size_t best = 0;
  for (size_t c = 1; c < choices.size(); ++c) {
    if (choices[c].log_likelihood > choices[best].log_likelihood) best = c;
  }
  return best;
}

// log-softmax at `targets` of the last position after prefilling `tokens` in chunks of
// `chunk` positions (0: all at once), and that position's argmax.
struct LastPosition {
  std::vector<double> log_probs;
  int32_t argmax = 0;
};
LastPosition Prefill(Model& model, std::span<const int32_t> tokens, size_t chunk,
                     std::span<const int32_t> targets) {
  KvCache cache = model.NewCache(static_cast<int64_t>(tokens.size()));
  std::vector<float> logits;
  for (size_t begin = 0; begin < tokens.size();) {
    const size_t n = chunk == 0 ? tokens.size() : std::min(chunk, tokens.size() - begin);
    const SequenceInput input{&cache, tokens.subspan(begin, n)};
    logits = model.ForwardToHost(std::span(&input, 1), LogitsFor::kLastPosition);
    begin += n;
  }
  LastPosition last;
  for (int32_t t : targets) last.log_probs.push_back(LogSoftmaxAt(logits, t));
  last.argmax = static_cast<int32_t>(std::max_element(logits.begin(), logits.end()) - logits.begin());
  return last;
}

struct Workload {
  int documents = 12;
  int context_tokens = 24;
  std::vector<int64_t> batches = {1, 37, 4096};
  std::vector<size_t> chunks = {1, 5, 0};
  int generate_tokens = 12;
};

// Runs the workload at threads 2 (the baseline: batch 4096, whole prefill) and 1, with
// every batch size and chunking, and checks every answer against the baseline.
void CheckDeterministic(std::string_view backend_name, const std::string& model_path,
                        std::optional<DType> weights, const Workload& w) {
  // See the top of the file: bf16 rounding of activations depends on the row count.
  const bool row_count_matters = weights == DType::kBF16 && backend_name == "onednn";
  double worst = 0;
  int compared = 0;
  std::vector<ScoringGroup> groups;
  std::vector<int32_t> prompt, targets;
  Scores base_scores;
  std::map<int64_t, Scores> by_batch;  // threads 2's scores per batch size
  LastPosition base_last;
  std::map<size_t, LastPosition> by_chunk;  // threads 2's results per chunking
  std::vector<int32_t> base_tokens;
  for (int threads : {2, 1}) {
    auto backend = MakeBackend(backend_name, {.threads = threads});
    auto model = LoadModel(model_path, *backend, {weights});
    if (groups.empty()) {
      const int64_t vocab = model->config().vocab_size;
      groups = Documents(vocab, w.documents, w.context_tokens);
      prompt = groups[0].context;
      for (int i = 0; i < 8; ++i) targets.push_back(static_cast<int32_t>((i * 7919 + 5) % vocab));
      base_scores = Score(*model, groups, 4096);
      base_last = Prefill(*model, prompt, 0, targets);
      GenerateOptions options;
      options.max_new_tokens = w.generate_tokens;  // default sampling: greedy
      base_tokens = Generate(*model, prompt, options).tokens;  // the same rows at any thread count
      REQUIRE(base_tokens.size() == static_cast<size_t>(w.generate_tokens));
    }
    for (int64_t batch : w.batches) {
      const Scores other = Score(*model, groups, batch);
      if (threads == 2) by_batch[batch] = other;
      for (size_t g = 0; g < groups.size(); ++g) {
        INFO("threads " << threads << " batch " << batch << " document " << g);
        if (!row_count_matters) CHECK(Prediction(other[g]) == Prediction(base_scores[g]));
        CHECK(Prediction(other[g]) == Prediction(by_batch.at(batch)[g]));
        for (size_t c = 0; c < base_scores[g].size(); ++c) {
          const double d = std::fabs(other[g][c].log_likelihood - base_scores[g][c].log_likelihood);
          worst = std::max(worst, d);
          ++compared;
          INFO("log-likelihood " << base_scores[g][c].log_likelihood << " over "
                                 << base_scores[g][c].tokens << " tokens");
          if (!row_count_matters) {
            CHECK(d <= kTolerancePerToken * static_cast<double>(base_scores[g][c].tokens));
            CHECK(other[g][c].greedy == base_scores[g][c].greedy);
          }
          // The same batch size at 2 threads: the same bits.
          CHECK(other[g][c].log_likelihood == by_batch.at(batch)[g][c].log_likelihood);
        }
      }
    }
    for (size_t chunk : w.chunks) {
      const LastPosition last = Prefill(*model, prompt, chunk, targets);
      if (threads == 2) by_chunk[chunk] = last;
      INFO("threads " << threads << " prefill chunks of " << chunk);
      if (!row_count_matters) CHECK(last.argmax == base_last.argmax);
      for (size_t i = 0; i < targets.size(); ++i) {
        const double d = std::fabs(last.log_probs[i] - base_last.log_probs[i]);
        worst = std::max(worst, d);
        ++compared;
        if (!row_count_matters) CHECK(d <= kTolerancePerToken);
        CHECK(last.log_probs[i] == by_chunk.at(chunk).log_probs[i]);
      }
    }
    GenerateOptions options;
    options.max_new_tokens = w.generate_tokens;
    INFO("threads " << threads << ": greedy generation");
    CHECK(Generate(*model, prompt, options).tokens == base_tokens);
  }
  fmt::print("determinism {} weights {}: {} log-likelihoods compared, max |difference| {:.2e}{}\n",
             backend_name, weights ? DTypeName(*weights) : "native", compared, worst,
             row_count_matters ? " (bf16 matmul: across row counts, reported only)" : "");
}

TEST_CASE("answers do not depend on threads, batch size or prefill chunks (tiny Gemma 3)",
          "[determinism]") {
  for (std::string_view backend_name : AvailableBackends()) {
    DYNAMIC_SECTION(backend_name) {
      CheckDeterministic(backend_name, test::TinyFixture("gemma3"), std::nullopt, Workload{});
    }
  }
}

TEST_CASE("answers do not depend on threads, batch size or prefill chunks (Gemma 3 270M)",
          "[determinism][real][slow]") {
  for (std::string_view backend_name : AvailableBackends()) {
    std::vector<std::optional<DType>> choices = {std::nullopt};  // native: the default
    if (backend_name != "reference") choices.insert(choices.end(), {DType::kF32, DType::kBF16});
    for (const std::optional<DType>& weights : choices) {
      DYNAMIC_SECTION(backend_name << " " << (weights ? DTypeName(*weights) : "native")) {
        // The reference backend is ~50x slower: fewer documents and batch sizes.
        Workload w;
        if (backend_name == "reference") {
          w.documents = 4;
          w.batches = {1, 4096};
          w.chunks = {7, 0};
          w.generate_tokens = 6;
        }
        CheckDeterministic(backend_name, DefaultModelPath(), weights, w);
      }
    }
  }
}

}  // namespace
}  // namespace gemmeter
