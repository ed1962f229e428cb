// Opening a checkpoint: a Hugging Face folder (config.json + safetensors) today; GGUF
// files join here.
#pragma once

#include <memory>
#include <string>

#include "engine/backend/backend.h"
#include "engine/model/model.h"

namespace gemmeter {

struct LoadOptions {
  DType weight_dtype = DType::kF32;  // how matrices are held on the backend: f32 or bf16
};

// Reads the checkpoint at `path` (a folder with config.json) onto `backend`.
// Throws Error naming the file and field on any problem.
std::unique_ptr<Model> LoadModel(const std::string& path, Backend& backend,
                                 const LoadOptions& options = {});

}  // namespace gemmeter
