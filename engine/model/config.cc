#include "engine/model/config.h"

#include <cmath>

#include "engine/core/error.h"

namespace gemmeter {

std::string_view FamilyName(Family family) {
  switch (family) {
    case Family::kGemma: return "gemma";
    case Family::kGemma2: return "gemma2";
    case Family::kGemma3: return "gemma3";
  }
  return "?";
}

int64_t ModelConfig::ParameterCount() const {
  const int64_t D = hidden_size;
  const int64_t attention = D * q_width() + 2 * D * kv_width() + q_width() * D;
  const int64_t mlp = 3 * D * intermediate_size;
  const int64_t norms = (sandwich_norms ? 4 : 2) * D + (qk_norm ? 2 * head_dim : 0);
  return vocab_size * D + num_layers * (attention + mlp + norms) + D /* final norm */;
}

void ModelConfig::Validate() const {
  auto require = [&](bool ok, const char* field, auto value) {
    if (!ok) Fail("model config '{}': invalid {} = {}", name, field, value);
  };
  require(vocab_size > 0, "vocab_size", vocab_size);
  require(hidden_size > 0, "hidden_size", hidden_size);
  require(intermediate_size > 0, "intermediate_size", intermediate_size);
  require(num_layers > 0, "num_hidden_layers", num_layers);
  require(num_heads > 0, "num_attention_heads", num_heads);
  require(num_kv_heads > 0 && num_heads % num_kv_heads == 0, "num_key_value_heads",
          num_kv_heads);
  require(head_dim > 0 && head_dim % 2 == 0, "head_dim", head_dim);
  require(rms_norm_eps > 0 && std::isfinite(rms_norm_eps), "rms_norm_eps", rms_norm_eps);
  require(query_scale > 0 && std::isfinite(query_scale), "query_scale", query_scale);
  require(attn_softcap >= 0, "attn_logit_softcapping", attn_softcap);
  require(final_softcap >= 0, "final_logit_softcapping", final_softcap);
  require(static_cast<int>(layers.size()) == num_layers, "layers (count)", layers.size());
  for (const LayerConfig& layer : layers) {
    require(layer.sliding_window >= 0, "sliding_window", layer.sliding_window);
    require(layer.rope_theta > 0, "rope_theta", layer.rope_theta);
    require(layer.rope_scaling_factor > 0, "rope scaling factor", layer.rope_scaling_factor);
  }
  for (int id : {bos_id, eos_id, pad_id}) require(id >= 0 && id < vocab_size, "special token id", id);
}

}  // namespace gemmeter
