// GGUF files: the reader, config and naming against the tiny transformers goldens (the
// same weights as safetensors, converted the way llama.cpp's converter does), the real
// Gemma 3 270M file, and corrupt files.
#include <catch2/catch.hpp>

#include <filesystem>
#include <cstring>
#include <fstream>

#include "engine/backend/backend.h"
#include "engine/core/error.h"
#include "engine/io/gguf.h"
#include "engine/model/checkpoint.h"
#include "engine/model/gguf_config.h"
#include "tests/gguf_builder.h"
#include "tests/test_util.h"

namespace gemmeter {
namespace {

namespace fs = std::filesystem;
using Catch::Contains;

TEST_CASE("tiny checkpoints converted to GGUF match transformers", "[gguf][parity]") {
  // Exercises the GGUF config keys, llama.cpp tensor names, the reversed dimensions and
  // the norms stored as 1 + w, against goldens computed from the safetensors weights.
  for (const char* name : {"gemma-mqa", "gemma-mha", "gemma3"}) {
    DYNAMIC_SECTION(name) {
      test::TempDir dir;
      const std::string path = (dir.path() / "tiny.gguf").string();
      test::WriteTinyFixtureAsGguf(test::TinyFixture(name), path, /*with_tokenizer=*/false);
      auto backend = MakeBackend("reference");
      auto model = LoadModel(path, *backend);
      for (const auto& g : test::LoadGoldens(test::TinyFixture(name))) {
        KvCache cache = model->NewCache(static_cast<int64_t>(g.tokens.size()));
        const SequenceInput input{&cache, g.tokens};
        const auto logits = model->ForwardToHost(std::span(&input, 1), LogitsFor::kAllPositions);
        const auto c = test::CompareLogits(logits, g.logits, model->config().vocab_size, 1e-4);
        CHECK(c.max_abs_diff <= 1e-4);
        CHECK(c.argmax_mismatches == 0);
      }
    }
  }
}

TEST_CASE("GGUF dimensions are reported in PyTorch order", "[gguf]") {
  test::TempDir dir;
  const std::string path = (dir.path() / "tiny.gguf").string();
  test::WriteTinyFixtureAsGguf(test::TinyFixture("gemma3"), path, false);
  GgufFile file(path);
  // HF k_proj is [kv_heads * head_dim, hidden] = [64, 64]... use the non-square MLP:
  // gate_proj is [intermediate, hidden] = [96, 64], stored in GGUF as ne = [64, 96].
  CHECK(file.Find("blk.0.ffn_gate.weight")->shape == Shape{96, 64});
  CHECK(file.Find("blk.0.ffn_down.weight")->shape == Shape{64, 96});
  CHECK(file.Find("token_embd.weight")->shape == Shape{320, 64});
  CHECK(file.GetString("general.architecture") == "gemma3");
  CHECK(file.GetInt("gemma3.block_count") == 7);
  CHECK(file.version() == 3);
}

TEST_CASE("the real Gemma 3 270M GGUF reads as its published configuration", "[gguf][real]") {
  const std::string path = DefaultModelPath();
  GgufFile file(path);
  const ModelConfig c = ConfigFromGguf(file);
  const ModelConfig preset = Preset("gemma-3-270m");
  CHECK(c.ParameterCount() == preset.ParameterCount());
  REQUIRE(c.layers.size() == preset.layers.size());
  for (size_t i = 0; i < c.layers.size(); ++i) {
    CHECK(c.layers[i].sliding_window == preset.layers[i].sliding_window);
    CHECK(c.layers[i].rope_theta == preset.layers[i].rope_theta);
  }
  CHECK(c.query_scale == preset.query_scale);
  CHECK(c.qk_norm);
  CHECK(c.final_softcap == 0.0f);
  // Shapes in PyTorch order (GGUF lists token_embd as [640, 262144]).
  CHECK(file.Find("token_embd.weight")->shape == Shape{262144, 640});
  CHECK(file.Find("blk.0.attn_q.weight")->shape == Shape{1024, 640});
  CHECK(file.Find("blk.0.attn_output.weight")->shape == Shape{640, 1024});
  // The Q4_K_M type mix (engine-facts.md 2.6; counts as gguf-py lists them).
  const CheckpointInfo info = InspectCheckpoint(path);
  CHECK(info.tensor_count == 236);
  CHECK(info.tensor_types == std::map<std::string, int>{
                                 {"F32", 109}, {"Q5_0", 81}, {"Q4_K", 27}, {"Q8_0", 10}, {"Q6_K", 9}});
}

// A valid tiny GGUF (gemma-mqa, no tokenizer) whose bytes a test then corrupts.
struct GgufCase {
  test::TempDir dir;
  std::string path = (dir.path() / "model.gguf").string();
  GgufCase() { test::WriteTinyFixtureAsGguf(test::TinyFixture("gemma-mqa"), path, false); }
  void Load() const {
    auto backend = MakeBackend("reference");
    LoadModel(path, *backend);
  }
};

TEST_CASE("corrupt and unsupported GGUF files are named and explained", "[gguf][errors]") {
  SECTION("wrong magic") {
    GgufCase g;
    std::fstream f(g.path, std::ios::in | std::ios::out | std::ios::binary);
    f.write("GGML", 4);
    f.close();
    CHECK_THROWS_WITH(g.Load(), Contains(g.path) && Contains("not a GGUF file"));
  }
  SECTION("unsupported version") {
    test::TempDir dir;
    const std::string path = (dir.path() / "v1.gguf").string();
    test::GgufBuilder b;
    b.String("general.architecture", "gemma");
    b.Write(path, /*version=*/1);
    auto backend = MakeBackend("reference");
    CHECK_THROWS_WITH(LoadModel(path, *backend), Contains(path) && Contains("GGUF version 1"));
  }
  SECTION("truncated tensor data") {
    GgufCase g;
    fs::resize_file(g.path, fs::file_size(g.path) - 100);
    CHECK_THROWS_WITH(g.Load(), Contains(g.path) && Contains("truncated") && Contains("tensor '"));
  }
  SECTION("truncated header") {
    GgufCase g;
    fs::resize_file(g.path, 60);
    CHECK_THROWS_WITH(g.Load(), Contains(g.path) && Contains("truncated"));
  }
  SECTION("an empty file") {
    GgufCase g;
    fs::resize_file(g.path, 0);
    CHECK_THROWS_WITH(g.Load(), Contains(g.path) && Contains("not a GGUF file"));
  }
}

TEST_CASE("GGUF metadata problems", "[gguf][errors]") {
  test::TempDir dir;
  const std::string path = (dir.path() / "model.gguf").string();
  auto backend = MakeBackend("reference");
  SECTION("unknown architecture") {
    test::GgufBuilder b;
    b.String("general.architecture", "llama");
    b.Tensor("token_embd.weight", {4, 8}, 0, std::vector<uint8_t>(128));
    b.Write(path);
    CHECK_THROWS_WITH(LoadModel(path, *backend),
                      Contains(path) && Contains("'general.architecture' is 'llama'"));
  }
  SECTION("a missing key") {
    test::GgufBuilder b;
    b.String("general.architecture", "gemma");
    b.Tensor("token_embd.weight", {4, 8}, 0, std::vector<uint8_t>(128));
    b.Write(path);
    CHECK_THROWS_WITH(LoadModel(path, *backend),
                      Contains(path) && Contains("missing metadata key 'gemma.embedding_length'"));
  }
  SECTION("a key of the wrong type") {
    test::GgufBuilder b;
    b.String("general.architecture", "gemma");
    b.String("gemma.embedding_length", "big");
    b.Write(path);
    CHECK_THROWS_WITH(LoadModel(path, *backend),
                      Contains("'gemma.embedding_length' is string, expected an integer"));
  }
  SECTION("an array longer than the file") {
    test::GgufBuilder b;
    b.Int32Array("tokenizer.ggml.token_type", {1, 2, 3});
    std::string bytes = b.Build();
    const size_t count_at = bytes.find("token_type") + 10 + 4;  // after the key and element type
    const uint64_t huge = uint64_t{1} << 60;
    std::memcpy(&bytes[count_at], &huge, 8);
    std::ofstream(path, std::ios::binary) << bytes;
    CHECK_THROWS_WITH(GgufFile(path), Contains(path) && Contains("claims"));
  }
  // Found by fuzz/gguf_fuzzer (fuzz/crashes/gguf/ has the inputs).
  SECTION("a layer count the layer list cannot be allocated for") {
    test::GgufBuilder b;
    b.String("general.architecture", "gemma");
    b.UInt32("gemma.embedding_length", 8);
    b.UInt32("gemma.feed_forward_length", 16);
    b.UInt32("gemma.block_count", 2000000000);
    b.Write(path);
    GgufFile file(path);
    CHECK_THROWS_WITH(ConfigFromGguf(file), Contains(path) && Contains("'gemma.block_count'") &&
                                                Contains("expected 1 to 1024"));
  }
  SECTION("a shape of more than 2^62 elements") {
    test::GgufBuilder b;
    b.Tensor("t", {uint64_t{1} << 40, uint64_t{1} << 40}, 0, {});
    b.Write(path);
    CHECK_THROWS_WITH(GgufFile(path), Contains(path) && Contains("'t'") && Contains("2^62"));
  }
  SECTION("tensors without rows or with empty rows read as nothing") {
    test::GgufBuilder b;
    b.Tensor("no_rows", {32, 0}, /*Q8_0=*/8, {});
    b.Tensor("empty_rows", {0, 4}, /*F32=*/0, {});
    b.Float32("general.huge", 1e30f);  // no integer view of it: the cast was undefined
    b.Write(path);
    GgufFile file(path);
    float unused = 0.0f;
    CHECK_NOTHROW(file.ReadAsF32(*file.Find("no_rows"), &unused));
    CHECK_NOTHROW(file.ReadAsF32(*file.Find("empty_rows"), &unused));
    CHECK(file.GetFloat("general.huge") == 1e30f);
  }
}

TEST_CASE("an unsupported tensor type is named when the tensor is needed", "[gguf][errors]") {
  test::TempDir dir;
  const std::string path = (dir.path() / "iq.gguf").string();
  test::GgufBuilder b;
  b.String("general.architecture", "gemma");
  b.UInt32("gemma.context_length", 64);
  b.UInt32("gemma.embedding_length", 256);
  b.UInt32("gemma.block_count", 1);
  b.UInt32("gemma.feed_forward_length", 64);
  b.UInt32("gemma.attention.head_count", 2);
  b.UInt32("gemma.attention.head_count_kv", 1);
  b.UInt32("gemma.attention.key_length", 128);
  b.Float32("gemma.attention.layer_norm_rms_epsilon", 1e-6f);
  // IQ2_XXS (type 16): 66 bytes per 256 values; a 256 x 8 embedding.
  b.Tensor("token_embd.weight", {256, 8}, 16, std::vector<uint8_t>(66 * 8));
  b.Write(path);
  auto backend = MakeBackend("reference");
  CHECK_THROWS_WITH(LoadModel(path, *backend),
                    Contains(path) && Contains("'token_embd.weight'") && Contains("IQ2_XXS") &&
                        Contains("cannot dequantize"));
}

TEST_CASE("a GGUF without a tokenizer says so", "[gguf][tokenizer][errors]") {
  GgufCase g;
  CHECK_THROWS_WITH(LoadTokenizer(g.path),
                    Contains(g.path) && Contains("no tokenizer in this file"));
  CHECK_THAT(InspectCheckpoint(g.path).tokenizer, Contains("none"));
}

TEST_CASE("a GGUF vocabulary becomes a sentencepiece tokenizer", "[gguf][tokenizer]") {
  test::TempDir dir;
  const std::string path = (dir.path() / "tok.gguf").string();
  test::WriteTinyFixtureAsGguf(test::TinyFixture("gemma-mqa"), path, /*with_tokenizer=*/true);
  auto tok = LoadTokenizer(path);
  CHECK(tok->vocab_size() == 320);
  CHECK(tok->bos_id() == 2);
  CHECK(tok->eos_id() == 1);
  // Pieces: 260 "▁", 261 "a", 262 "b", 263 "ab", 264 "▁ab". BPE merges the pair with the
  // highest score first; spaces become "▁" with no dummy prefix; other bytes fall back
  // to <0xNN> pieces (id 4 + byte).
  CHECK(tok->Encode("ab") == std::vector<int32_t>{2, 263});
  CHECK(tok->Encode(" ab") == std::vector<int32_t>{2, 264});
  CHECK(tok->Encode("ab  b") == std::vector<int32_t>{2, 263, 260, 260, 262});
  CHECK(tok->Encode("z", /*add_bos=*/false) == std::vector<int32_t>{4 + 'z'});
  CHECK(tok->Decode(tok->Encode("ab  b z")) == "ab  b z");
}

}  // namespace
}  // namespace gemmeter
