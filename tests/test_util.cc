#include "tests/test_util.h"

#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstring>
#include <fstream>
#include <map>
#include <random>

#include <nlohmann/json.hpp>

#include "engine/build_config.h"
#include "engine/core/error.h"
#include "engine/io/safetensors.h"

namespace gemmeter::test {

std::string TinyFixture(const std::string& name) {
  return std::string(GEMMETER_SOURCE_ROOT) + "/tests/fixtures/tiny/" + name;
}

std::string DatasetRoot() {
  if (const char* env = std::getenv("GEMMETER_DATASETS"); env != nullptr && *env != '\0') return env;
  return (std::filesystem::path(GEMMETER_SOURCE_ROOT) / ".." / "shared" / "datasets")
      .lexically_normal()
      .string();
}

bool DatasetsAbsent() {
  if (std::filesystem::is_directory(DatasetRoot())) return false;
  fmt::print(stderr, "skipping: no datasets at {} (set GEMMETER_DATASETS)\n", DatasetRoot());
  return true;
}

std::vector<GoldenSequence> LoadGoldens(const std::string& fixture_folder) {
  SafetensorsFile file(fixture_folder + "/golden.safetensors");
  std::vector<GoldenSequence> goldens;
  for (int i = 0;; ++i) {
    const StoredTensor* tokens = file.Find(fmt::format("tokens_{}", i));
    const StoredTensor* logits = file.Find(fmt::format("logits_{}", i));
    if (tokens == nullptr || logits == nullptr) break;
    Check(tokens->dtype == DType::kI32 && logits->dtype == DType::kF32,
          "golden sequence {} has unexpected dtypes", i);
    GoldenSequence g;
    const auto* ids = static_cast<const int32_t*>(tokens->data);
    g.tokens.assign(ids, ids + NumElements(tokens->shape));
    const auto* values = static_cast<const float*>(logits->data);
    g.logits.assign(values, values + NumElements(logits->shape));
    goldens.push_back(std::move(g));
  }
  Check(!goldens.empty(), "{}: no golden sequences", fixture_folder);
  return goldens;
}

Comparison CompareLogits(const std::vector<float>& actual, const std::vector<float>& expected,
                         int64_t vocab, double tie_tolerance) {
  Check(actual.size() == expected.size(), "logit counts differ: {} vs {}", actual.size(),
        expected.size());
  Comparison c;
  c.positions = static_cast<int64_t>(expected.size()) / vocab;
  double err = 0.0, ref = 0.0;
  for (size_t i = 0; i < expected.size(); ++i) {
    const double d = static_cast<double>(actual[i]) - expected[i];
    c.max_abs_diff = std::max(c.max_abs_diff, std::fabs(d));
    err += d * d;
    ref += static_cast<double>(expected[i]) * expected[i];
    if (!std::isfinite(actual[i])) c.max_abs_diff = INFINITY;
  }
  c.nmse = ref > 0 ? err / ref : err;
  for (int64_t p = 0; p < c.positions; ++p) {
    const float* e = expected.data() + p * vocab;
    const float* a = actual.data() + p * vocab;
    const auto e_best = std::max_element(e, e + vocab) - e;
    const auto a_best = std::max_element(a, a + vocab) - a;
    float second = -INFINITY;
    for (int64_t v = 0; v < vocab; ++v)
      if (v != e_best) second = std::max(second, e[v]);
    if (e[e_best] - second < tie_tolerance) {
      ++c.near_ties;
    } else if (e_best != a_best) {
      ++c.argmax_mismatches;
    }
  }
  return c;
}

TempDir::TempDir() {
  static std::atomic<int> counter{0};
  std::random_device rd;
  path_ = std::filesystem::temp_directory_path() /
          fmt::format("gemmeter-test-{}-{}-{}", ::getpid(), counter++, rd());
  std::filesystem::create_directories(path_);
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

std::vector<RawTensor> ReadRawTensors(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  Check(static_cast<bool>(in), "{}: cannot open", path);
  uint64_t header_len = 0;
  in.read(reinterpret_cast<char*>(&header_len), 8);
  std::string header(header_len, '\0');
  in.read(header.data(), static_cast<std::streamsize>(header_len));
  std::vector<uint8_t> data((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const auto j = nlohmann::json::parse(header);
  std::vector<RawTensor> tensors;
  for (const auto& [name, entry] : j.items()) {
    if (name == "__metadata__") continue;
    RawTensor t;
    t.name = name;
    t.dtype = entry["dtype"].get<std::string>();
    t.shape = entry["shape"].get<Shape>();
    const auto begin = entry["data_offsets"][0].get<size_t>();
    const auto end = entry["data_offsets"][1].get<size_t>();
    t.bytes.assign(data.begin() + static_cast<std::ptrdiff_t>(begin),
                   data.begin() + static_cast<std::ptrdiff_t>(end));
    tensors.push_back(std::move(t));
  }
  return tensors;
}

void WriteSafetensors(const std::string& path, const std::vector<RawTensor>& tensors,
                      const std::function<void(nlohmann::json&)>& edit_header) {
  nlohmann::json header = nlohmann::json::object();
  size_t offset = 0;
  for (const RawTensor& t : tensors) {
    header[t.name] = {{"dtype", t.dtype}, {"shape", t.shape},
                      {"data_offsets", {offset, offset + t.bytes.size()}}};
    offset += t.bytes.size();
  }
  if (edit_header) edit_header(header);
  std::string text = header.dump();
  while (text.size() % 8 != 0) text += ' ';  // the format pads the header to 8 bytes
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  const uint64_t len = text.size();
  out.write(reinterpret_cast<const char*>(&len), 8);
  out.write(text.data(), static_cast<std::streamsize>(text.size()));
  for (const RawTensor& t : tensors)
    out.write(reinterpret_cast<const char*>(t.bytes.data()), static_cast<std::streamsize>(t.bytes.size()));
}

void CopyFolder(const std::filesystem::path& src, const std::filesystem::path& dst) {
  std::filesystem::create_directories(dst);
  for (const auto& entry : std::filesystem::directory_iterator(src)) {
    std::filesystem::copy_file(entry.path(), dst / entry.path().filename(),
                               std::filesystem::copy_options::overwrite_existing);
  }
}

}  // namespace gemmeter::test
