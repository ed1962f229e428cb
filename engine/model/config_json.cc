// Hugging Face config.json -> ModelConfig.
//
// Reads both spellings of the RoPE settings: transformers < 5 writes rope_theta,
// rope_local_base_freq (Gemma 3) and rope_scaling; transformers 5 writes rope_parameters,
// per layer type for Gemma 3. Keys that transformers fills with class defaults when they
// are absent (the soft-caps) get the same defaults here; the dimensions have no
// meaningful default and are required.
#include <cmath>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "engine/core/error.h"
#include "engine/model/config.h"
#include "engine/model/layer_pattern.h"

namespace gemmeter {
namespace {

using nlohmann::json;

class ConfigReader {
 public:
  ConfigReader(const json& j, std::string path, std::string prefix = "")
      : j_(j), path_(std::move(path)), prefix_(std::move(prefix)) {}

  bool Has(const char* key) const { return j_.contains(key) && !j_.at(key).is_null(); }

  const json& Raw(const char* key) const {
    if (!j_.contains(key)) Fail("{}: missing field \"{}{}\"", path_, prefix_, key);
    return j_.at(key);
  }

  int64_t Int(const char* key) const {
    const json& v = Raw(key);
    if (!v.is_number_integer()) Fail("{}: field \"{}{}\" must be an integer, got {}", path_, prefix_, key, v.dump());
    return v.get<int64_t>();
  }

  double Number(const char* key) const {
    const json& v = Raw(key);
    if (!v.is_number()) Fail("{}: field \"{}{}\" must be a number, got {}", path_, prefix_, key, v.dump());
    return v.get<double>();
  }

  // A number that may be absent or null: null means "off" (0), absent means `fallback`.
  double OptionalNumber(const char* key, double fallback) const {
    if (!j_.contains(key)) return fallback;
    if (j_.at(key).is_null()) return 0.0;
    return Number(key);
  }

  std::string String(const char* key) const {
    const json& v = Raw(key);
    if (!v.is_string()) Fail("{}: field \"{}{}\" must be a string, got {}", path_, prefix_, key, v.dump());
    return v.get<std::string>();
  }

  // Token ids may be an integer or a list (Gemma 3 lists [1, 106] as eos); take the first.
  int TokenId(const char* key, int fallback) const {
    if (!Has(key)) return fallback;
    const json& v = j_.at(key);
    const json& first = v.is_array() && !v.empty() ? v.front() : v;
    if (!first.is_number_integer()) Fail("{}: field \"{}{}\" must be a token id, got {}", path_, prefix_, key, v.dump());
    return first.get<int>();
  }

  const std::string& path() const { return path_; }
  const std::string& prefix() const { return prefix_; }
  const json& json_value() const { return j_; }

 private:
  const json& j_;
  std::string path_;
  std::string prefix_;
};

struct Rope {
  float theta = 10000.0f;
  float factor = 1.0f;
};

// One RoPE parameter object: {"rope_type": "default"|"linear", "rope_theta": x, "factor": f}.
Rope ParseRopeObject(const json& obj, const std::string& path, const std::string& field,
                     std::optional<float> theta_fallback) {
  Rope rope;
  if (!obj.is_object()) Fail("{}: field \"{}\" must be an object, got {}", path, field, obj.dump());
  ConfigReader r(obj, path, field + ".");
  const std::string type =
      r.Has("rope_type") ? r.String("rope_type") : (r.Has("type") ? r.String("type") : "default");
  if (r.Has("rope_theta")) {
    rope.theta = static_cast<float>(r.Number("rope_theta"));
  } else if (theta_fallback) {
    rope.theta = *theta_fallback;
  } else {
    r.Raw("rope_theta");  // throws: missing field
  }
  if (type == "linear") {
    rope.factor = static_cast<float>(r.Number("factor"));
  } else if (type != "default") {
    Fail("{}: field \"{}.rope_type\" is \"{}\"; supported: default, linear", path, field, type);
  }
  return rope;
}

// Gemma 1 and 2: one RoPE for every layer.
Rope ReadSingleRope(const ConfigReader& r) {
  if (r.Has("rope_parameters")) {
    return ParseRopeObject(r.Raw("rope_parameters"), r.path(), r.prefix() + "rope_parameters",
                           std::nullopt);
  }
  Rope rope{static_cast<float>(r.Number("rope_theta")), 1.0f};
  if (r.Has("rope_scaling")) {
    rope.factor = ParseRopeObject(r.Raw("rope_scaling"), r.path(), r.prefix() + "rope_scaling",
                                  rope.theta).factor;
  }
  return rope;
}

// Gemma 3: separate RoPE for sliding (local) and full (global) layers.
std::pair<Rope, Rope> ReadGemma3Ropes(const ConfigReader& r) {
  if (r.Has("rope_parameters")) {
    const json& p = r.Raw("rope_parameters");
    const std::string field = r.prefix() + "rope_parameters";
    ConfigReader pr(p, r.path(), field + ".");
    return {ParseRopeObject(pr.Raw("sliding_attention"), r.path(), field + ".sliding_attention",
                            std::nullopt),
            ParseRopeObject(pr.Raw("full_attention"), r.path(), field + ".full_attention",
                            std::nullopt)};
  }
  Rope local{static_cast<float>(r.Number("rope_local_base_freq")), 1.0f};
  Rope global{static_cast<float>(r.Number("rope_theta")), 1.0f};
  if (r.Has("rope_scaling")) {  // applies to global layers only
    global.factor = ParseRopeObject(r.Raw("rope_scaling"), r.path(), r.prefix() + "rope_scaling",
                                    global.theta).factor;
  }
  return {local, global};
}

// layer_types: ["sliding_attention" | "full_attention", ...]; empty when absent.
std::vector<bool> ReadSlidingLayers(const ConfigReader& r, int num_layers) {
  std::vector<bool> sliding;
  if (!r.Has("layer_types")) return sliding;
  const json& types = r.Raw("layer_types");
  if (!types.is_array() || static_cast<int>(types.size()) != num_layers) {
    Fail("{}: field \"{}layer_types\" must list {} layer types", r.path(), r.prefix(), num_layers);
  }
  for (const json& t : types) {
    const std::string s = t.is_string() ? t.get<std::string>() : t.dump();
    if (s != "sliding_attention" && s != "full_attention") {
      Fail("{}: field \"{}layer_types\" has unknown entry {}", r.path(), r.prefix(), s);
    }
    sliding.push_back(s == "sliding_attention");
  }
  return sliding;
}

void RejectUnsupported(const ConfigReader& r) {
  if (r.Has("attention_bias") && r.Raw("attention_bias").is_boolean() &&
      r.Raw("attention_bias").get<bool>()) {
    Fail("{}: field \"{}attention_bias\" is true; Gemma has no attention biases", r.path(), r.prefix());
  }
  if (r.Has("use_bidirectional_attention") && r.Raw("use_bidirectional_attention").is_boolean() &&
      r.Raw("use_bidirectional_attention").get<bool>()) {
    Fail("{}: field \"{}use_bidirectional_attention\" is true; only causal models are supported",
         r.path(), r.prefix());
  }
  if (r.Has("tie_word_embeddings") && r.Raw("tie_word_embeddings").is_boolean() &&
      !r.Raw("tie_word_embeddings").get<bool>()) {
    Fail("{}: field \"{}tie_word_embeddings\" is false; Gemma ties the LM head to the embeddings",
         r.path(), r.prefix());
  }
  // Gemma 1 checkpoints say hidden_act "gelu" and transformers runs tanh-GELU anyway;
  // an explicit hidden_activation must be the tanh form.
  if (r.Has("hidden_activation")) {
    const std::string act = r.String("hidden_activation");
    if (act != "gelu_pytorch_tanh" && act != "gelu_tanh") {
      Fail("{}: field \"{}hidden_activation\" is \"{}\"; supported: gelu_pytorch_tanh", r.path(),
           r.prefix(), act);
    }
  }
}

ModelConfig ParseTextConfig(const ConfigReader& r, Family family) {
  RejectUnsupported(r);
  ModelConfig c;
  c.name = r.path();
  c.family = family;
  c.vocab_size = r.Int("vocab_size");
  c.hidden_size = r.Int("hidden_size");
  c.intermediate_size = r.Int("intermediate_size");
  const int64_t num_layers = r.Int("num_hidden_layers");
  if (num_layers < 1 || num_layers > kMaxLayers) {  // before the layer list is allocated
    Fail("{}: field \"{}num_hidden_layers\" is {}; expected 1 to {}", r.path(), r.prefix(),
         num_layers, kMaxLayers);
  }
  c.num_layers = static_cast<int>(num_layers);
  c.num_heads = static_cast<int>(r.Int("num_attention_heads"));
  c.num_kv_heads = static_cast<int>(r.Int("num_key_value_heads"));
  c.head_dim = static_cast<int>(r.Int("head_dim"));
  c.rms_norm_eps = static_cast<float>(r.Number("rms_norm_eps"));
  c.max_position_embeddings = r.Has("max_position_embeddings") ? r.Int("max_position_embeddings") : 0;
  c.bos_id = r.TokenId("bos_token_id", 2);
  c.eos_id = r.TokenId("eos_token_id", 1);
  c.pad_id = r.TokenId("pad_token_id", 0);
  c.end_of_turn_id = family == Family::kGemma3 ? 106 : 107;

  if (family == Family::kGemma) {
    c.query_scale = static_cast<float>(1.0 / std::sqrt(static_cast<double>(c.head_dim)));
    const Rope rope = ReadSingleRope(r);
    c.layers = GlobalLayers(c.num_layers, rope.theta);
    for (LayerConfig& l : c.layers) l.rope_scaling_factor = rope.factor;
    return c;
  }

  c.sandwich_norms = true;
  c.query_scale = static_cast<float>(1.0 / std::sqrt(r.Number("query_pre_attn_scalar")));
  // transformers' class defaults when the keys are absent: Gemma 2 caps 50 / 30, Gemma 3 none.
  const bool g2 = family == Family::kGemma2;
  c.attn_softcap = static_cast<float>(r.OptionalNumber("attn_logit_softcapping", g2 ? 50.0 : 0.0));
  c.final_softcap = static_cast<float>(r.OptionalNumber("final_logit_softcapping", g2 ? 30.0 : 0.0));
  std::vector<bool> sliding = ReadSlidingLayers(r, c.num_layers);
  const int window = static_cast<int>(r.Int("sliding_window"));

  if (g2) {
    const Rope rope = ReadSingleRope(r);
    c.layers = Gemma2Layers(c.num_layers, window, rope.theta);
    for (LayerConfig& l : c.layers) l.rope_scaling_factor = rope.factor;
  } else {
    c.qk_norm = true;
    const auto [local, global] = ReadGemma3Ropes(r);
    int pattern = 6;
    if (r.Has("sliding_window_pattern")) pattern = static_cast<int>(r.Int("sliding_window_pattern"));
    else if (r.Has("_sliding_window_pattern")) pattern = static_cast<int>(r.Int("_sliding_window_pattern"));
    c.layers = Gemma3Layers(c.num_layers, pattern, window, local.theta, global.theta, global.factor);
  }
  // An explicit layer_types list overrides the family's default pattern.
  for (size_t i = 0; i < sliding.size(); ++i) {
    if (family == Family::kGemma3 && sliding[i] != (c.layers[i].sliding_window > 0)) {
      const auto [local, global] = ReadGemma3Ropes(r);
      const Rope& rope = sliding[i] ? local : global;
      c.layers[i] = LayerConfig{sliding[i] ? window : 0, rope.theta, rope.factor};
    } else {
      c.layers[i].sliding_window = sliding[i] ? window : 0;
    }
  }
  return c;
}

}  // namespace

ModelConfig ConfigFromHfJsonText(const std::string& text, const std::string& path) {
  json j;
  try {
    j = json::parse(text);
  } catch (const json::exception& e) {
    Fail("{}: not valid JSON: {}", path, e.what());
  }
  if (!j.is_object()) Fail("{}: not a JSON object", path);
  ConfigReader r(j, path);
  const std::string type = r.String("model_type");
  ModelConfig c;
  if (type == "gemma") {
    c = ParseTextConfig(r, Family::kGemma);
  } else if (type == "gemma2") {
    c = ParseTextConfig(r, Family::kGemma2);
  } else if (type == "gemma3_text") {
    c = ParseTextConfig(r, Family::kGemma3);
  } else if (type == "gemma3") {  // multimodal checkpoint: use its text model
    ConfigReader text_config(r.Raw("text_config"), path, "text_config.");
    c = ParseTextConfig(text_config, Family::kGemma3);
  } else {
    Fail("{}: field \"model_type\" is \"{}\"; supported: gemma, gemma2, gemma3_text, gemma3", path,
         type);
  }
  try {
    c.Validate();
  } catch (const Error& e) {
    Fail("{}: {}", path, e.what());
  }
  return c;
}

ModelConfig ConfigFromHfJsonFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) Fail("{}: cannot open", path);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return ConfigFromHfJsonText(buffer.str(), path);
}

}  // namespace gemmeter
