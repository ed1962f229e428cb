#include "engine/io/safetensors.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <limits>
#include <set>

#include <nlohmann/json.hpp>

#include "engine/core/error.h"

namespace gemmeter {
namespace {

using nlohmann::json;

DType ParseDType(const std::string& file, const std::string& tensor, const std::string& s) {
  if (s == "F32") return DType::kF32;
  if (s == "BF16") return DType::kBF16;
  if (s == "F16") return DType::kF16;
  if (s == "I32") return DType::kI32;
  if (s == "I64") return DType::kI64;
  Fail("{}: tensor '{}': unsupported dtype \"{}\" (supported: F32, BF16, F16, I32, I64)", file,
       tensor, s);
}

uint64_t ReadU64LE(const uint8_t* p) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | p[i];
  return v;
}

}  // namespace

SafetensorsFile::SafetensorsFile(const std::string& path)
    : file_(std::make_unique<MappedFile>(path)) {
  const size_t size = file_->size();
  if (size < 8) Fail("{}: not a safetensors file: {} bytes, too short for the header", path, size);
  const uint64_t header_len = ReadU64LE(file_->data());
  if (header_len > size - 8) {
    Fail("{}: header length {} exceeds the file size {} (truncated or not safetensors)", path,
         header_len, size);
  }
  const char* header_begin = reinterpret_cast<const char*>(file_->data() + 8);
  json header;
  try {
    header = json::parse(header_begin, header_begin + header_len);
  } catch (const json::exception& e) {
    Fail("{}: header is not valid JSON: {}", path, e.what());
  }
  if (!header.is_object()) Fail("{}: header is not a JSON object", path);

  const uint8_t* data_section = file_->data() + 8 + header_len;
  const uint64_t data_size = size - 8 - header_len;
  for (const auto& item : header.items()) {
    // Plain references, not a structured binding: clang 14 cannot capture those in the
    // lambda below (the fuzz build uses clang).
    const std::string& name = item.key();
    const json& entry = item.value();
    if (name == "__metadata__") continue;
    auto field = [&](const char* key) -> const json& {
      if (!entry.is_object() || !entry.contains(key)) {
        Fail("{}: tensor '{}': missing field \"{}\"", path, name, key);
      }
      return entry.at(key);
    };
    const json& dtype_field = field("dtype");
    const json& shape_field = field("shape");
    const json& offsets_field = field("data_offsets");
    if (!dtype_field.is_string()) Fail("{}: tensor '{}': field \"dtype\" is not a string", path, name);
    StoredTensor t;
    t.name = name;
    t.file = path;
    t.dtype = ParseDType(path, name, dtype_field.get<std::string>());
    if (!shape_field.is_array()) Fail("{}: tensor '{}': field \"shape\" is not an array", path, name);
    for (const json& d : shape_field) {
      if (!d.is_number_unsigned() || d.get<uint64_t>() > (uint64_t{1} << 62)) {
        Fail("{}: tensor '{}': field \"shape\" has a non-integer, negative or implausible "
             "entry {}", path, name, d.dump());
      }
      t.shape.push_back(d.get<int64_t>());
    }
    // The byte size is computed from the element count: bound it first (2^60 elements of
    // at most 8 bytes), so that no product overflows; the offsets are checked below.
    constexpr uint64_t kMaxElements = uint64_t{1} << 60;
    const bool empty = std::find(t.shape.begin(), t.shape.end(), 0) != t.shape.end();
    uint64_t elements = empty ? 0 : 1;
    for (const int64_t n : t.shape) {
      if (empty) break;
      if (elements > kMaxElements / static_cast<uint64_t>(n)) {
        Fail("{}: tensor '{}': field \"shape\" {} has more than 2^60 elements", path, name,
             shape_field.dump());
      }
      elements *= static_cast<uint64_t>(n);
    }
    if (!offsets_field.is_array() || offsets_field.size() != 2 ||
        !offsets_field[0].is_number_unsigned() || !offsets_field[1].is_number_unsigned()) {
      Fail("{}: tensor '{}': field \"data_offsets\" must be two non-negative integers, got {}",
           path, name, offsets_field.dump());
    }
    const uint64_t begin = offsets_field[0].get<uint64_t>();
    const uint64_t end = offsets_field[1].get<uint64_t>();
    const uint64_t expected = elements * DTypeSize(t.dtype);
    if (begin > end) {
      Fail("{}: tensor '{}': field \"data_offsets\" [{}, {}] is reversed", path, name, begin, end);
    }
    if (end - begin != expected) {
      Fail("{}: tensor '{}': field \"data_offsets\" [{}, {}] spans {} bytes but {} {} needs {}",
           path, name, begin, end, end - begin, DTypeName(t.dtype), ShapeToString(t.shape),
           expected);
    }
    if (end > data_size) {
      Fail("{}: tensor '{}': field \"data_offsets\" ends at byte {} but the data section has "
           "only {} bytes (file truncated?)",
           path, name, end, data_size);
    }
    t.data = data_section + begin;
    t.bytes = static_cast<size_t>(end - begin);
    t.type_name = dtype_field.get<std::string>();
    tensors_.emplace(name, std::move(t));
  }
}

const StoredTensor* SafetensorsFile::Find(const std::string& name) const {
  auto it = tensors_.find(name);
  return it == tensors_.end() ? nullptr : &it->second;
}

std::vector<std::string> SafetensorsFile::Names() const {
  std::vector<std::string> names;
  for (const auto& [name, t] : tensors_) names.push_back(name);
  return names;
}

SafetensorsCheckpoint::SafetensorsCheckpoint(const std::string& folder) : folder_(folder) {
  namespace fs = std::filesystem;
  const fs::path dir(folder);
  const fs::path single = dir / "model.safetensors";
  const fs::path index_path = dir / "model.safetensors.index.json";
  std::vector<std::string> shard_names;
  if (fs::exists(index_path)) {
    std::ifstream in(index_path);
    json index;
    try {
      index = json::parse(in);
    } catch (const json::exception& e) {
      Fail("{}: not valid JSON: {}", index_path.string(), e.what());
    }
    if (!index.contains("weight_map") || !index["weight_map"].is_object()) {
      Fail("{}: missing field \"weight_map\"", index_path.string());
    }
    std::set<std::string> unique;
    for (const auto& [name, shard] : index["weight_map"].items()) {
      if (!shard.is_string()) {
        Fail("{}: field \"weight_map\".\"{}\" is not a file name", index_path.string(), name);
      }
      // A file beside the index, nothing else: no folders (an index must not point
      // outside its checkpoint), no names the filesystem refuses (over 255 bytes made
      // fs::exists throw; found by the safetensors_index fuzzer).
      const std::string& file = shard.get_ref<const std::string&>();
      if (file.empty() || file == "." || file == ".." || file.size() > 255 ||
          file.find('/') != std::string::npos || file.find('\0') != std::string::npos) {
        Fail("{}: field \"weight_map\".\"{}\" = \"{}\" is not the name of a file beside the "
             "index", index_path.string(), name, file.substr(0, 300));
      }
      unique.insert(file);
    }
    shard_names.assign(unique.begin(), unique.end());
    for (const std::string& shard : shard_names) {
      const fs::path shard_path = dir / shard;
      std::error_code error;
      if (!fs::exists(shard_path, error)) {
        Fail("{}: shard '{}' named in field \"weight_map\" does not exist", index_path.string(),
             shard_path.string());
      }
      shards_.push_back(std::make_unique<SafetensorsFile>(shard_path.string()));
    }
    for (const auto& [name, shard] : index["weight_map"].items()) {
      const auto pos = std::find(shard_names.begin(), shard_names.end(), shard.get<std::string>());
      const SafetensorsFile& file = *shards_[static_cast<size_t>(pos - shard_names.begin())];
      const StoredTensor* t = file.Find(name);
      if (t == nullptr) {
        Fail("{}: tensor '{}' is mapped to '{}' but that file does not contain it",
             index_path.string(), name, file.Describe());
      }
      index_[name] = t;
    }
  } else if (fs::exists(single)) {
    shards_.push_back(std::make_unique<SafetensorsFile>(single.string()));
    for (const std::string& name : shards_[0]->Names()) index_[name] = shards_[0]->Find(name);
  } else {
    Fail("{}: no model.safetensors or model.safetensors.index.json in this folder", folder);
  }
}

const StoredTensor* SafetensorsCheckpoint::Find(const std::string& name) const {
  auto it = index_.find(name);
  return it == index_.end() ? nullptr : it->second;
}

std::vector<std::string> SafetensorsCheckpoint::Names() const {
  std::vector<std::string> names;
  for (const auto& [name, t] : index_) names.push_back(name);
  return names;
}

}  // namespace gemmeter
