// The KV cache: prefill then decode, chunked prefill, and forks of a shared prefix must
// give the logits of a full recompute.
//
// Budget 1e-5: every row of every op is computed independently of the others in the
// reference backend, so cached and recomputed logits agree to float32 rounding of the
// same sums. Fast backends may sum in another order for different row counts (oneDNN
// GEMM for prefill, a GEMV kernel for decode): float32 reassociation over K <= 96 terms
// changes a logit of size ~10 by ~1e-6, so 1e-5 still holds.
#include <catch2/catch.hpp>

#include <algorithm>

#include "engine/backend/backend.h"
#include "engine/core/error.h"
#include "engine/model/checkpoint.h"
#include "tests/test_util.h"

namespace gemmeter {
namespace {

constexpr double kCacheTolerance = 1e-5;

std::vector<float> FullRecompute(Model& model, std::span<const int32_t> tokens) {
  KvCache cache = model.NewCache(static_cast<int64_t>(tokens.size()));
  const SequenceInput input{&cache, tokens};
  return model.ForwardToHost(std::span(&input, 1), LogitsFor::kAllPositions);
}

// Feeds `tokens` in chunks of the given sizes; returns the logits of every position.
std::vector<float> Chunked(Model& model, std::span<const int32_t> tokens,
                           const std::vector<size_t>& chunks) {
  KvCache cache = model.NewCache(static_cast<int64_t>(tokens.size()));
  std::vector<float> all;
  size_t begin = 0;
  for (size_t n : chunks) {
    const SequenceInput input{&cache, tokens.subspan(begin, n)};
    const auto logits = model.ForwardToHost(std::span(&input, 1), LogitsFor::kAllPositions);
    all.insert(all.end(), logits.begin(), logits.end());
    begin += n;
  }
  REQUIRE(begin == tokens.size());
  REQUIRE(cache.length() == static_cast<int64_t>(tokens.size()));
  return all;
}

double MaxDiff(const std::vector<float>& a, const std::vector<float>& b) {
  REQUIRE(a.size() == b.size());
  double m = 0;
  for (size_t i = 0; i < a.size(); ++i) m = std::max(m, std::fabs(static_cast<double>(a[i]) - b[i]));
  return m;
}

TEST_CASE("prefill then one-token decode equals a full recompute", "[cache]") {
  // gemma2 and gemma3 have sliding windows shorter than the sequence, so decode steps
  // past the window exercise the window against cached keys.
  for (std::string_view backend_name : AvailableBackends()) {
  for (const char* name : {"gemma-mqa", "gemma2", "gemma3"}) {
    DYNAMIC_SECTION(backend_name << " " << name) {
      auto backend = MakeBackend(backend_name);
      auto model = LoadModel(test::TinyFixture(name), *backend);
      const auto goldens = test::LoadGoldens(test::TinyFixture(name));
      const std::vector<int32_t>& tokens = goldens.back().tokens;  // the longest
      const auto full = FullRecompute(*model, tokens);

      std::vector<size_t> chunks = {5};
      chunks.resize(tokens.size() - 5 + 1, 1);  // prefill 5, then decode one at a time
      CHECK(MaxDiff(Chunked(*model, tokens, chunks), full) <= kCacheTolerance);
      CHECK(MaxDiff(Chunked(*model, tokens, {9, 1, 7, 7}), full) <= kCacheTolerance);

      // Decoding with last-position logits only returns the same rows.
      KvCache cache = model->NewCache(static_cast<int64_t>(tokens.size()));
      const int64_t vocab = model->config().vocab_size;
      for (size_t t = 0; t < tokens.size(); ++t) {
        const SequenceInput input{&cache, std::span(tokens).subspan(t, 1)};
        const auto last = model->ForwardToHost(std::span(&input, 1), LogitsFor::kLastPosition);
        REQUIRE(last.size() == static_cast<size_t>(vocab));
        std::vector<float> expected(full.begin() + static_cast<std::ptrdiff_t>(t * vocab),
                                    full.begin() + static_cast<std::ptrdiff_t>((t + 1) * vocab));
        CHECK(MaxDiff(last, expected) <= kCacheTolerance);
      }
    }
  }
  }
}

TEST_CASE("forks of a shared prefix continue like full recomputes", "[cache][fork]") {
  for (std::string_view backend_name : AvailableBackends()) {
  DYNAMIC_SECTION(backend_name) {
  auto backend = MakeBackend(backend_name);
  auto model = LoadModel(test::TinyFixture("gemma3"), *backend);
  const auto goldens = test::LoadGoldens(test::TinyFixture("gemma3"));
  const std::vector<int32_t> prefix(goldens[2].tokens.begin(), goldens[2].tokens.begin() + 10);
  const std::vector<std::vector<int32_t>> continuations = {
      {5, 6, 7}, {300, 11, 12, 13, 14, 15, 16, 17}, {42}};

  KvCache shared = model->NewCache(32);
  const SequenceInput input{&shared, prefix};
  model->Forward(std::span(&input, 1), LogitsFor::kLastPosition);

  // All continuations in one batch, each on its own fork of the prefix.
  std::vector<KvCache> forks;
  forks.reserve(continuations.size());
  std::vector<SequenceInput> batch;
  for (const auto& c : continuations) {
    forks.push_back(shared.Fork());
    batch.push_back({&forks.back(), c});
  }
  const auto logits = model->ForwardToHost(batch, LogitsFor::kAllPositions);
  const int64_t vocab = model->config().vocab_size;
  size_t row = 0;
  for (const auto& c : continuations) {
    std::vector<int32_t> whole = prefix;
    whole.insert(whole.end(), c.begin(), c.end());
    const auto full = FullRecompute(*model, whole);
    std::vector<float> expected(full.end() - static_cast<std::ptrdiff_t>(c.size() * vocab), full.end());
    std::vector<float> mine(logits.begin() + static_cast<std::ptrdiff_t>(row * vocab),
                            logits.begin() + static_cast<std::ptrdiff_t>((row + c.size()) * vocab));
    CHECK(MaxDiff(mine, expected) <= kCacheTolerance);
    row += c.size();
  }
  CHECK(shared.length() == static_cast<int64_t>(prefix.size()));  // forks leave the prefix intact
  }
  }
}

TEST_CASE("truncating a cache lets another continuation be scored", "[cache]") {
  auto backend = MakeBackend("reference");
  auto model = LoadModel(test::TinyFixture("gemma2"), *backend);
  const std::vector<int32_t> a = {2, 10, 20, 30, 40, 50, 60, 70};
  std::vector<int32_t> b = a;
  b[6] = 99;
  b[7] = 98;
  KvCache cache = model->NewCache(16);
  SequenceInput input{&cache, a};
  model->Forward(std::span(&input, 1), LogitsFor::kLastPosition);
  cache.Truncate(6);
  input.tokens = std::span(b).subspan(6);
  const auto tail = model->ForwardToHost(std::span(&input, 1), LogitsFor::kAllPositions);
  const auto full = FullRecompute(*model, b);
  const int64_t vocab = model->config().vocab_size;
  const std::vector<float> expected(full.end() - 2 * vocab, full.end());
  CHECK(MaxDiff(tail, expected) <= kCacheTolerance);
}

TEST_CASE("cache misuse is reported, not undefined", "[cache][errors]") {
  auto backend = MakeBackend("reference");
  auto model = LoadModel(test::TinyFixture("gemma-mqa"), *backend);
  const std::vector<int32_t> tokens = {2, 3, 4, 5};
  KvCache small = model->NewCache(3);
  SequenceInput input{&small, tokens};
  CHECK_THROWS_WITH(model->Forward(std::span(&input, 1), LogitsFor::kLastPosition),
                    Catch::Contains("exceed the KV cache capacity 3"));
  CHECK(small.length() == 0);

  KvCache cache = model->NewCache(8);
  const std::vector<int32_t> bad = {2, 320};
  input = {&cache, bad};
  CHECK_THROWS_WITH(model->Forward(std::span(&input, 1), LogitsFor::kLastPosition),
                    Catch::Contains("token id 320 is outside the vocabulary of 320"));
  const SequenceInput twice[] = {{&cache, tokens}, {&cache, tokens}};
  CHECK_THROWS_WITH(model->Forward(twice, LogitsFor::kLastPosition),
                    Catch::Contains("one KV cache appears twice"));
  CHECK_THROWS_AS(cache.Truncate(1), Error);
}

}  // namespace
}  // namespace gemmeter
