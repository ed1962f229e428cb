#include "engine/io/gguf.h"

#include <fmt/format.h>

#include <cmath>
#include <cstring>
#include <limits>

#include "engine/core/error.h"
#include "engine/core/parallel.h"
#include "engine/io/ggml_types.h"

namespace gemmeter {
namespace {

constexpr uint32_t kMagic = 0x46554747;  // "GGUF" read as a little-endian u32
constexpr uint32_t kMaxDims = 4;         // GGML_MAX_DIMS

// Bounds-checked little-endian reads over the mapped file.
class Cursor {
 public:
  Cursor(const MappedFile& file) : file_(file) {}

  size_t offset() const { return offset_; }
  size_t remaining() const { return file_.size() - offset_; }

  void Need(size_t bytes, const std::string& what) const {
    if (bytes > remaining()) {
      Fail("{}: truncated: {} needs {} bytes at offset {} but the file has {} bytes", file_.path(),
           what, bytes, offset_, file_.size());
    }
  }
  template <typename T>
  T Read(const std::string& what) {
    Need(sizeof(T), what);
    T v;
    std::memcpy(&v, file_.data() + offset_, sizeof(T));
    offset_ += sizeof(T);
    return v;
  }
  std::string ReadString(const std::string& what) {
    const auto len = Read<uint64_t>(what + " (length)");
    Need(len, what);
    std::string s(reinterpret_cast<const char*>(file_.data() + offset_), len);
    offset_ += len;
    return s;
  }

 private:
  const MappedFile& file_;
  size_t offset_ = 0;
};

size_t ScalarSize(GgufValueType t) {
  switch (t) {
    case GgufValueType::kUInt8: case GgufValueType::kInt8: case GgufValueType::kBool: return 1;
    case GgufValueType::kUInt16: case GgufValueType::kInt16: return 2;
    case GgufValueType::kUInt32: case GgufValueType::kInt32: case GgufValueType::kFloat32: return 4;
    case GgufValueType::kUInt64: case GgufValueType::kInt64: case GgufValueType::kFloat64: return 8;
    default: return 0;
  }
}

// A float value's integer view, saturated: the cast alone is undefined for NaN and for
// values outside int64 (a corrupt or hostile file can hold any float).
int64_t SaturatedInt(double v) {
  if (std::isnan(v)) return 0;
  if (v >= 9.2233720368547758e18) return std::numeric_limits<int64_t>::max();
  if (v <= -9.2233720368547758e18) return std::numeric_limits<int64_t>::min();
  return static_cast<int64_t>(v);
}

// Reads one numeric or bool scalar as (integer, number).
void ReadNumber(Cursor& c, GgufValueType t, const std::string& what, int64_t* integer,
                double* number) {
  switch (t) {
    case GgufValueType::kUInt8: *integer = c.Read<uint8_t>(what); break;
    case GgufValueType::kInt8: *integer = c.Read<int8_t>(what); break;
    case GgufValueType::kUInt16: *integer = c.Read<uint16_t>(what); break;
    case GgufValueType::kInt16: *integer = c.Read<int16_t>(what); break;
    case GgufValueType::kUInt32: *integer = c.Read<uint32_t>(what); break;
    case GgufValueType::kInt32: *integer = c.Read<int32_t>(what); break;
    case GgufValueType::kUInt64: {
      const auto u = c.Read<uint64_t>(what);
      *integer = static_cast<int64_t>(std::min<uint64_t>(u, std::numeric_limits<int64_t>::max()));
      break;
    }
    case GgufValueType::kInt64: *integer = c.Read<int64_t>(what); break;
    case GgufValueType::kBool: *integer = c.Read<uint8_t>(what) != 0; break;
    case GgufValueType::kFloat32: *number = c.Read<float>(what); *integer = SaturatedInt(*number); return;
    case GgufValueType::kFloat64: *number = c.Read<double>(what); *integer = SaturatedInt(*number); return;
    default: Fail("internal: {} is not a number type", GgufValueTypeName(t));
  }
  *number = static_cast<double>(*integer);
}

GgufValue ReadValue(Cursor& c, GgufValueType type, const std::string& key, const std::string& path,
                    int depth);

GgufValue ReadArray(Cursor& c, const std::string& key, const std::string& path, int depth) {
  GgufValue v;
  v.type = GgufValueType::kArray;
  const auto element = c.Read<uint32_t>("metadata '" + key + "' array type");
  if (element > static_cast<uint32_t>(GgufValueType::kFloat64)) {
    Fail("{}: metadata '{}': unknown array element type {}", path, key, element);
  }
  v.element_type = static_cast<GgufValueType>(element);
  v.count = c.Read<uint64_t>("metadata '" + key + "' array length");
  const std::string what = "metadata '" + key + "' array";
  // Every element takes at least one byte (a string at least its 8-byte length), so a
  // count larger than the rest of the file is corrupt: reject before allocating.
  const size_t min_element = v.element_type == GgufValueType::kString ? 8
                             : v.element_type == GgufValueType::kArray ? 12
                                                                       : ScalarSize(v.element_type);
  if (v.count > c.remaining() / min_element) {
    Fail("{}: truncated or corrupt: metadata '{}' claims {} array elements", path, key, v.count);
  }
  if (v.element_type == GgufValueType::kString) {
    v.strings.reserve(v.count);
    for (uint64_t i = 0; i < v.count; ++i) v.strings.push_back(c.ReadString(what));
  } else if (v.element_type == GgufValueType::kArray) {
    if (depth > 4) Fail("{}: metadata '{}': arrays nested too deeply", path, key);
    for (uint64_t i = 0; i < v.count; ++i) ReadArray(c, key, path, depth + 1);  // skipped
  } else {
    v.numbers.resize(v.count);
    int64_t integer = 0;
    for (uint64_t i = 0; i < v.count; ++i) ReadNumber(c, v.element_type, what, &integer, &v.numbers[i]);
  }
  return v;
}

GgufValue ReadValue(Cursor& c, GgufValueType type, const std::string& key, const std::string& path,
                    int depth) {
  if (type == GgufValueType::kArray) return ReadArray(c, key, path, depth);
  GgufValue v;
  v.type = type;
  if (type == GgufValueType::kString) {
    v.text = c.ReadString("metadata '" + key + "'");
  } else {
    ReadNumber(c, type, "metadata '" + key + "'", &v.integer, &v.number);
  }
  return v;
}

bool IsInteger(GgufValueType t) {
  return t != GgufValueType::kFloat32 && t != GgufValueType::kFloat64 &&
         t != GgufValueType::kString && t != GgufValueType::kArray && t != GgufValueType::kBool;
}

}  // namespace

std::string GgufValueTypeName(GgufValueType t) {
  static const char* const kNames[] = {"uint8", "int8",   "uint16", "int16", "uint32",
                                       "int32", "float32", "bool",  "string", "array",
                                       "uint64", "int64",  "float64"};
  const auto i = static_cast<uint32_t>(t);
  return i < std::size(kNames) ? kNames[i] : fmt::format("type {}", i);
}

GgufFile::GgufFile(const std::string& path) : file_(std::make_unique<MappedFile>(path)) {
  Cursor c(*file_);
  if (file_->size() < 4 || c.Read<uint32_t>("magic") != kMagic) {
    Fail("{}: not a GGUF file (the first 4 bytes are not \"GGUF\")", path);
  }
  version_ = c.Read<uint32_t>("version");
  if (version_ != 2 && version_ != 3) {
    Fail("{}: GGUF version {} is not supported (supported: 2, 3)", path, version_);
  }
  const auto tensor_count = c.Read<uint64_t>("tensor count");
  const auto kv_count = c.Read<uint64_t>("metadata count");
  // A key/value pair takes at least 8 + 4 + 1 bytes, a tensor info at least 8 + 4 + 4 + 8.
  if (kv_count > c.remaining() / 13 || tensor_count > c.remaining() / 24) {
    Fail("{}: truncated or corrupt header: {} tensors and {} metadata entries cannot fit in {} bytes",
         path, tensor_count, kv_count, file_->size());
  }

  for (uint64_t i = 0; i < kv_count; ++i) {
    const std::string key = c.ReadString(fmt::format("metadata key {}", i));
    const auto type = c.Read<uint32_t>("metadata '" + key + "' type");
    if (type > static_cast<uint32_t>(GgufValueType::kFloat64)) {
      Fail("{}: metadata '{}' has unknown value type {}", path, key, type);
    }
    metadata_[key] = ReadValue(c, static_cast<GgufValueType>(type), key, path, 0);
  }
  if (Has("general.alignment")) {
    const GgufValue& a = metadata_.at("general.alignment");
    if (!IsInteger(a.type) || a.integer <= 0 || (a.integer & (a.integer - 1)) != 0) {
      Fail("{}: metadata 'general.alignment' must be a power of two, got {}", path, a.integer);
    }
    alignment_ = static_cast<uint64_t>(a.integer);
  }

  struct RawInfo {
    std::vector<uint64_t> ne;
    uint32_t type;
    uint64_t offset;
  };
  std::vector<RawInfo> raw;
  for (uint64_t i = 0; i < tensor_count; ++i) {
    StoredTensor t;
    t.name = c.ReadString(fmt::format("tensor info {} name", i));
    t.file = path;
    const auto n_dims = c.Read<uint32_t>("tensor '" + t.name + "' dimension count");
    if (n_dims == 0 || n_dims > kMaxDims) {
      Fail("{}: tensor '{}' has {} dimensions (1 to {} allowed)", path, t.name, n_dims, kMaxDims);
    }
    RawInfo info;
    for (uint32_t d = 0; d < n_dims; ++d) {
      info.ne.push_back(c.Read<uint64_t>("tensor '" + t.name + "' dimensions"));
      if (info.ne.back() > (uint64_t{1} << 40)) {
        Fail("{}: tensor '{}' has an implausible dimension {}", path, t.name, info.ne.back());
      }
    }
    // Sizes are computed from the element count: bound it first (2^62 is more than any
    // file holds and keeps every product below int64).
    uint64_t elements = 1;
    for (uint64_t ne : info.ne) {
      if (ne != 0 && elements > (uint64_t{1} << 62) / ne) {
        Fail("{}: tensor '{}' has an implausible shape: more than 2^62 elements", path, t.name);
      }
      elements *= ne;
    }
    info.type = c.Read<uint32_t>("tensor '" + t.name + "' type");
    info.offset = c.Read<uint64_t>("tensor '" + t.name + "' offset");
    // PyTorch order: outermost dimension first.
    for (auto it = info.ne.rbegin(); it != info.ne.rend(); ++it) t.shape.push_back(static_cast<int64_t>(*it));
    t.type_name = GgmlTypeName(info.type);
    t.plain = info.type == static_cast<uint32_t>(GgmlType::kF32) ||
              info.type == static_cast<uint32_t>(GgmlType::kF16) ||
              info.type == static_cast<uint32_t>(GgmlType::kBF16);
    // Block formats gemmeter reads get their dtype (kept natively or dequantized); other
    // types stay f32-tagged and non-plain, and fail with their name if ever read.
    t.dtype = DTypeOfGgmlType(info.type).value_or(DType::kF32);
    if (index_.count(t.name)) Fail("{}: tensor '{}' appears twice", path, t.name);
    index_[t.name] = tensors_.size();
    tensors_.push_back(std::move(t));
    type_ids_.push_back(info.type);
    raw.push_back(std::move(info));
  }

  // The data section starts at the next multiple of the alignment.
  const uint64_t data_start = (c.offset() + alignment_ - 1) / alignment_ * alignment_;
  for (size_t i = 0; i < tensors_.size(); ++i) {
    StoredTensor& t = tensors_[i];
    const RawInfo& info = raw[i];
    if (info.offset % alignment_ != 0) {
      Fail("{}: tensor '{}' offset {} is not a multiple of the alignment {}", path, t.name,
           info.offset, alignment_);
    }
    // Compared without adding: a hostile offset near 2^64 would wrap the sum.
    const uint64_t available = file_->size() - std::min<uint64_t>(data_start, file_->size());
    const bool offset_in_file = info.offset <= available;
    t.data = file_->data() + (offset_in_file ? data_start + info.offset : file_->size());
    const auto layout = DequantizableLayout(info.type);
    if (!layout) continue;  // size unknown: reported if the tensor is ever read
    if (static_cast<int64_t>(info.ne[0]) % layout->block_size != 0) {
      Fail("{}: tensor '{}' ({}) has rows of {} values, not a multiple of its {}-value blocks",
           path, t.name, t.type_name, info.ne[0], layout->block_size);
    }
    // Rows are the product of the outer dimensions (not numel / ne[0]: ne[0] may be 0).
    uint64_t rows = 1;
    for (size_t d = 1; d < info.ne.size(); ++d) rows *= info.ne[d];
    const size_t row_bytes = GgmlRowBytes(*layout, static_cast<int64_t>(info.ne[0]));
    if (!offset_in_file || (rows != 0 && row_bytes > (available - info.offset) / rows)) {
      Fail("{}: truncated: tensor '{}' ({} {}) at data offset {} needs {} rows of {} bytes but "
           "the file has {} bytes",
           path, t.name, t.type_name, ShapeToString(t.shape), info.offset, rows, row_bytes,
           file_->size());
    }
    t.bytes = row_bytes * rows;
  }
}

const GgufValue* GgufFile::FindMetadata(const std::string& key) const {
  auto it = metadata_.find(key);
  return it == metadata_.end() ? nullptr : &it->second;
}

const GgufValue& GgufFile::Get(const std::string& key) const {
  auto it = metadata_.find(key);
  if (it == metadata_.end()) Fail("{}: missing metadata key '{}'", path(), key);
  return it->second;
}

int64_t GgufFile::GetInt(const std::string& key) const {
  const GgufValue& v = Get(key);
  if (!IsInteger(v.type)) {
    Fail("{}: metadata '{}' is {}, expected an integer", path(), key, GgufValueTypeName(v.type));
  }
  return v.integer;
}

double GgufFile::GetFloat(const std::string& key) const {
  const GgufValue& v = Get(key);
  if (v.type == GgufValueType::kString || v.type == GgufValueType::kArray ||
      v.type == GgufValueType::kBool) {
    Fail("{}: metadata '{}' is {}, expected a number", path(), key, GgufValueTypeName(v.type));
  }
  return v.number;
}

bool GgufFile::GetBool(const std::string& key) const {
  const GgufValue& v = Get(key);
  if (v.type != GgufValueType::kBool) {
    Fail("{}: metadata '{}' is {}, expected a bool", path(), key, GgufValueTypeName(v.type));
  }
  return v.integer != 0;
}

const std::string& GgufFile::GetString(const std::string& key) const {
  const GgufValue& v = Get(key);
  if (v.type != GgufValueType::kString) {
    Fail("{}: metadata '{}' is {}, expected a string", path(), key, GgufValueTypeName(v.type));
  }
  return v.text;
}

const std::vector<std::string>& GgufFile::GetStringArray(const std::string& key) const {
  const GgufValue& v = Get(key);
  if (v.type != GgufValueType::kArray || v.element_type != GgufValueType::kString) {
    Fail("{}: metadata '{}' is not an array of strings", path(), key);
  }
  return v.strings;
}

const std::vector<double>& GgufFile::GetNumberArray(const std::string& key) const {
  const GgufValue& v = Get(key);
  if (v.type != GgufValueType::kArray || v.element_type == GgufValueType::kString ||
      v.element_type == GgufValueType::kArray) {
    Fail("{}: metadata '{}' is not an array of numbers", path(), key);
  }
  return v.numbers;
}

const StoredTensor* GgufFile::Find(const std::string& name) const {
  auto it = index_.find(name);
  return it == index_.end() ? nullptr : &tensors_[it->second];
}

std::vector<std::string> GgufFile::Names() const {
  std::vector<std::string> names;
  for (const StoredTensor& t : tensors_) names.push_back(t.name);
  return names;
}

uint32_t GgufFile::TensorTypeId(const StoredTensor& tensor) const {
  return type_ids_.at(index_.at(tensor.name));
}

void GgufFile::ReadRowsAsF32(const StoredTensor& t, int64_t begin, int64_t count,
                             float* out) const {
  const uint32_t type = TensorTypeId(t);
  if (!DequantizableLayout(type)) {
    Fail("{}: tensor '{}' has type {}, which gemmeter cannot dequantize (supported: {})", path(),
         t.name, t.type_name, DequantizableTypeNames());
  }
  // A GGUF row (ne[0] values, the innermost dimension) is the last PyTorch dimension;
  // an outer row may hold several of them for 3-D and 4-D tensors.
  const int64_t row_values = t.shape.back();
  const int64_t rows = NumElements(t.shape) / std::max<int64_t>(row_values, 1);
  const size_t row_bytes = t.bytes / static_cast<size_t>(std::max<int64_t>(rows, 1));
  int64_t first = 0, n = rows;
  if (t.shape[0] == 0) return;  // no rows (a dimension of 0): nothing to read
  if (t.shape.size() == 1) {  // one GGUF row: only a whole read makes sense
    Check(begin == 0 && count == t.shape[0], "{}: tensor '{}' can only be read whole", path(), t.name);
  } else {
    const int64_t per_outer = rows / t.shape[0];  // GGUF rows per outermost index
    first = begin * per_outer;
    n = count * per_outer;
  }
  ParallelFor(n, row_values, [&](int64_t lo, int64_t hi) {
    for (int64_t r = lo; r < hi; ++r) {
      DequantizeRow(type, static_cast<const uint8_t*>(t.data) + static_cast<size_t>(first + r) * row_bytes,
                    out + r * row_values, row_values);
    }
  });
}

}  // namespace gemmeter
