#include "cli/model_loading.h"

#include <fmt/core.h>

#include <chrono>

#include "engine/core/error.h"

namespace gemmeter::cli {

std::optional<DType> ParseWeightDType(const std::string& s) {
  if (s == "native") return std::nullopt;
  if (s == "f32") return DType::kF32;
  if (s == "bf16") return DType::kBF16;
  Fail("--weights: \"{}\" is not one of native, f32, bf16", s);
}

std::string ResolveModel(const std::string& model) {
  return model.empty() ? DefaultModelPath() : model;
}

Loaded Load(const ModelOptions& options) {
  Loaded l;
  l.path = ResolveModel(options.model);
  const std::optional<DType> dtype = ParseWeightDType(options.weights);
  l.backend = MakeBackend(options.backend.empty() ? AvailableBackends().front() : options.backend);
  fmt::print(stderr, "loading {} onto the {} backend ({} weights)...\n", l.path,
             l.backend->name(), options.weights);
  const auto start = std::chrono::steady_clock::now();
  l.model = LoadModel(l.path, *l.backend, {dtype});
  fmt::print(stderr, "loaded {} ({} parameters; matrices {}) in {:.1f} s\n",
             FamilyName(l.model->config().family), l.model->config().ParameterCount(),
             MatrixDTypes(l.model->weights()),
             std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  return l;
}

}  // namespace gemmeter::cli
