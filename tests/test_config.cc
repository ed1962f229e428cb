// Model configurations: every preset against its published size, the attention
// pattern of each family, and config.json parsing in both transformers spellings.
#include <catch2/catch.hpp>
#include <fmt/format.h>

#include <map>

#include <nlohmann/json.hpp>

#include "engine/core/error.h"
#include "engine/model/config.h"
#include "tests/test_util.h"

namespace gemmeter {
namespace {

using nlohmann::json;

TEST_CASE("every preset has its published parameter count", "[config]") {
  // Totals published with each model (Hugging Face model cards / safetensors metadata).
  const std::map<std::string, int64_t> published = {
      {"gemma-2b", 2'506'172'416},   {"gemma-7b", 8'537'680'896},
      {"gemma-2-2b", 2'614'341'888}, {"gemma-2-9b", 9'241'705'984},
      {"gemma-3-270m", 268'098'176}, {"gemma-3-1b", 999'885'952},
  };
  REQUIRE(PresetNames().size() == published.size());
  for (const std::string& name : PresetNames()) {
    DYNAMIC_SECTION(name) {
      const ModelConfig c = Preset(name);
      CHECK(c.ParameterCount() == published.at(name));
      CHECK(static_cast<int>(c.layers.size()) == c.num_layers);
    }
  }
  CHECK_THROWS_WITH(Preset("gemma-4-1t"), Catch::Contains("unknown model preset 'gemma-4-1t'"));
}

TEST_CASE("each family has its attention pattern", "[config]") {
  const ModelConfig g1 = Preset("gemma-7b");
  for (const LayerConfig& l : g1.layers) CHECK(l.sliding_window == 0);
  CHECK(g1.q_width() == 4096);  // heads * head_dim != hidden (3072)

  const ModelConfig g2 = Preset("gemma-2-9b");
  for (int i = 0; i < g2.num_layers; ++i) CHECK(g2.layers[i].sliding_window == (i % 2 == 0 ? 4096 : 0));
  CHECK(g2.attn_softcap == 50.0f);
  CHECK(g2.final_softcap == 30.0f);

  const ModelConfig g3 = Preset("gemma-3-270m");
  for (int i = 0; i < g3.num_layers; ++i) {
    const bool global = i == 5 || i == 11 || i == 17;
    CHECK(g3.layers[i].sliding_window == (global ? 0 : 512));
    CHECK(g3.layers[i].rope_theta == (global ? 1e6f : 1e4f));
  }
  CHECK(g3.query_scale == 1.0f / 16.0f);
}

// The preset written out as a transformers 4.x config.json (rope_theta,
// rope_local_base_freq, explicit per-family keys), as the published checkpoints ship.
json HfConfigOf(const ModelConfig& c) {
  json j = {{"vocab_size", c.vocab_size},
            {"hidden_size", c.hidden_size},
            {"intermediate_size", c.intermediate_size},
            {"num_hidden_layers", c.num_layers},
            {"num_attention_heads", c.num_heads},
            {"num_key_value_heads", c.num_kv_heads},
            {"head_dim", c.head_dim},
            {"rms_norm_eps", 1e-6},
            {"max_position_embeddings", c.max_position_embeddings},
            {"bos_token_id", 2},
            {"eos_token_id", 1},
            {"pad_token_id", 0},
            {"tie_word_embeddings", true}};
  switch (c.family) {
    case Family::kGemma:
      j["model_type"] = "gemma";
      j["hidden_act"] = "gelu";
      j["rope_theta"] = 10000.0;
      break;
    case Family::kGemma2:
      j["model_type"] = "gemma2";
      j["rope_theta"] = 10000.0;
      j["query_pre_attn_scalar"] = 256;
      j["sliding_window"] = 4096;
      j["attn_logit_softcapping"] = 50.0;
      j["final_logit_softcapping"] = 30.0;
      break;
    case Family::kGemma3:
      j["model_type"] = "gemma3_text";
      j["rope_theta"] = 1000000.0;
      j["rope_local_base_freq"] = 10000.0;
      j["rope_scaling"] = nullptr;
      j["query_pre_attn_scalar"] = 256;
      j["sliding_window"] = 512;
      j["sliding_window_pattern"] = 6;
      j["attn_logit_softcapping"] = nullptr;
      j["final_logit_softcapping"] = nullptr;
      break;
  }
  return j;
}

void RequireSameModel(const ModelConfig& a, const ModelConfig& b) {
  CHECK(a.family == b.family);
  CHECK(a.ParameterCount() == b.ParameterCount());
  CHECK(a.query_scale == Approx(b.query_scale));
  CHECK(a.attn_softcap == b.attn_softcap);
  CHECK(a.final_softcap == b.final_softcap);
  CHECK(a.sandwich_norms == b.sandwich_norms);
  CHECK(a.qk_norm == b.qk_norm);
  REQUIRE(a.layers.size() == b.layers.size());
  for (size_t i = 0; i < a.layers.size(); ++i) {
    CHECK(a.layers[i].sliding_window == b.layers[i].sliding_window);
    CHECK(a.layers[i].rope_theta == b.layers[i].rope_theta);
    CHECK(a.layers[i].rope_scaling_factor == b.layers[i].rope_scaling_factor);
  }
}

TEST_CASE("config.json of every preset reads back as the preset", "[config]") {
  for (const std::string& name : PresetNames()) {
    DYNAMIC_SECTION(name) {
      const ModelConfig preset = Preset(name);
      RequireSameModel(ConfigFromHfJsonText(HfConfigOf(preset).dump(), name + "/config.json"), preset);
    }
  }
}

TEST_CASE("transformers 5 rope_parameters and 4.x keys give the same Gemma 3 config", "[config]") {
  const ModelConfig v5 = ConfigFromHfJsonFile(test::TinyFixture("gemma3") + "/config.json");
  json old = json::parse(R"({
    "model_type": "gemma3_text", "vocab_size": 320, "hidden_size": 64,
    "intermediate_size": 96, "num_hidden_layers": 7, "num_attention_heads": 4,
    "num_key_value_heads": 2, "head_dim": 32, "rms_norm_eps": 1e-6,
    "query_pre_attn_scalar": 32, "sliding_window": 5, "sliding_window_pattern": 6,
    "rope_theta": 1000000.0, "rope_local_base_freq": 10000.0,
    "rope_scaling": {"rope_type": "linear", "factor": 2.0}})");
  RequireSameModel(ConfigFromHfJsonText(old.dump(), "old/config.json"), v5);
  CHECK(v5.layers[5].rope_scaling_factor == 2.0f);  // global layer: scaled
  CHECK(v5.layers[4].rope_scaling_factor == 1.0f);  // local layer: not

  // A multimodal Gemma 3 config nests the text model under text_config.
  json multimodal = {{"model_type", "gemma3"}, {"text_config", old}};
  multimodal["text_config"]["model_type"] = "gemma3_text";
  RequireSameModel(ConfigFromHfJsonText(multimodal.dump(), "mm/config.json"), v5);
}

TEST_CASE("bad config.json files name the file and the field", "[config][errors]") {
  const json good = HfConfigOf(Preset("gemma-2-2b"));
  auto parse = [](const json& j) { return ConfigFromHfJsonText(j.dump(), "ckpt/config.json"); };

  json missing = good;
  missing.erase("num_key_value_heads");
  CHECK_THROWS_WITH(parse(missing), Catch::Contains("ckpt/config.json") &&
                                        Catch::Contains("missing field \"num_key_value_heads\""));

  json unknown = good;
  unknown["model_type"] = "llama";
  CHECK_THROWS_WITH(parse(unknown), Catch::Contains("ckpt/config.json") &&
                                        Catch::Contains("\"model_type\" is \"llama\""));

  json wrong_type = good;
  wrong_type["hidden_size"] = "big";
  CHECK_THROWS_WITH(parse(wrong_type), Catch::Contains("field \"hidden_size\" must be an integer"));

  json bad_heads = good;
  bad_heads["num_key_value_heads"] = 3;  // 8 query heads are not a multiple of 3
  CHECK_THROWS_WITH(parse(bad_heads), Catch::Contains("num_key_value_heads"));

  json bad_rope = HfConfigOf(Preset("gemma-3-1b"));
  bad_rope["rope_scaling"] = {{"rope_type", "yarn"}, {"factor", 4.0}};
  CHECK_THROWS_WITH(parse(bad_rope), Catch::Contains("rope_scaling.rope_type") &&
                                         Catch::Contains("yarn"));

  json untied = good;
  untied["tie_word_embeddings"] = false;
  CHECK_THROWS_WITH(parse(untied), Catch::Contains("tie_word_embeddings"));

  CHECK_THROWS_WITH(ConfigFromHfJsonText("{not json", "ckpt/config.json"),
                    Catch::Contains("ckpt/config.json: not valid JSON"));
  CHECK_THROWS_WITH(ConfigFromHfJsonFile("/nonexistent/config.json"),
                    Catch::Contains("/nonexistent/config.json: cannot open"));
}

}  // namespace
}  // namespace gemmeter
