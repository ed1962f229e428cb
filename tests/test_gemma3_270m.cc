// The real Gemma 3 270M (Q4_K_M GGUF, dequantized to float32) against transformers
// loading the same file (tools/make_gguf_goldens.py): logits of 8 prompts of 16 to 512
// tokens, and 32 greedy tokens after 5 prompts. Runs in the `slow` suite.
//
// Budget: max |logit diff| <= 1e-3 at the stored logits (the 16 largest and 16 random
// ones per position) and on the log-normalizer. Both sides compute in float32 from the
// same dequantized weights; the difference is rounding over 18 layers at logit scale
// ~30, a few ulp per op. Argmax must agree except at near-ties (top two within 1e-3).
#include <optional>
#include <catch2/catch.hpp>
#include <fmt/core.h>

#include <algorithm>
#include <cmath>

#include "engine/backend/backend.h"
#include "engine/build_config.h"
#include "engine/io/safetensors.h"
#include "engine/model/checkpoint.h"
#include "engine/model/generate.h"

namespace gemmeter {
namespace {

constexpr double kLogitTolerance = 1e-3;
const std::string kFixtures = std::string(GEMMETER_SOURCE_ROOT) + "/tests/fixtures/gemma3-270m/";

template <typename T>
std::span<const T> View(const SafetensorsFile& f, const std::string& name) {
  const StoredTensor* t = f.Find(name);
  REQUIRE(t != nullptr);
  return {static_cast<const T*>(t->data), static_cast<size_t>(NumElements(t->shape))};
}

struct LogitStats {
  double worst = 0, worst_lse = 0;
  int64_t positions = 0, mismatches = 0, near_ties = 0;
};

// Runs every golden prompt through `model` and compares the stored logits.
LogitStats CompareWithGoldens(Model& model, double tie_tolerance) {
  const SafetensorsFile goldens(kFixtures + "logits.safetensors");
  const auto vocab = static_cast<size_t>(model.config().vocab_size);
  LogitStats stats;
  for (int p = 0; goldens.Find(fmt::format("tokens_{}", p)); ++p) {
    const auto tokens = View<int32_t>(goldens, fmt::format("tokens_{}", p));
    const auto top_ids = View<int32_t>(goldens, fmt::format("top_ids_{}", p));
    const auto top_logits = View<float>(goldens, fmt::format("top_logits_{}", p));
    const auto probe_ids = View<int32_t>(goldens, fmt::format("probe_ids_{}", p));
    const auto probe_logits = View<float>(goldens, fmt::format("probe_logits_{}", p));
    const auto lse = View<float>(goldens, fmt::format("logsumexp_{}", p));
    const size_t k = top_ids.size() / tokens.size();
    KvCache cache = model.NewCache(static_cast<int64_t>(tokens.size()));
    double prompt_worst = 0;
    size_t worst_position = 0;
    // Chunks of 128 positions keep the float32 logits to 128 MiB at a time; chunked
    // prefill equals a full recompute (test_kv_cache).
    for (size_t begin = 0; begin < tokens.size(); begin += 128) {
      const size_t n = std::min<size_t>(128, tokens.size() - begin);
      const SequenceInput input{&cache, tokens.subspan(begin, n)};
      const auto logits = model.ForwardToHost(std::span(&input, 1), LogitsFor::kAllPositions);
      for (size_t r = 0; r < n; ++r) {
        const size_t pos = begin + r;
        const std::span<const float> row(logits.data() + r * vocab, vocab);
        for (size_t j = 0; j < k; ++j) {
          const double d = std::max(std::fabs(row[top_ids[pos * k + j]] - top_logits[pos * k + j]),
                                    std::fabs(row[probe_ids[pos * k + j]] - probe_logits[pos * k + j]));
          if (d > prompt_worst) {
            prompt_worst = d;
            worst_position = pos;
          }
        }
        stats.worst_lse = std::max(stats.worst_lse, std::fabs(LogSumExp(row) - lse[pos]));
        if (top_logits[pos * k] - top_logits[pos * k + 1] < tie_tolerance) {
          ++stats.near_ties;
        } else if (Argmax(row) != top_ids[pos * k]) {
          ++stats.mismatches;
          UNSCOPED_INFO("prompt " << p << " position " << pos << ": argmax " << Argmax(row)
                                  << " vs transformers " << top_ids[pos * k]);
        }
      }
    }
    fmt::print("  prompt {} ({} tokens): max |logit diff| {:.2e} at position {}\n", p, tokens.size(),
               prompt_worst, worst_position);
    stats.worst = std::max(stats.worst, prompt_worst);
    stats.positions += static_cast<int64_t>(tokens.size());
  }
  return stats;
}

void PrintStats(const char* what, const LogitStats& s, double tie_tolerance) {
  fmt::print("gemma-3-270m {}: {} positions, max |logit diff| {:.2e}, max |logsumexp diff| {:.2e}, "
             "argmax mismatches {} ({} near-ties within {:g})\n",
             what, s.positions, s.worst, s.worst_lse, s.mismatches, s.near_ties, tie_tolerance);
}

std::unique_ptr<Model> Load(Backend& backend, std::optional<DType> weights) {
  return LoadModel(DefaultModelPath(), backend, {weights});
}

// f32: every block dequantized at load. native: the GGUF blocks kept and multiplied by
// the block kernels, which decode to the same float32 values (exactly, or within one
// rounding for q4_k/q5_k's fused d sc q - dmin m), so both get the f32 budgets.
struct WeightChoice {
  const char* name;
  std::optional<DType> dtype;
};
constexpr WeightChoice kExactWeights[] = {{"f32", DType::kF32}, {"native", std::nullopt}};

// Fast backends accumulate in float32 (the reference in double): transformers' own float32
// rounding reaches ~5e-4 at the most sensitive position (the reference backend differs
// from it by 4.6e-4 there, by < 6e-5 elsewhere), and a float-accumulating backend adds
// rounding of the same size, so they get twice the reference's budget.
constexpr double kFastLogitTolerance = 2e-3;

TEST_CASE("Gemma 3 270M logits match transformers on every backend (f32 and native weights)",
          "[real][slow]") {
  for (std::string_view name : AvailableBackends()) {
    for (const WeightChoice& weights : kExactWeights) {
    DYNAMIC_SECTION(name << " " << weights.name) {
      auto backend = MakeBackend(name);
      if (!weights.dtype && !MultipliesBlockFormats(*backend)) {
        WARN(name << " multiplies no GGUF blocks: native weights skipped");
        continue;
      }
      auto model = Load(*backend, weights.dtype);
      const LogitStats s = CompareWithGoldens(*model, kLogitTolerance);
      PrintStats(fmt::format("{} {}", name, weights.name).c_str(), s, kLogitTolerance);
      const double tolerance = name == "reference" ? kLogitTolerance : kFastLogitTolerance;
      CHECK(s.positions >= 8 * 16);
      CHECK(s.worst <= tolerance);
      CHECK(s.worst_lse <= tolerance);
      CHECK(s.mismatches == 0);
    }
    }
  }
}

// bf16 weights: each dequantized weight is rounded once more (relative error <= 2^-9).
// On the tiny models that gave a logit NMSE of ~3e-5 (test_bf16); at this model's logit
// scale (|logit| 20-45) that is a typical error of ~0.1-0.2. One position of the 700-token
// prompt amplifies every rounding ~20x (float32 backends differ from transformers by 1e-3
// there against 5e-5 elsewhere), so the worst case is 2-4; measured 1.92, 2.05 and 2.08
// with the avx2, portable and avx512 kernels (the summation order moves it). Budget:
// max |logit diff| <= 3.0, and argmax agreement wherever transformers' top two logits are
// more than 0.25 apart.
constexpr double kBf16MaxDiff = 3.0;
constexpr double kBf16TieTolerance = 0.25;

TEST_CASE("Gemma 3 270M with bf16 weights stays within its budget", "[real][slow]") {
  for (std::string_view name : AvailableBackends()) {
    if (name == "reference") continue;  // the oracle's bf16 path is covered on tiny models
    DYNAMIC_SECTION(name) {
      auto backend = MakeBackend(name);
      auto model = Load(*backend, DType::kBF16);
      const LogitStats s = CompareWithGoldens(*model, kBf16TieTolerance);
      PrintStats(fmt::format("{} bf16", name).c_str(), s, kBf16TieTolerance);
      CHECK(s.worst <= kBf16MaxDiff);
      CHECK(s.mismatches == 0);
    }
  }
}

TEST_CASE("Gemma 3 270M greedy generation matches transformers", "[real][slow]") {
  for (std::string_view name : AvailableBackends()) {
  for (const WeightChoice& weights : kExactWeights) {
  DYNAMIC_SECTION(name << " " << weights.name) {
  auto backend = MakeBackend(name);
  if (!weights.dtype && !MultipliesBlockFormats(*backend)) {
    WARN(name << " multiplies no GGUF blocks: native weights skipped");
    continue;
  }
  auto loaded = Load(*backend, weights.dtype);
  Model& model = *loaded;
  const SafetensorsFile goldens(kFixtures + "greedy.safetensors");
  int prompts = 0, agreeing = 0;
  for (int p = 0; goldens.Find(fmt::format("prompt_{}", p)); ++p) {
    const auto prompt = View<int32_t>(goldens, fmt::format("prompt_{}", p));
    const auto expected = View<int32_t>(goldens, fmt::format("generated_{}", p));
    const auto gaps = View<float>(goldens, fmt::format("gap_{}", p));
    GenerateOptions options;
    options.max_new_tokens = static_cast<int>(expected.size());
    const GenerationResult r = Generate(model, prompt, options);
    REQUIRE(r.tokens.size() == expected.size());
    size_t first_difference = expected.size();
    for (size_t i = 0; i < expected.size(); ++i) {
      if (r.tokens[i] != expected[i]) {
        first_difference = i;
        break;
      }
    }
    ++prompts;
    if (first_difference == expected.size()) {
      ++agreeing;
      continue;
    }
    // Diverging is only excusable where transformers itself was at a near-tie.
    INFO("prompt " << p << " diverges at token " << first_difference << " (transformers' top-2 gap "
                   << gaps[first_difference] << ")");
    CHECK(gaps[first_difference] < kLogitTolerance);
  }
  fmt::print("gemma-3-270m greedy {} {}: {} of {} prompts give the same {} tokens as transformers\n",
             name, weights.name, agreeing, prompts, 32);
  CHECK(prompts == 5);
  }
  }
  }
}

}  // namespace
}  // namespace gemmeter
