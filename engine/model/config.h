// Model configuration: every Gemma variant is data, not code.
//
// A ModelConfig holds the dimensions and the per-family design choices; the forward
// pass reads only this struct, so Gemma 1, 2 and 3 share one implementation.
// Constants and their sources: ../shared/notes/engine-facts.md section 1.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace gemmeter {

enum class Family {
  kGemma,   // Gemma 1 (model_type "gemma")
  kGemma2,  // model_type "gemma2"
  kGemma3,  // model_type "gemma3_text" (and the text part of "gemma3")
};

std::string_view FamilyName(Family family);

struct LayerConfig {
  int sliding_window = 0;             // 0: global (full causal) attention
  float rope_theta = 10000.0f;        // RoPE base
  float rope_scaling_factor = 1.0f;   // linear RoPE scaling: inv_freq /= factor
};

struct ModelConfig {
  std::string name;  // preset name, or the checkpoint it was read from
  Family family = Family::kGemma;

  int64_t vocab_size = 0;
  int64_t hidden_size = 0;
  int64_t intermediate_size = 0;
  int num_layers = 0;
  int num_heads = 0;
  int num_kv_heads = 0;
  int head_dim = 0;
  float rms_norm_eps = 1e-6f;

  // Attention scores are (q . k) * query_scale: 1/sqrt(head_dim) in Gemma 1,
  // query_pre_attn_scalar^-0.5 in Gemma 2 and 3.
  float query_scale = 0.0f;
  float attn_softcap = 0.0f;   // 0: none (Gemma 2: 50)
  float final_softcap = 0.0f;  // 0: none (Gemma 2: 30)
  bool sandwich_norms = false; // Gemma 2/3: post-attention and pre/post-feed-forward norms
  bool qk_norm = false;        // Gemma 3: RMSNorm of q and k per head, before RoPE

  int64_t max_position_embeddings = 0;
  int bos_id = 2, eos_id = 1, pad_id = 0, unk_id = 3, end_of_turn_id = 107;

  std::vector<LayerConfig> layers;  // num_layers entries

  // Number of weights (tied LM head counted once), as published model totals count them.
  int64_t ParameterCount() const;
  // Throws Error naming the first inconsistent field.
  void Validate() const;
  int64_t q_width() const { return static_cast<int64_t>(num_heads) * head_dim; }
  int64_t kv_width() const { return static_cast<int64_t>(num_kv_heads) * head_dim; }
};

// Presets: gemma-2b, gemma-7b, gemma-2-2b, gemma-2-9b, gemma-3-270m, gemma-3-1b.
std::vector<std::string> PresetNames();
// Throws Error for an unknown name.
ModelConfig Preset(std::string_view name);

// Reads a Hugging Face config.json; `path` is used in error messages.
ModelConfig ConfigFromHfJsonFile(const std::string& path);
ModelConfig ConfigFromHfJsonText(const std::string& text, const std::string& path);

}  // namespace gemmeter
