#include "engine/model/gguf_config.h"

#include <fmt/format.h>

#include <cmath>

#include "engine/core/error.h"
#include "engine/model/layer_pattern.h"

namespace gemmeter {

ModelConfig ConfigFromGguf(const GgufFile& f) {
  const std::string arch = f.GetString("general.architecture");
  ModelConfig c;
  if (arch == "gemma") {
    c.family = Family::kGemma;
  } else if (arch == "gemma2") {
    c.family = Family::kGemma2;
  } else if (arch == "gemma3") {
    c.family = Family::kGemma3;
  } else {
    Fail("{}: metadata 'general.architecture' is '{}'; supported: gemma, gemma2, gemma3", f.path(),
         arch);
  }
  auto key = [&](const char* name) { return fmt::format("{}.{}", arch, name); };
  c.name = f.path();
  c.hidden_size = f.GetInt(key("embedding_length"));
  c.intermediate_size = f.GetInt(key("feed_forward_length"));
  const int64_t num_layers = f.GetInt(key("block_count"));
  if (num_layers < 1 || num_layers > kMaxLayers) {  // before the layer list is allocated
    Fail("{}: metadata '{}' is {}; expected 1 to {}", f.path(), key("block_count"), num_layers,
         kMaxLayers);
  }
  c.num_layers = static_cast<int>(num_layers);
  c.num_heads = static_cast<int>(f.GetInt(key("attention.head_count")));
  c.num_kv_heads = static_cast<int>(f.GetInt(key("attention.head_count_kv")));
  c.head_dim = f.Has(key("attention.key_length"))
                   ? static_cast<int>(f.GetInt(key("attention.key_length")))
                   : static_cast<int>(c.hidden_size / std::max(c.num_heads, 1));
  c.rms_norm_eps = static_cast<float>(f.GetFloat(key("attention.layer_norm_rms_epsilon")));
  c.max_position_embeddings = f.GetInt(key("context_length"));
  // The vocabulary is the embedding's row count (llama.cpp trims padding rows).
  const StoredTensor* embedding = f.Find("token_embd.weight");
  if (embedding == nullptr) Fail("{}: missing tensor 'token_embd.weight'", f.path());
  if (embedding->shape.size() != 2) {
    Fail("{}: tensor 'token_embd.weight' has shape {}, expected [vocab, hidden]", f.path(),
         ShapeToString(embedding->shape));
  }
  c.vocab_size = embedding->shape[0];
  auto token_id = [&](const char* name, int fallback) {
    const std::string k = std::string("tokenizer.ggml.") + name;
    return f.Has(k) ? static_cast<int>(f.GetInt(k)) : fallback;
  };
  c.bos_id = token_id("bos_token_id", 2);
  c.eos_id = token_id("eos_token_id", 1);
  c.pad_id = token_id("padding_token_id", 0);
  c.unk_id = token_id("unknown_token_id", 3);
  c.end_of_turn_id = c.family == Family::kGemma3 ? 106 : 107;

  const double rope_base = f.Has(key("rope.freq_base")) ? f.GetFloat(key("rope.freq_base"))
                                                        : 10000.0;
  if (c.family == Family::kGemma) {
    c.query_scale = static_cast<float>(1.0 / std::sqrt(static_cast<double>(c.head_dim)));
    c.layers = GlobalLayers(c.num_layers, static_cast<float>(rope_base));
  } else {
    c.sandwich_norms = true;
    // GGUF does not store query_pre_attn_scalar. It is head_dim for every Gemma 2/3 size
    // but the 27B models (46 and 62 layers), where it is hidden / heads; llama.cpp makes
    // the same choice (engine-facts.md 1.3).
    const bool is_27b = (c.family == Family::kGemma2 && c.num_layers == 46) ||
                        (c.family == Family::kGemma3 && c.num_layers == 62);
    const double scalar = is_27b ? static_cast<double>(c.hidden_size) / c.num_heads : c.head_dim;
    c.query_scale = static_cast<float>(1.0 / std::sqrt(scalar));
    auto optional_float = [&](const char* name, double fallback) {
      return f.Has(key(name)) ? f.GetFloat(key(name)) : fallback;
    };
    const int window = static_cast<int>(f.GetInt(key("attention.sliding_window")));
    if (c.family == Family::kGemma2) {
      c.attn_softcap = static_cast<float>(optional_float("attn_logit_softcapping", 50.0));
      c.final_softcap = static_cast<float>(optional_float("final_logit_softcapping", 30.0));
      c.layers = Gemma2Layers(c.num_layers, window, static_cast<float>(rope_base));
    } else {
      c.qk_norm = true;
      c.final_softcap = static_cast<float>(optional_float("final_logit_softcapping", 0.0));
      float global_scaling = 1.0f;
      if (f.Has(key("rope.scaling.type"))) {
        const std::string type = f.GetString(key("rope.scaling.type"));
        if (type == "linear") {
          global_scaling = static_cast<float>(f.GetFloat(key("rope.scaling.factor")));
        } else if (type != "none") {
          Fail("{}: metadata '{}' is '{}'; supported: none, linear", f.path(),
               key("rope.scaling.type"), type);
        }
      }
      // Not in the file: local layers use base 10000 and every 6th layer is global
      // (llama.cpp hardcodes both for gemma3).
      c.layers = Gemma3Layers(c.num_layers, /*pattern=*/6, window, /*local_theta=*/10000.0f,
                              static_cast<float>(rope_base), global_scaling);
    }
  }
  try {
    c.Validate();
  } catch (const Error& e) {
    Fail("{}: {}", f.path(), e.what());
  }
  return c;
}

WeightNaming GgufWeightNaming() {
  WeightNaming naming;
  naming.embedding = "token_embd.weight";
  naming.final_norm = "output_norm.weight";
  naming.norm_gain_offset = 0.0f;
  naming.layer_tensor = [](int layer, WeightKind kind) {
    const char* suffix = "?";
    switch (kind) {
      case WeightKind::kAttnNorm: suffix = "attn_norm.weight"; break;
      case WeightKind::kQ: suffix = "attn_q.weight"; break;
      case WeightKind::kK: suffix = "attn_k.weight"; break;
      case WeightKind::kV: suffix = "attn_v.weight"; break;
      case WeightKind::kO: suffix = "attn_output.weight"; break;
      case WeightKind::kQNorm: suffix = "attn_q_norm.weight"; break;
      case WeightKind::kKNorm: suffix = "attn_k_norm.weight"; break;
      case WeightKind::kPostAttnNorm: suffix = "post_attention_norm.weight"; break;
      // The pre-feed-forward norm is "ffn_norm" in every generation (Gemma 1's
      // post_attention_layernorm and Gemma 2/3's pre_feedforward_layernorm).
      case WeightKind::kPreFfnNorm: suffix = "ffn_norm.weight"; break;
      case WeightKind::kPostFfnNorm: suffix = "post_ffw_norm.weight"; break;
      case WeightKind::kGate: suffix = "ffn_gate.weight"; break;
      case WeightKind::kUp: suffix = "ffn_up.weight"; break;
      case WeightKind::kDown: suffix = "ffn_down.weight"; break;
    }
    return fmt::format("blk.{}.{}", layer, suffix);
  };
  return naming;
}

}  // namespace gemmeter
