// The published Gemma text models as data. Numbers: engine-facts.md section 1.8
// (transformers config.json of each model, cross-checked against gemma.cpp configs.cc).
#include <cmath>
#include <functional>
#include <map>

#include "engine/core/error.h"
#include "engine/model/config.h"
#include "engine/model/layer_pattern.h"

namespace gemmeter {
namespace {

struct Dims {
  int64_t vocab, hidden, intermediate;
  int layers, heads, kv_heads;
};

ModelConfig Gemma1(std::string name, Dims d) {
  ModelConfig c;
  c.name = std::move(name);
  c.family = Family::kGemma;
  c.vocab_size = d.vocab;
  c.hidden_size = d.hidden;
  c.intermediate_size = d.intermediate;
  c.num_layers = d.layers;
  c.num_heads = d.heads;
  c.num_kv_heads = d.kv_heads;
  c.head_dim = 256;
  c.query_scale = 1.0f / std::sqrt(256.0f);
  c.max_position_embeddings = 8192;
  c.end_of_turn_id = 107;
  c.layers = GlobalLayers(c.num_layers, 10000.0f);
  return c;
}

ModelConfig Gemma2(std::string name, Dims d) {
  ModelConfig c = Gemma1(std::move(name), d);
  c.family = Family::kGemma2;
  c.query_scale = 1.0f / std::sqrt(256.0f);  // query_pre_attn_scalar 256
  c.attn_softcap = 50.0f;
  c.final_softcap = 30.0f;
  c.sandwich_norms = true;
  c.layers = Gemma2Layers(c.num_layers, /*window=*/4096, 10000.0f);
  return c;
}

ModelConfig Gemma3(std::string name, Dims d) {
  ModelConfig c = Gemma1(std::move(name), d);
  c.family = Family::kGemma3;
  c.query_scale = 1.0f / std::sqrt(256.0f);  // query_pre_attn_scalar 256
  c.sandwich_norms = true;
  c.qk_norm = true;
  c.max_position_embeddings = 32768;
  c.end_of_turn_id = 106;
  c.layers = Gemma3Layers(c.num_layers, /*pattern=*/6, /*window=*/512,
                          /*local_theta=*/10000.0f, /*global_theta=*/1000000.0f,
                          /*global_scaling=*/1.0f);
  return c;
}

const std::map<std::string, std::function<ModelConfig()>, std::less<>>& Presets() {
  static const std::map<std::string, std::function<ModelConfig()>, std::less<>> presets = {
      {"gemma-2b", [] { return Gemma1("gemma-2b", {256000, 2048, 16384, 18, 8, 1}); }},
      {"gemma-7b", [] { return Gemma1("gemma-7b", {256000, 3072, 24576, 28, 16, 16}); }},
      {"gemma-2-2b", [] { return Gemma2("gemma-2-2b", {256000, 2304, 9216, 26, 8, 4}); }},
      {"gemma-2-9b", [] { return Gemma2("gemma-2-9b", {256000, 3584, 14336, 42, 16, 8}); }},
      {"gemma-3-270m", [] { return Gemma3("gemma-3-270m", {262144, 640, 2048, 18, 4, 1}); }},
      {"gemma-3-1b", [] { return Gemma3("gemma-3-1b", {262144, 1152, 6912, 26, 4, 1}); }},
  };
  return presets;
}

}  // namespace

std::vector<std::string> PresetNames() {
  // Listed in publication order, not alphabetically.
  return {"gemma-2b", "gemma-7b", "gemma-2-2b", "gemma-2-9b", "gemma-3-270m", "gemma-3-1b"};
}

ModelConfig Preset(std::string_view name) {
  const auto& presets = Presets();
  auto it = presets.find(name);
  if (it == presets.end()) {
    std::string known;
    for (const std::string& n : PresetNames()) known += (known.empty() ? "" : ", ") + n;
    Fail("unknown model preset '{}' (known: {})", name, known);
  }
  ModelConfig c = it->second();
  c.Validate();
  return c;
}

}  // namespace gemmeter
