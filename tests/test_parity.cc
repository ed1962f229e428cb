// Our forward pass against transformers' float32 logits on tiny random checkpoints of
// every family (tools/make_tiny_goldens.py).
//
// Budget: max |logit diff| <= 1e-4. Both sides compute in float32 (we accumulate in
// double), so the difference is float32 rounding noise: logits here are O(10) and
// pass through <= 7 layers, each adding a few ulp (~1e-6 each) of relative error,
// which stays 1-2 orders of magnitude below 1e-4. Argmax must agree at every position
// except where transformers' top two logits are within that same 1e-4 (near-ties,
// counted and reported).
#include <catch2/catch.hpp>
#include <fmt/core.h>

#include <cmath>

#include "engine/backend/backend.h"
#include "engine/model/checkpoint.h"
#include "tests/test_util.h"

namespace gemmeter {
namespace {

constexpr double kLogitTolerance = 1e-4;

const char* const kFixtures[] = {"gemma-mqa", "gemma-mha", "gemma2", "gemma3", "gemma3-bf16"};

TEST_CASE("logits match transformers on every tiny family, on every backend", "[parity]") {
  for (std::string_view backend_name : AvailableBackends()) {
  for (const char* name : kFixtures) {
    DYNAMIC_SECTION(backend_name << " " << name) {
      auto backend = MakeBackend(backend_name);
      auto model = LoadModel(test::TinyFixture(name), *backend);
      const int64_t vocab = model->config().vocab_size;
      double worst = 0.0;
      int64_t positions = 0, ties = 0, mismatches = 0;
      for (const test::GoldenSequence& g : test::LoadGoldens(test::TinyFixture(name))) {
        KvCache cache = model->NewCache(static_cast<int64_t>(g.tokens.size()));
        const SequenceInput input{&cache, g.tokens};
        const auto logits = model->ForwardToHost(std::span(&input, 1), LogitsFor::kAllPositions);
        const auto c = test::CompareLogits(logits, g.logits, vocab, kLogitTolerance);
        INFO(name << ": sequence of " << g.tokens.size() << " tokens, max |diff| "
                  << c.max_abs_diff);
        CHECK(c.max_abs_diff <= kLogitTolerance);
        CHECK(c.argmax_mismatches == 0);
        worst = std::max(worst, c.max_abs_diff);
        positions += c.positions;
        ties += c.near_ties;
        mismatches += c.argmax_mismatches;
      }
      fmt::print("parity {:<9} {:<12} max |logit diff| {:.3e} over {} positions, argmax "
                 "mismatches {} ({} near-ties within {:g})\n", backend_name, name, worst, positions,
                 mismatches, ties, kLogitTolerance);
    }
  }
  }
}

TEST_CASE("a batch of independent sequences matches each sequence alone", "[parity][batch]") {
  for (std::string_view backend_name : AvailableBackends()) {
  for (const char* name : {"gemma2", "gemma3"}) {
    DYNAMIC_SECTION(backend_name << " " << name) {
      auto backend = MakeBackend(backend_name);
      auto model = LoadModel(test::TinyFixture(name), *backend);
      const auto goldens = test::LoadGoldens(test::TinyFixture(name));
      std::vector<KvCache> caches;
      std::vector<SequenceInput> batch;
      caches.reserve(goldens.size());
      for (const auto& g : goldens) {
        caches.push_back(model->NewCache(static_cast<int64_t>(g.tokens.size())));
        batch.push_back({&caches.back(), g.tokens});
      }
      const auto logits = model->ForwardToHost(batch, LogitsFor::kAllPositions);
      const int64_t vocab = model->config().vocab_size;
      size_t offset = 0;
      for (const auto& g : goldens) {
        std::vector<float> mine(logits.begin() + static_cast<std::ptrdiff_t>(offset),
                                logits.begin() + static_cast<std::ptrdiff_t>(offset + g.logits.size()));
        offset += g.logits.size();
        const auto c = test::CompareLogits(mine, g.logits, vocab, kLogitTolerance);
        CHECK(c.max_abs_diff <= kLogitTolerance);
        CHECK(c.argmax_mismatches == 0);
      }
      CHECK(offset == logits.size());
    }
  }
  }
}

TEST_CASE("next-token log-probabilities match transformers' log-softmax", "[parity][score]") {
  // Expected: log_softmax of transformers' logits, computed here in double.
  for (std::string_view backend_name : AvailableBackends()) {
  for (const char* name : {"gemma2", "gemma3"}) {
    DYNAMIC_SECTION(backend_name << " " << name) {
      auto backend = MakeBackend(backend_name);
      auto model = LoadModel(test::TinyFixture(name), *backend);
      const int64_t vocab = model->config().vocab_size;
      for (const test::GoldenSequence& g : test::LoadGoldens(test::TinyFixture(name))) {
        // Score every next token except at even rows (-1: skipped).
        std::vector<int32_t> targets(g.tokens.size(), -1);
        for (size_t r = 1; r + 1 < g.tokens.size(); r += 2) targets[r] = g.tokens[r + 1];
        KvCache cache = model->NewCache(static_cast<int64_t>(g.tokens.size()));
        const SequenceInput input{&cache, g.tokens};
        const auto scores = model->ForwardScores(std::span(&input, 1), targets);
        size_t k = 0;
        for (size_t r = 0; r < targets.size(); ++r) {
          if (targets[r] < 0) continue;
          const float* row = g.logits.data() + r * vocab;
          double max_logit = row[0], sum = 0;
          int32_t best = 0;
          for (int64_t v = 1; v < vocab; ++v)
            if (row[v] > max_logit) max_logit = row[v], best = static_cast<int32_t>(v);
          for (int64_t v = 0; v < vocab; ++v) sum += std::exp(row[v] - max_logit);
          const double expected = row[targets[r]] - max_logit - std::log(sum);
          REQUIRE(k < scores.size());
          CHECK(scores[k].log_prob == Approx(expected).margin(kLogitTolerance));
          CHECK(scores[k].argmax == best);
          ++k;
        }
        CHECK(k == scores.size());
      }
    }
  }
  }
}

}  // namespace
}  // namespace gemmeter
