// Bad checkpoints: every corruption gives an Error that names the file and the field
// (or tensor) at fault; none crashes or loads silently.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>

#include <nlohmann/json.hpp>

#include "engine/backend/backend.h"
#include "engine/core/error.h"
#include "engine/io/safetensors.h"
#include "engine/model/checkpoint.h"
#include "tests/test_util.h"

namespace gemmeter {
namespace {

namespace fs = std::filesystem;
using Catch::Contains;

// A writable copy of the gemma-mqa fixture.
struct Checkpoint {
  test::TempDir dir;
  fs::path folder = dir.path() / "ckpt";
  fs::path weights = folder / "model.safetensors";
  Checkpoint() { test::CopyFolder(test::TinyFixture("gemma-mqa"), folder); }

  void Load() const {
    auto backend = MakeBackend("reference");
    LoadModel(folder.string(), *backend);
  }
  // Rewrites the weights after `edit` changes the tensor list.
  template <typename Edit>
  void EditTensors(Edit edit) const {
    auto tensors = test::ReadRawTensors(weights.string());
    edit(tensors);
    test::WriteSafetensors(weights.string(), tensors);
  }
  void Truncate(uintmax_t size) const { fs::resize_file(weights, size); }
  void WriteConfig(const std::string& text) const { std::ofstream(folder / "config.json") << text; }
  std::string ReadConfig() const {
    std::ifstream in(folder / "config.json");
    return std::string(std::istreambuf_iterator<char>(in), {});
  }
};

test::RawTensor* FindTensor(std::vector<test::RawTensor>& tensors, const std::string& name) {
  for (auto& t : tensors)
    if (t.name == name) return &t;
  FAIL("fixture lacks " << name);
  return nullptr;
}

const std::string kKProj = "model.layers.0.self_attn.k_proj.weight";  // [16, 64] f32

TEST_CASE("the fixture itself loads", "[errors]") { CHECK_NOTHROW(Checkpoint().Load()); }

TEST_CASE("missing files", "[errors]") {
  Checkpoint c;
  fs::remove(c.weights);
  CHECK_THROWS_WITH(c.Load(), Contains(c.folder.string()) && Contains("no model.safetensors"));
  fs::remove(c.folder / "config.json");
  CHECK_THROWS_WITH(c.Load(), Contains("missing config.json"));
  CHECK_THROWS_WITH(
      [] { auto b = MakeBackend("reference"); LoadModel("/nonexistent/model", *b); }(),
      Contains("/nonexistent/model: no such file or folder"));
}

TEST_CASE("truncated safetensors files", "[errors]") {
  Checkpoint c;
  const auto size = fs::file_size(c.weights);
  SECTION("inside the data") {
    c.Truncate(size / 2);
    CHECK_THROWS_WITH(c.Load(), Contains(c.weights.string()) && Contains("data_offsets") &&
                                    Contains("truncated"));
  }
  SECTION("inside the header") {
    c.Truncate(40);
    CHECK_THROWS_WITH(c.Load(), Contains(c.weights.string()) && Contains("header length"));
  }
  SECTION("shorter than the length prefix") {
    c.Truncate(5);
    CHECK_THROWS_WITH(c.Load(), Contains(c.weights.string()) && Contains("too short"));
  }
}

TEST_CASE("headers that lie", "[errors]") {
  Checkpoint c;
  SECTION("offsets past the end of the data") {
    // Same bytes, but k_proj's header entry points 1 GiB past the data section.
    const auto tensors = test::ReadRawTensors(c.weights.string());
    test::WriteSafetensors(c.weights.string(), tensors, [](nlohmann::json& header) {
      const auto begin = header[kKProj]["data_offsets"][0].get<uint64_t>();
      const auto end = header[kKProj]["data_offsets"][1].get<uint64_t>();
      header[kKProj]["data_offsets"] = {begin + (1ull << 30), end + (1ull << 30)};
    });
    CHECK_THROWS_WITH(c.Load(), Contains(c.weights.string()) && Contains(kKProj) &&
                                    Contains("data_offsets"));
  }
  SECTION("offsets that disagree with shape and dtype") {
    c.EditTensors([](auto& tensors) { FindTensor(tensors, kKProj)->shape = {16, 65}; });
    CHECK_THROWS_WITH(c.Load(), Contains(c.weights.string()) && Contains(kKProj) &&
                                    Contains("spans 4096 bytes but f32 [16, 65] needs 4160"));
  }
  SECTION("a header that is not JSON") {
    std::ofstream out(c.weights, std::ios::binary | std::ios::trunc);
    const uint64_t len = 8;
    out.write(reinterpret_cast<const char*>(&len), 8);
    out << "{oops!!}";
    out.close();
    CHECK_THROWS_WITH(c.Load(), Contains(c.weights.string()) && Contains("not valid JSON"));
  }
}

TEST_CASE("tensors with the wrong shape, dtype or name", "[errors]") {
  Checkpoint c;
  SECTION("transposed shape") {
    c.EditTensors([](auto& tensors) { FindTensor(tensors, kKProj)->shape = {64, 16}; });
    CHECK_THROWS_WITH(c.Load(), Contains(c.weights.string()) && Contains(kKProj) &&
                                    Contains("shape [64, 16]") && Contains("needs [16, 64]"));
  }
  SECTION("integer dtype") {
    c.EditTensors([](auto& tensors) { FindTensor(tensors, kKProj)->dtype = "I32"; });
    CHECK_THROWS_WITH(c.Load(), Contains(kKProj) && Contains("dtype i32"));
  }
  SECTION("unknown dtype") {
    c.EditTensors([](auto& tensors) {
      auto* t = FindTensor(tensors, kKProj);
      t->dtype = "F8_E4M3";
      t->bytes.resize(t->bytes.size() / 4);
    });
    CHECK_THROWS_WITH(c.Load(), Contains(kKProj) && Contains("unsupported dtype \"F8_E4M3\""));
  }
  SECTION("missing tensor") {
    c.EditTensors([](auto& tensors) {
      std::erase_if(tensors, [](const auto& t) { return t.name == "model.layers.1.mlp.down_proj.weight"; });
    });
    CHECK_THROWS_WITH(c.Load(), Contains(c.folder.string()) &&
                                    Contains("missing tensor 'model.layers.1.mlp.down_proj.weight'"));
  }
}

TEST_CASE("config.json problems", "[errors]") {
  Checkpoint c;
  const std::string config = c.ReadConfig();
  const std::string config_path = (c.folder / "config.json").string();
  SECTION("unknown model type") {
    std::string edited = config;
    edited.replace(edited.find("\"gemma\""), 7, "\"mamba\"");
    c.WriteConfig(edited);
    CHECK_THROWS_WITH(c.Load(), Contains(config_path) && Contains("\"model_type\" is \"mamba\""));
  }
  SECTION("missing key") {
    auto j = nlohmann::json::parse(config);
    j.erase("intermediate_size");
    c.WriteConfig(j.dump());
    CHECK_THROWS_WITH(c.Load(), Contains(config_path) && Contains("missing field \"intermediate_size\""));
  }
  SECTION("a layer count the layer list cannot be allocated for") {  // fuzz/crashes/config_json
    auto j = nlohmann::json::parse(config);
    for (const int64_t layers : {int64_t{-1}, int64_t{1000000000}}) {
      j["num_hidden_layers"] = layers;
      c.WriteConfig(j.dump());
      CHECK_THROWS_WITH(c.Load(), Contains(config_path) && Contains("\"num_hidden_layers\"") &&
                                      Contains("expected 1 to 1024"));
    }
  }
  SECTION("dimensions that disagree with the weights") {
    auto j = nlohmann::json::parse(config);
    j["intermediate_size"] = 128;
    c.WriteConfig(j.dump());
    CHECK_THROWS_WITH(c.Load(), Contains("model.layers.0.mlp.gate_proj.weight") &&
                                    Contains("needs [128, 64]"));
  }
}

TEST_CASE("sharded checkpoints with a broken index", "[errors]") {
  test::TempDir dir;
  const fs::path folder = dir.path() / "sharded";
  test::CopyFolder(test::TinyFixture("gemma2"), folder);
  const fs::path index = folder / "model.safetensors.index.json";
  auto j = nlohmann::json::parse(std::ifstream(index));
  auto backend = MakeBackend("reference");
  SECTION("a shard is missing") {
    fs::remove(folder / "model-00002-of-00002.safetensors");
    CHECK_THROWS_WITH(LoadModel(folder.string(), *backend),
                      Contains(index.string()) && Contains("model-00002-of-00002.safetensors") &&
                          Contains("does not exist"));
  }
  SECTION("the index points at the wrong shard") {
    const std::string name = "model.embed_tokens.weight";
    const std::string other = j["weight_map"][name] == "model-00001-of-00002.safetensors"
                                  ? "model-00002-of-00002.safetensors"
                                  : "model-00001-of-00002.safetensors";
    j["weight_map"][name] = other;
    std::ofstream(index) << j.dump();
    CHECK_THROWS_WITH(LoadModel(folder.string(), *backend),
                      Contains(index.string()) && Contains(name) && Contains("does not contain it"));
  }
  SECTION("a shard outside the folder, or a name no file can have") {
    const std::string name = "model.embed_tokens.weight";
    for (const std::string& shard : {std::string("../model-00001-of-00002.safetensors"),
                                     std::string(300, 'x'), std::string(".."), std::string()}) {
      j["weight_map"][name] = shard;
      std::ofstream(index) << j.dump();
      CHECK_THROWS_WITH(LoadModel(folder.string(), *backend),
                        Contains(index.string()) && Contains(name) &&
                            Contains("is not the name of a file beside the index"));
    }
  }
  SECTION("no weight_map") {
    std::ofstream(index) << R"({"metadata": {}})";
    CHECK_THROWS_WITH(LoadModel(folder.string(), *backend),
                      Contains(index.string()) && Contains("missing field \"weight_map\""));
  }
}

TEST_CASE("unknown backends are refused by name", "[errors]") {
  CHECK_THROWS_WITH(MakeBackend("tpu"), Contains("unknown backend 'tpu'"));
}

}  // namespace
}  // namespace gemmeter
