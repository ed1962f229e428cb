// bf16 weights.
//
// 1. A checkpoint stored in bf16 (gemma3-bf16, goldens computed by transformers from the
//    same bf16 values upcast to float32) must match to the float32 budget whether we
//    hold its matrices as f32 or bf16: bf16 -> f32 -> bf16 is lossless.
// 2. Rounding float32 checkpoints to bf16 on load perturbs each weight by a relative
//    error of at most 2^-9 (8 significant bits, round-to-nearest), RMS about
//    2^-9 / sqrt(3) = 1.1e-3. A dot product of such independently-rounded weights has
//    the same relative RMS error, i.e. an NMSE of ~1.3e-6 per matmul. The deepest tiny
//    model chains 7 layers x 7 matmuls + the LM head = 50 roundings; if their errors add
//    in energy, the logits' NMSE is ~6.5e-5. Budget: NMSE <= 2e-4 (3x that estimate for
//    amplification by the norms), and argmax agreement except where transformers' top
//    two logits are closer than kBf16LogitTolerance = 0.25 (about 5 standard
//    deviations of the expected per-logit error at logit scale ~3).
#include <catch2/catch.hpp>
#include <fmt/core.h>

#include <cstring>

#include "engine/backend/backend.h"
#include "engine/model/checkpoint.h"
#include "tests/test_util.h"

namespace gemmeter {
namespace {

constexpr double kF32LogitTolerance = 1e-4;
constexpr double kBf16Nmse = 2e-4;
constexpr double kBf16LogitTolerance = 0.25;

test::Comparison RunFixture(std::string_view backend_name, const std::string& name,
                            DType weight_dtype, double tie_tolerance) {
  auto backend = MakeBackend(backend_name);
  auto model = LoadModel(test::TinyFixture(name), *backend, {weight_dtype});
  std::vector<float> all, expected;
  for (const auto& g : test::LoadGoldens(test::TinyFixture(name))) {
    KvCache cache = model->NewCache(static_cast<int64_t>(g.tokens.size()));
    const SequenceInput input{&cache, g.tokens};
    const auto logits = model->ForwardToHost(std::span(&input, 1), LogitsFor::kAllPositions);
    all.insert(all.end(), logits.begin(), logits.end());
    expected.insert(expected.end(), g.logits.begin(), g.logits.end());
  }
  return test::CompareLogits(all, expected, model->config().vocab_size, tie_tolerance);
}

TEST_CASE("a bf16 checkpoint held as bf16 is exact on the reference backend", "[bf16]") {
  const auto c = RunFixture("reference", "gemma3-bf16", DType::kBF16, kF32LogitTolerance);
  CHECK(c.max_abs_diff <= kF32LogitTolerance);
  CHECK(c.argmax_mismatches == 0);
  // Fast backends may also round the activations to bf16 (oneDNN's bf16 matmul does):
  // they are held to the bf16 budget below instead.
  for (std::string_view backend_name : AvailableBackends()) {
    if (backend_name == "reference") continue;
    const auto f = RunFixture(backend_name, "gemma3-bf16", DType::kBF16, kBf16LogitTolerance);
    INFO(backend_name);
    CHECK(f.nmse <= kBf16Nmse);
    CHECK(f.argmax_mismatches == 0);
  }
}

TEST_CASE("float32 checkpoints rounded to bf16 stay within budget", "[bf16]") {
  for (std::string_view backend_name : AvailableBackends()) {
  for (const char* name : {"gemma-mqa", "gemma-mha", "gemma2", "gemma3"}) {
    DYNAMIC_SECTION(backend_name << " " << name) {
      const auto c = RunFixture(backend_name, name, DType::kBF16, kBf16LogitTolerance);
      fmt::print("bf16 weights {:<9} {:<10} NMSE {:.2e}, max |logit diff| {:.3f}, argmax mismatches {} "
                 "of {} positions ({} near-ties within {})\n",
                 backend_name, name, c.nmse, c.max_abs_diff, c.argmax_mismatches, c.positions, c.near_ties,
                 kBf16LogitTolerance);
      CHECK(c.nmse <= kBf16Nmse);
      CHECK(c.max_abs_diff <= 1.0);
      CHECK(c.argmax_mismatches == 0);
      CHECK(c.nmse > 0);  // the weights really were rounded
    }
  }
  }
}

TEST_CASE("an f16 checkpoint loads and matches", "[bf16][f16]") {
  // The gemma3-bf16 weights rewritten as f16: every bf16 value of normal f16 magnitude
  // (|w| >= 2^-14) has 8 significant bits and is exact in f16's 11; the few smaller
  // ones lose < 3e-8 each. So transformers' goldens still hold to the f32 budget.
  test::TempDir dir;
  const auto folder = dir.path() / "f16";
  test::CopyFolder(test::TinyFixture("gemma3-bf16"), folder);
  const std::string weights = (folder / "model.safetensors").string();
  auto tensors = test::ReadRawTensors(weights);
  for (auto& t : tensors) {
    REQUIRE(t.dtype == "BF16");
    std::vector<uint8_t> bytes(t.bytes.size());
    for (size_t i = 0; i < t.bytes.size(); i += 2) {
      uint16_t bf16;
      std::memcpy(&bf16, &t.bytes[i], 2);
      const uint16_t f16 = FloatToF16(BF16ToFloat(bf16));
      std::memcpy(&bytes[i], &f16, 2);
    }
    t.dtype = "F16";
    t.bytes = std::move(bytes);
  }
  test::WriteSafetensors(weights, tensors);

  auto backend = MakeBackend("reference");
  auto model = LoadModel(folder.string(), *backend);
  for (const auto& g : test::LoadGoldens(folder.string())) {
    KvCache cache = model->NewCache(static_cast<int64_t>(g.tokens.size()));
    const SequenceInput input{&cache, g.tokens};
    const auto logits = model->ForwardToHost(std::span(&input, 1), LogitsFor::kAllPositions);
    const auto c = test::CompareLogits(logits, g.logits, model->config().vocab_size,
                                       kF32LogitTolerance);
    CHECK(c.max_abs_diff <= kF32LogitTolerance);
    CHECK(c.argmax_mismatches == 0);
  }
}

}  // namespace
}  // namespace gemmeter
