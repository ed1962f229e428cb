#include "engine/io/tensor_source.h"

#include "engine/core/error.h"

namespace gemmeter {

void TensorSource::ReadAsF32(const StoredTensor& t, float* out) const {
  ReadRowsAsF32(t, 0, t.shape.empty() ? 1 : t.shape[0], out);
}

void TensorSource::ReadRowsAsF32(const StoredTensor& t, int64_t begin, int64_t count,
                                 float* out) const {
  if (!t.plain || (t.dtype != DType::kF32 && t.dtype != DType::kBF16 && t.dtype != DType::kF16)) {
    Fail("{}: tensor '{}' has type {}, which cannot be read as floating-point weights", t.file,
         t.name, t.type_name);
  }
  if (!t.shape.empty() && t.shape[0] == 0) return;  // no rows (a [0, n] tensor): nothing to read
  const int64_t row = t.shape.empty() ? 1 : NumElements(t.shape) / t.shape[0];
  ConvertToF32(static_cast<const char*>(t.data) + static_cast<size_t>(begin * row) * DTypeSize(t.dtype),
               t.dtype, static_cast<size_t>(count * row), out);
}

}  // namespace gemmeter
