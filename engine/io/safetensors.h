// Hugging Face safetensors files: single files and sharded checkpoints.
//
// Format (huggingface/safetensors README): an 8-byte little-endian header length N,
// N bytes of JSON {"tensor name": {"dtype", "shape", "data_offsets": [begin, end]}, ...,
// optional "__metadata__"}, then the data section; offsets are relative to its start.
// Every field is validated when the file is opened so that a corrupt or truncated file
// is reported by name before any weight is read.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "engine/io/mapped_file.h"
#include "engine/io/tensor_source.h"

namespace gemmeter {

class SafetensorsFile final : public TensorSource {
 public:
  explicit SafetensorsFile(const std::string& path);

  const StoredTensor* Find(const std::string& name) const override;
  std::vector<std::string> Names() const override;
  std::string Describe() const override { return file_->path(); }

 private:
  std::unique_ptr<MappedFile> file_;
  std::map<std::string, StoredTensor> tensors_;
};

// A checkpoint folder's weights: model.safetensors, or model.safetensors.index.json
// plus the shards it names.
class SafetensorsCheckpoint final : public TensorSource {
 public:
  explicit SafetensorsCheckpoint(const std::string& folder);

  const StoredTensor* Find(const std::string& name) const override;
  std::vector<std::string> Names() const override;
  std::string Describe() const override { return folder_; }

 private:
  std::string folder_;
  std::vector<std::unique_ptr<SafetensorsFile>> shards_;
  std::map<std::string, const StoredTensor*> index_;
};

}  // namespace gemmeter
