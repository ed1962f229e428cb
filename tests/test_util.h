// Helpers shared by the tests: fixture paths, golden logits, comparisons, and a small
// safetensors writer for building corrupt files.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "engine/core/dtype.h"
#include "engine/core/tensor.h"

namespace gemmeter::test {

// <source root>/tests/fixtures/tiny/<name>
std::string TinyFixture(const std::string& name);

// The evaluation data directory: $GEMMETER_DATASETS if set, else ../shared/datasets
// beside the source tree. Tests that need it report and pass when it is absent
// (DatasetsAbsent), so the suite runs on a checkout without the data.
std::string DatasetRoot();
bool DatasetsAbsent();

struct GoldenSequence {
  std::vector<int32_t> tokens;
  std::vector<float> logits;  // [tokens.size(), vocab]
};
// All sequences in <fixture>/golden.safetensors (written by tools/make_tiny_goldens.py).
std::vector<GoldenSequence> LoadGoldens(const std::string& fixture_folder);

struct Comparison {
  double max_abs_diff = 0.0;
  double nmse = 0.0;          // sum (a - b)^2 / sum b^2, b the expected values
  int64_t positions = 0;
  int64_t argmax_mismatches = 0;  // positions whose argmax differs and is not a near-tie
  int64_t near_ties = 0;      // positions whose expected top-2 logits differ by < tie_tolerance
};
// Compares logits [positions, vocab] row by row. A position where the expected top two
// logits are closer than `tie_tolerance` is counted as a near-tie, not as a mismatch.
Comparison CompareLogits(const std::vector<float>& actual, const std::vector<float>& expected,
                         int64_t vocab, double tie_tolerance);

// A fresh empty folder under the system temp dir, removed by the destructor.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

struct RawTensor {
  std::string name;
  std::string dtype;  // safetensors spelling: "F32", "BF16", "I32", ...
  Shape shape;
  std::vector<uint8_t> bytes;
};
// Reads every tensor of a safetensors file (raw bytes).
std::vector<RawTensor> ReadRawTensors(const std::string& path);
// Writes a safetensors file; `edit_header` may change the JSON header (to make it lie)
// before it is written.
void WriteSafetensors(const std::string& path, const std::vector<RawTensor>& tensors,
                      const std::function<void(nlohmann::json&)>& edit_header = {});
// Copies a fixture folder into `dst`.
void CopyFolder(const std::filesystem::path& src, const std::filesystem::path& dst);

}  // namespace gemmeter::test
