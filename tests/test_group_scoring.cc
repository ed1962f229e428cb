// Shared-prefix batched scoring (ScoreGroups) equals scoring every request alone, and its
// results do not depend on the batch size or the thread count.
//
// Budget 1e-4 on a log-likelihood: each request alone and in a batch runs the same float32
// arithmetic except for the summation order of matmuls whose row count differs (oneDNN
// picks kernels by M) and of attention over a prefix read in two segments; that moves a
// logit of O(10) by ~1e-6 and a sum over <= 8 continuation tokens by < 1e-5. 1e-4 leaves
// 10x room; a masking or position error moves log-likelihoods by O(0.1..1).
#include <catch2/catch.hpp>

#include <random>

#include "engine/backend/backend.h"
#include "engine/model/checkpoint.h"
#include "engine/model/generate.h"
#include "engine/model/group_scoring.h"
#include "tests/test_util.h"

namespace gemmeter {
namespace {

constexpr double kTolerance = 1e-4;

// Three prefix groups (a shared "header" each), documents with 1-12 own context tokens
// and 2-4 continuations of 1-8 tokens, some continuations equal (as when two choices
// tokenize alike). Headers of 9 tokens are longer than the tiny models' sliding windows
// (5 and 6), so windows reach across the prefix boundary.
std::vector<ScoringGroup> RandomGroups(int64_t vocab) {
  std::mt19937 rng(7);
  auto token = [&] { return static_cast<int32_t>(3 + rng() % (vocab - 3)); };
  std::vector<ScoringGroup> groups;
  for (int64_t prefix_group = 0; prefix_group < 3; ++prefix_group) {
    std::vector<int32_t> header = {2};  // BOS
    const int header_length = prefix_group == 1 ? 0 : 9;
    for (int i = 0; i < header_length; ++i) header.push_back(token());
    for (int d = 0; d < 4; ++d) {
      ScoringGroup g;
      g.prefix_group = prefix_group;
      g.context = header;
      const int own = 1 + static_cast<int>(rng() % 12);
      for (int i = 0; i < own; ++i) g.context.push_back(token());
      const int choices = 2 + static_cast<int>(rng() % 3);
      for (int c = 0; c < choices; ++c) {
        std::vector<int32_t> continuation;
        const int n = 1 + static_cast<int>(rng() % 8);
        for (int i = 0; i < n; ++i) continuation.push_back(token());
        g.continuations.push_back(continuation);
      }
      if (d == 2) g.continuations.back() = g.continuations.front();
      groups.push_back(g);
    }
  }
  return groups;
}

using Scores = std::vector<std::vector<GroupScore>>;

Scores ScoreAll(Model& model, const std::vector<ScoringGroup>& groups, int64_t batch_tokens,
                ScoringStats* stats = nullptr) {
  Scores scores(groups.size());
  std::vector<bool> seen(groups.size(), false);
  const ScoringStats s = ScoreGroups(model, groups, {.batch_tokens = batch_tokens},
                                     [&](size_t i, std::vector<GroupScore> result) {
                                       REQUIRE_FALSE(seen[i]);
                                       seen[i] = true;
                                       scores[i] = std::move(result);
                                     });
  for (bool s : seen) REQUIRE(s);
  if (stats) *stats = s;
  return scores;
}

TEST_CASE("shared-prefix scoring equals scoring each request alone", "[scoring]") {
  for (std::string_view backend_name : AvailableBackends()) {
    for (const char* name : {"gemma-mqa", "gemma2", "gemma3"}) {
      DYNAMIC_SECTION(backend_name << " " << name) {
        auto backend = MakeBackend(backend_name);
        auto model = LoadModel(test::TinyFixture(name), *backend);
        const auto groups = RandomGroups(model->config().vocab_size);
        ScoringStats stats;
        const Scores batched = ScoreAll(*model, groups, 64, &stats);
        int64_t alone_tokens = 0, greedy = 0;
        double worst = 0;
        for (size_t g = 0; g < groups.size(); ++g) {
          REQUIRE(batched[g].size() == groups[g].continuations.size());
          for (size_t c = 0; c < groups[g].continuations.size(); ++c) {
            const auto& cont = groups[g].continuations[c];
            const ContinuationScore alone = ScoreContinuation(*model, groups[g].context, cont);
            alone_tokens += static_cast<int64_t>(groups[g].context.size() + cont.size() - 1);
            worst = std::max(worst, std::fabs(alone.log_likelihood - batched[g][c].log_likelihood));
            CHECK(batched[g][c].tokens == static_cast<int64_t>(cont.size()));
            CHECK(batched[g][c].greedy == alone.is_greedy);
            greedy += alone.is_greedy;
          }
        }
        INFO("max |ll difference| " << worst);
        CHECK(worst <= kTolerance);
        // Sharing did its job: headers once per prefix group, contexts once per document.
        CHECK(stats.block_tokens < alone_tokens / 2);
      }
    }
  }
}

TEST_CASE("scores do not depend on batch size or thread count", "[scoring]") {
  for (std::string_view backend_name : AvailableBackends()) {
    DYNAMIC_SECTION(backend_name) {
      std::vector<ScoringGroup> groups;
      Scores base;
      for (int threads : {2, 1}) {
        auto backend = MakeBackend(backend_name, {.threads = threads});
        auto model = LoadModel(test::TinyFixture("gemma3"), *backend);
        if (groups.empty()) {
          groups = RandomGroups(model->config().vocab_size);
          base = ScoreAll(*model, groups, 4096);
        }
        for (int64_t batch : {1, 7, 64, 4096}) {
          const Scores other = ScoreAll(*model, groups, batch);
          for (size_t g = 0; g < groups.size(); ++g) {
            for (size_t c = 0; c < base[g].size(); ++c) {
              INFO("batch " << batch << " threads " << threads << " group " << g << " choice " << c);
              CHECK(std::fabs(other[g][c].log_likelihood - base[g][c].log_likelihood) <= kTolerance);
              CHECK(other[g][c].greedy == base[g][c].greedy);
            }
          }
        }
      }
    }
  }
}

TEST_CASE("bad groups are refused with the document named", "[scoring][errors]") {
  auto backend = MakeBackend("reference");
  auto model = LoadModel(test::TinyFixture("gemma3"), *backend);
  auto none = [](size_t, std::vector<GroupScore>) {};
  std::vector<ScoringGroup> groups(2);
  groups[0].context = {2, 5};
  groups[0].continuations = {{7}};
  groups[1].context = {2, 5};
  groups[1].continuations = {{}};
  CHECK_THROWS_WITH(ScoreGroups(*model, groups, {}, none),
                    Catch::Contains("document 1") && Catch::Contains("empty continuation"));
  groups[1].continuations = {{7}};
  groups[1].context.clear();
  CHECK_THROWS_WITH(ScoreGroups(*model, groups, {}, none), Catch::Contains("empty context"));
  groups[1].context = {2};
  groups[1].continuations = {{400}};  // vocabulary of 320
  CHECK_THROWS_WITH(ScoreGroups(*model, groups, {}, none), Catch::Contains("outside the vocabulary"));
  CHECK_THROWS_WITH(MakeBackend("reference", {.threads = -1}), Catch::Contains("threads must be >= 0"));
}

}  // namespace
}  // namespace gemmeter
