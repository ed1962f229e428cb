// GGUF files (versions 2 and 3): metadata, tensor infos and memory-mapped tensor data.
//
// Layout (ggml docs/gguf.md; engine-facts.md 2.1): magic "GGUF", u32 version,
// tensor count and metadata count (u64 in v2+), the metadata key/value pairs, the tensor
// infos (name, dims, type, offset), padding to `general.alignment` (default 32), then
// the data. Every count, length and offset is checked against the file size while
// parsing, so a truncated or corrupt file is reported by name and never read past its end.
//
// GGUF lists dimensions innermost first (ne[0] is contiguous), the reverse of PyTorch;
// this class is the one place that reverses them: StoredTensor::shape is PyTorch order.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "engine/io/mapped_file.h"
#include "engine/io/tensor_source.h"

namespace gemmeter {

// Value types of GGUF metadata (gguf.h enum gguf_type).
enum class GgufValueType : uint32_t {
  kUInt8 = 0, kInt8 = 1, kUInt16 = 2, kInt16 = 3, kUInt32 = 4, kInt32 = 5, kFloat32 = 6,
  kBool = 7, kString = 8, kArray = 9, kUInt64 = 10, kInt64 = 11, kFloat64 = 12,
};
std::string GgufValueTypeName(GgufValueType type);

struct GgufValue {
  GgufValueType type = GgufValueType::kUInt8;
  GgufValueType element_type = GgufValueType::kUInt8;  // for arrays
  // Scalars: integers and bools in `integer`, floats in `number` (also set for
  // integers), strings in `text`.
  int64_t integer = 0;
  double number = 0.0;
  std::string text;
  // Arrays of numbers or bools, and arrays of strings. Nested arrays are skipped.
  std::vector<double> numbers;
  std::vector<std::string> strings;
  uint64_t count = 0;  // array length
};

class GgufFile final : public TensorSource {
 public:
  explicit GgufFile(const std::string& path);

  const std::string& path() const { return file_->path(); }
  uint32_t version() const { return version_; }
  uint64_t alignment() const { return alignment_; }

  // ---- metadata
  bool Has(const std::string& key) const { return metadata_.count(key) != 0; }
  const GgufValue* FindMetadata(const std::string& key) const;  // nullptr when absent
  const std::map<std::string, GgufValue>& metadata() const { return metadata_; }
  // Typed getters; throw Error naming the file and key if it is absent or of another type.
  int64_t GetInt(const std::string& key) const;
  double GetFloat(const std::string& key) const;
  bool GetBool(const std::string& key) const;
  const std::string& GetString(const std::string& key) const;
  const std::vector<std::string>& GetStringArray(const std::string& key) const;
  const std::vector<double>& GetNumberArray(const std::string& key) const;

  // ---- tensors (TensorSource)
  const StoredTensor* Find(const std::string& name) const override;
  std::vector<std::string> Names() const override;  // in file order
  std::string Describe() const override { return file_->path(); }
  std::shared_ptr<const void> Mapping() const override { return file_; }
  void Release(const void* bytes, size_t count) const override {
    file_->DropPages(bytes, count);
  }
  void ReadRowsAsF32(const StoredTensor& tensor, int64_t begin, int64_t count,
                     float* out) const override;
  uint32_t TensorTypeId(const StoredTensor& tensor) const;

 private:
  const GgufValue& Get(const std::string& key) const;

  std::shared_ptr<const MappedFile> file_;
  uint32_t version_ = 0;
  uint64_t alignment_ = 32;
  std::map<std::string, GgufValue> metadata_;
  std::vector<StoredTensor> tensors_;
  std::vector<uint32_t> type_ids_;
  std::map<std::string, size_t> index_;
};

}  // namespace gemmeter
