// make_seeds: writes the binary seed inputs of the fuzz targets into FUZZ_DIR/corpus/
// (GGUF files made with the tests' GgufBuilder, safetensors files, dequantizer blocks).
// The text seeds (config.json, MMLU, PIQA, HellaSwag, the shard index) are committed as
// they are; fuzz/README.md says where each comes from.
//
//   ninja -C build-fuzz fuzz/make_seeds && build-fuzz/fuzz/make_seeds fuzz
//
// Seeds are small on purpose: libFuzzer's default -max_len is the largest seed, and small
// inputs mutate and run faster.
#include <fmt/format.h>

#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "engine/core/dtype.h"
#include "engine/core/quant_blocks.h"
#include "engine/io/ggml_types.h"
#include "fuzz/fuzz_util.h"
#include "tests/gguf_builder.h"

namespace {

namespace fs = std::filesystem;
using gemmeter::test::GgufBuilder;
using nlohmann::json;

fs::path g_root;

void Save(const std::string& target, const std::string& name, const std::string& bytes) {
  const fs::path dir = g_root / "corpus" / target;
  fs::create_directories(dir);
  std::ofstream out(dir / name, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  std::printf("%s/%s: %zu bytes\n", target.c_str(), name.c_str(), bytes.size());
}

// `blocks` blocks of GGUF type `type_id` with varied bytes and every binary16 scale 0.5
// (so the values are finite and not all zero).
std::vector<uint8_t> Blocks(uint32_t type_id, int blocks) {
  const gemmeter::DType dtype = *gemmeter::DTypeOfGgmlType(type_id);
  const size_t block_bytes = gemmeter::BlockBytes(dtype);
  std::vector<uint8_t> bytes(block_bytes * static_cast<size_t>(blocks));
  for (size_t i = 0; i < bytes.size(); ++i) bytes[i] = static_cast<uint8_t>(i * 37 + 11);
  if (!gemmeter::IsBlockFormat(dtype)) return bytes;  // plain values: any bytes do
  const uint16_t half = gemmeter::FloatToF16(0.5f);
  for (int b = 0; b < blocks; ++b) {
    for (size_t offset : gemmeter::HalfScaleOffsets(dtype)) {
      std::memcpy(&bytes[static_cast<size_t>(b) * block_bytes + offset], &half, 2);
    }
  }
  return bytes;
}

void ArchitectureKeys(GgufBuilder& b, const std::string& arch) {
  auto key = [&](const char* k) { return fmt::format("{}.{}", arch, k); };
  b.String("general.architecture", arch);
  b.String("general.name", "fuzz seed " + arch);
  b.UInt32(key("context_length"), 128);
  b.UInt32(key("embedding_length"), 8);
  b.UInt32(key("block_count"), 1);
  b.UInt32(key("feed_forward_length"), 16);
  b.UInt32(key("attention.head_count"), 2);
  b.UInt32(key("attention.head_count_kv"), 1);
  b.UInt32(key("attention.key_length"), 4);
  b.UInt32(key("attention.value_length"), 4);
  b.Float32(key("attention.layer_norm_rms_epsilon"), 1e-6f);
  if (arch != "gemma") b.UInt32(key("attention.sliding_window"), 4);
}

void GgufSeeds() {
  {  // Gemma 3 with one tensor of every type gemmeter reads, and one it does not.
    GgufBuilder b;
    ArchitectureKeys(b, "gemma3");
    b.Float32("gemma3.rope.freq_base", 1e6f);
    b.String("gemma3.rope.scaling.type", "linear");
    b.Float32("gemma3.rope.scaling.factor", 8.0f);
    b.Bool("general.fuzz_flag", true);
    b.Int32Array("general.fuzz_ints", {1, -2, 3});
    b.Tensor("token_embd.weight", {8, 4}, 0, Blocks(0, 32));
    b.Tensor("output_norm.weight", {8}, 0, Blocks(0, 8));
    b.Tensor("blk.0.attn_q.weight", {32, 1}, 8, Blocks(8, 1));
    b.Tensor("blk.0.attn_k.weight", {32, 2}, 2, Blocks(2, 2));
    b.Tensor("blk.0.attn_v.weight", {32}, 6, Blocks(6, 1));
    b.Tensor("blk.0.ffn_gate.weight", {256, 1}, 12, Blocks(12, 1));
    b.Tensor("blk.0.ffn_up.weight", {256, 1, 1}, 13, Blocks(13, 1));
    b.Tensor("blk.0.ffn_down.weight", {256, 1, 1, 1}, 14, Blocks(14, 1));
    b.Tensor("blk.0.attn_norm.weight", {4, 2}, 1, Blocks(1, 8));
    b.Tensor("blk.0.ffn_norm.weight", {4}, 30, Blocks(30, 4));
    b.Tensor("blk.0.unsupported.weight", {256}, 10, std::vector<uint8_t>(84, 7));
    Save("gguf", "gemma3_every_type.gguf", b.Build());
  }
  {  // Gemma 2, GGUF version 2, an explicit alignment.
    GgufBuilder b;
    ArchitectureKeys(b, "gemma2");
    b.UInt32("general.alignment", GgufBuilder::kAlignment);
    b.Float32("gemma2.attn_logit_softcapping", 50.0f);
    b.Float32("gemma2.final_logit_softcapping", 30.0f);
    b.Tensor("token_embd.weight", {8, 4}, 0, Blocks(0, 32));
    Save("gguf", "gemma2_v2.gguf", b.Build(/*version=*/2));
  }
  {  // Gemma 1 with a string array.
    GgufBuilder b;
    ArchitectureKeys(b, "gemma");
    b.StringArray("general.tags", {"a", "", "text"});
    b.Float32Array("general.fuzz_floats", {0.5f, -1.0f});
    b.Tensor("token_embd.weight", {32, 4}, 8, Blocks(8, 4));
    Save("gguf", "gemma_q8.gguf", b.Build());
  }
}

// A Gemma-like vocabulary: special pieces, markup, the 256 byte pieces, a few words and
// user-defined whitespace pieces.
void TokenizerSeeds() {
  std::vector<std::string> tokens = {"<pad>", "<eos>", "<bos>", "<unk>", "<start_of_turn>",
                                     "<end_of_turn>", "[multimodal]"};
  std::vector<int32_t> types = {3, 3, 3, 3, 3, 3, 4};
  for (int i = 0; i < 256; ++i) {
    tokens.push_back(fmt::format("<0x{:02X}>", i));
    types.push_back(6);
  }
  const std::pair<const char*, int32_t> words[] = {
      {"\xE2\x96\x81", 1}, {"a", 1}, {"b", 1}, {"ab", 1}, {"\xE2\x96\x81" "ab", 1},
      {"  ", 4}, {"   ", 4}, {"<unused0>", 5}};
  for (const auto& [w, type] : words) {
    tokens.push_back(w);
    types.push_back(type);
  }
  std::vector<float> scores(tokens.size(), 0.0f);
  for (size_t i = 0; i < scores.size(); ++i) scores[i] = -static_cast<float>(i % 17);
  {
    GgufBuilder b;
    b.String("general.architecture", "gemma3");
    b.String("tokenizer.ggml.model", "llama");
    b.StringArray("tokenizer.ggml.tokens", tokens);
    b.Float32Array("tokenizer.ggml.scores", scores);
    b.Int32Array("tokenizer.ggml.token_type", types);
    b.UInt32("tokenizer.ggml.bos_token_id", 2);
    b.UInt32("tokenizer.ggml.eos_token_id", 1);
    b.UInt32("tokenizer.ggml.unknown_token_id", 3);
    b.UInt32("tokenizer.ggml.padding_token_id", 0);
    Save("gguf_tokenizer", "gemma_vocab.gguf", b.Build());
  }
  {  // The defaults: no model name, no special ids.
    GgufBuilder b;
    b.StringArray("tokenizer.ggml.tokens", tokens);
    b.Float32Array("tokenizer.ggml.scores", scores);
    b.Int32Array("tokenizer.ggml.token_type", types);
    Save("gguf_tokenizer", "defaults.gguf", b.Build());
  }
}

void DequantSeeds() {
  for (uint32_t id : {0u, 1u, 2u, 6u, 8u, 12u, 13u, 14u, 30u}) {
    const std::vector<uint8_t> blocks = Blocks(id, id == 0 || id == 1 || id == 30 ? 16 : 2);
    std::string bytes(1, static_cast<char>(id));
    bytes.append(blocks.begin(), blocks.end());
    Save("dequant", gemmeter::GgmlTypeName(id) + ".bin", bytes);
  }
  Save("dequant", "Q2_K_unsupported.bin", std::string(1, '\x0a') + std::string(84, '\x07'));
}

void SafetensorsSeeds() {
  const json every_dtype = {
      {"__metadata__", {{"format", "pt"}}},
      {"f32", {{"dtype", "F32"}, {"shape", {2, 3}}, {"data_offsets", {0, 24}}}},
      {"bf16", {{"dtype", "BF16"}, {"shape", {4}}, {"data_offsets", {24, 32}}}},
      {"f16", {{"dtype", "F16"}, {"shape", {2, 2}}, {"data_offsets", {32, 40}}}},
      {"i32", {{"dtype", "I32"}, {"shape", {1, 1, 2}}, {"data_offsets", {40, 48}}}},
      {"i64", {{"dtype", "I64"}, {"shape", {1}}, {"data_offsets", {48, 56}}}},
      {"empty", {{"dtype", "F32"}, {"shape", {0, 3}}, {"data_offsets", {56, 56}}}},
      {"scalar", {{"dtype", "F32"}, {"shape", json::array()}, {"data_offsets", {56, 60}}}}};
  std::string data;
  for (int i = 0; i < 60; ++i) data += static_cast<char>(i * 29 + 3);
  Save("safetensors", "every_dtype.safetensors",
       gemmeter::fuzz::SafetensorsBytes(every_dtype, data));
  Save("safetensors", "empty.safetensors", gemmeter::fuzz::SafetensorsBytes(json::object(), ""));
  const json weights = {
      {"model.embed_tokens.weight",
       {{"dtype", "BF16"}, {"shape", {4, 2}}, {"data_offsets", {0, 16}}}},
      {"model.norm.weight", {{"dtype", "BF16"}, {"shape", {2}}, {"data_offsets", {16, 20}}}}};
  Save("safetensors", "gemma_names.safetensors",
       gemmeter::fuzz::SafetensorsBytes(weights, std::string(20, '\x3f')));
}

void SafetensorsIndexSeeds() {
  // The shards the target writes next to the index (safetensors_index_fuzzer.cc).
  const json index = {{"metadata", {{"total_size", 16}}},
                      {"weight_map",
                       {{"a", "model-00001-of-00002.safetensors"},
                        {"b", "model-00001-of-00002.safetensors"},
                        {"c", "model-00002-of-00002.safetensors"}}}};
  Save("safetensors_index", "two_shards.json", index.dump(2) + "\n");
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: make_seeds FUZZ_DIR   (writes FUZZ_DIR/corpus/<target>/...)\n");
    return 2;
  }
  g_root = argv[1];
  GgufSeeds();
  TokenizerSeeds();
  DequantSeeds();
  SafetensorsSeeds();
  SafetensorsIndexSeeds();
  return 0;
}
