// Model loading for the subcommands: resolve the model path, create the backend, load
// the weights, with progress lines on stderr.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "cli/commands.h"
#include "engine/backend/backend.h"
#include "engine/model/checkpoint.h"

namespace gemmeter::cli {

// A backend and a model loaded onto it.
struct Loaded {
  std::unique_ptr<Backend> backend;
  std::unique_ptr<Model> model;
  std::string path;
  std::string weights;  // --weights as resolved: native, f32 or bf16
};

// "native" (nullopt: as stored), "f32" or "bf16"; Error for anything else ("auto" is
// resolved by Load, which knows the backend).
std::optional<DType> ParseWeightDType(const std::string& s);
// `model`, or the default model when empty.
std::string ResolveModel(const std::string& model);
Loaded Load(const ModelOptions& options);
// The tokenizer of a model (--model as given; resolved as ResolveModel does).
std::unique_ptr<Tokenizer> LoadModelTokenizer(const std::string& model);
// The datasets folder: `flag`, else $GEMMETER_DATASETS, else ../shared/datasets beside the
// source tree; Error when it does not exist.
std::string ResolveDataDir(const std::string& flag);
// sha256 of a model file; for a checkpoint folder, of its files' names and digests.
std::string ModelDigest(const std::string& path);

}  // namespace gemmeter::cli
