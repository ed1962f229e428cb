#include "engine/io/tensor_source.h"

#include "engine/core/error.h"

namespace gemmeter {

void TensorSource::ReadAsF32(const StoredTensor& t, float* out) const {
  if (!t.plain || (t.dtype != DType::kF32 && t.dtype != DType::kBF16 && t.dtype != DType::kF16)) {
    Fail("{}: tensor '{}' has type {}, which cannot be read as floating-point weights", t.file,
         t.name, t.type_name);
  }
  ConvertToF32(t.data, t.dtype, static_cast<size_t>(NumElements(t.shape)), out);
}

}  // namespace gemmeter
