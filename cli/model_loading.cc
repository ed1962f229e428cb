#include "cli/model_loading.h"

#include <fmt/core.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <vector>

#include "cli/activity.h"
#include "engine/build_config.h"
#include "engine/core/error.h"
#include "engine/io/digest.h"

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

std::unique_ptr<Tokenizer> LoadModelTokenizer(const std::string& model) {
  const std::string path = ResolveModel(model);
  const Activity step(fmt::format("loading the tokenizer of {}", path));
  return LoadTokenizer(path);
}

Loaded Load(const ModelOptions& options) {
  Loaded l;
  l.path = ResolveModel(options.model);
  l.backend = MakeBackend(options.backend.empty() ? AvailableBackends().front() : options.backend);
  // auto: GGUF blocks stay blocks where the backend multiplies them fastest (the CPU
  // backends); elsewhere (cuda) every matrix becomes bf16, the type its matmuls are
  // fastest in.
  l.weights = options.weights != "auto"           ? options.weights
              : l.backend->PrefersBlockFormats() ? "native"
                                                 : "bf16";
  const std::optional<DType> dtype = ParseWeightDType(l.weights);
  fmt::print(stderr, "loading {} onto the {} backend ({} weights)...\n", l.path,
             l.backend->name(), l.weights);
  const auto start = std::chrono::steady_clock::now();
  {
    const Activity step(fmt::format("loading the model {}", l.path));
    l.model = LoadModel(l.path, *l.backend, {dtype});
  }
  fmt::print(stderr, "loaded {} ({} parameters; matrices {}) in {:.1f} s\n",
             FamilyName(l.model->config().family), l.model->config().ParameterCount(),
             MatrixDTypes(l.model->weights()),
             std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  return l;
}

// A file's digest; for a checkpoint folder, the digest of its files' names and digests.
std::string ModelDigest(const std::string& path) {
  if (!std::filesystem::is_directory(path)) return Sha256File(path);
  std::vector<std::string> names;
  for (const auto& e : std::filesystem::directory_iterator(path)) {
    if (e.is_regular_file()) names.push_back(e.path().filename().string());
  }
  std::sort(names.begin(), names.end());
  std::string listing;
  for (const std::string& n : names) listing += n + " " + Sha256File((std::filesystem::path(path) / n).string()) + "\n";
  return Sha256Hex(listing);
}

std::string ResolveDataDir(const std::string& flag) {
  std::string dir = flag;
  if (dir.empty()) {
    const char* env = std::getenv("GEMMETER_DATASETS");
    dir = env != nullptr && *env != '\0'
              ? env
              : (std::filesystem::path(GEMMETER_SOURCE_ROOT) / ".." / "shared" / "datasets").lexically_normal().string();
  }
  if (!std::filesystem::is_directory(dir)) {
    Fail("data directory {} does not exist (give --data-dir, or set GEMMETER_DATASETS)", dir);
  }
  return dir;
}

}  // namespace gemmeter::cli
