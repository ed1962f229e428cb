// Every dataset file's expected SHA-256, checked when a task loads its data.
#pragma once

#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace gemmeter::datasets {

struct DatasetFile {
  std::string_view dataset;  // "mmlu", "piqa" or "hellaswag"
  std::string_view path;     // relative to the data directory
  std::string_view sha256;   // lowercase hex
};

struct FileDigest {
  std::string path;  // relative to the data directory
  std::string sha256;
};

std::span<const DatasetFile> ManifestFiles();

// Hashes every manifest file of `dataset` under `root`; throws Error naming the first file
// that is missing or differs. Returns the files and digests, for reports' provenance.
std::vector<FileDigest> VerifyDataset(const std::string& root, std::string_view dataset);

}  // namespace gemmeter::datasets
