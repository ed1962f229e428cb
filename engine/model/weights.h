// Model weights on a backend, and the loader that fills them from a TensorSource.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "engine/backend/backend.h"
#include "engine/io/tensor_source.h"
#include "engine/model/config.h"

namespace gemmeter {

// One decoder layer. Norm gains are stored as the effective multiplier (f32): for
// Hugging Face files that is 1 + w, for GGUF files w (the converter already added 1).
// Absent tensors (Gemma 1 has no sandwich norms, only Gemma 3 has q/k norms) stay undefined.
struct LayerWeights {
  Tensor attn_norm;       // input_layernorm [D]
  Tensor q, k, v, o;      // [H*Dh, D], [KV*Dh, D], [KV*Dh, D], [D, H*Dh]
  Tensor q_norm, k_norm;  // [Dh] (Gemma 3)
  Tensor post_attn_norm;  // [D] (Gemma 2/3)
  Tensor pre_ffn_norm;    // [D]: Gemma 1 calls it post_attention_layernorm
  Tensor post_ffn_norm;   // [D] (Gemma 2/3)
  Tensor gate, up, down;  // [I, D], [I, D], [D, I]
};

struct ModelWeights {
  Tensor embedding;   // [V, D], also the tied LM head
  Tensor final_norm;  // [D]
  std::vector<LayerWeights> layers;
};

// Bytes of every weight matrix (layers and the tied embedding/head, once): what a decode
// step streams from memory.
size_t MatrixBytes(const ModelWeights& weights);
// The matrix dtypes, e.g. "q8_0 (1), q5_0 (81), q4_k (27), q6_k (9)" (counts of matrices).
std::string MatrixDTypes(const ModelWeights& weights);

// The logical weights of a layer, named independently of any file format.
enum class WeightKind {
  kAttnNorm, kQ, kK, kV, kO, kQNorm, kKNorm, kPostAttnNorm, kPreFfnNorm, kPostFfnNorm,
  kGate, kUp, kDown,
};

// How one checkpoint format names its tensors and stores its norms.
struct WeightNaming {
  std::string embedding;
  std::string final_norm;
  std::function<std::string(int layer, WeightKind kind)> layer_tensor;
  float norm_gain_offset = 1.0f;  // added to stored norm weights to get the gain
};

// Hugging Face names under `prefix` ("model." or "language_model.model.").
WeightNaming HfWeightNaming(const std::string& prefix, Family family);

// Reads every weight the config needs from `source`, checks each name, dtype and
// shape (throwing Error naming the file and tensor), converts matrices to
// `matrix_dtype` (f32 or bf16; nullopt, "native": GGUF block formats stay blocks,
// plain floats become f32) and uploads them to `backend`.
ModelWeights LoadWeights(const ModelConfig& config, const TensorSource& source,
                         const WeightNaming& naming, Backend& backend,
                         std::optional<DType> matrix_dtype);

}  // namespace gemmeter
