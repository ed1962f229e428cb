#include "engine/model/checkpoint.h"

#include <filesystem>

#include "engine/core/error.h"
#include "engine/io/safetensors.h"

namespace gemmeter {

std::unique_ptr<Model> LoadModel(const std::string& path, Backend& backend,
                                 const LoadOptions& options) {
  namespace fs = std::filesystem;
  if (!fs::exists(path)) Fail("{}: no such file or folder", path);
  if (!fs::is_directory(path)) {
    Fail("{}: not a checkpoint folder (expected config.json and model.safetensors inside)", path);
  }
  const fs::path config_path = fs::path(path) / "config.json";
  if (!fs::exists(config_path)) Fail("{}: missing config.json", path);
  ModelConfig config = ConfigFromHfJsonFile(config_path.string());
  SafetensorsCheckpoint source(path);
  // Text-only checkpoints name weights "model.*"; Gemma 3 multimodal ones
  // "language_model.model.*".
  std::string prefix = "model.";
  if (!source.Find(prefix + "embed_tokens.weight") &&
      source.Find("language_model.model.embed_tokens.weight")) {
    prefix = "language_model.model.";
  }
  ModelWeights weights = LoadWeights(config, source, HfWeightNaming(prefix, config.family),
                                     backend, options.weight_dtype);
  return std::make_unique<Model>(std::move(config), std::move(weights), backend);
}

}  // namespace gemmeter
