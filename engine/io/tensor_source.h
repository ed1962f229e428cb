// TensorSource: the named tensors of a checkpoint (safetensors or GGUF), seen as
// host-memory views in PyTorch dimension order. The model loader asks a source for each
// weight by name and has it convert (or dequantize) the data to float32.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "engine/core/dtype.h"
#include "engine/core/tensor.h"

namespace gemmeter {

struct StoredTensor {
  std::string name;
  std::string file;       // the file it lives in, for error messages
  Shape shape;            // PyTorch order (outermost first)
  std::string type_name;  // the file's own name for the element type: "F32", "BF16", "Q4_K", ...
  // True when the bytes are plain elements of `dtype` (not a quantized block format).
  bool plain = true;
  // The element type when plain; otherwise a block format gemmeter can hold as is
  // (IsBlockFormat(dtype)), or f32 for a block format it cannot read.
  DType dtype = DType::kF32;
  const void* data = nullptr;  // host memory (usually memory-mapped)
  size_t bytes = 0;
};

class TensorSource {
 public:
  virtual ~TensorSource() = default;
  // nullptr when absent.
  virtual const StoredTensor* Find(const std::string& name) const = 0;
  virtual std::vector<std::string> Names() const = 0;
  // For messages: the file or folder the tensors come from.
  virtual std::string Describe() const = 0;
  // When not null: holding it keeps every tensor's `data` valid after the source itself is
  // gone (the memory map of the file), so weights can be used in place.
  virtual std::shared_ptr<const void> Mapping() const { return nullptr; }
  // Bytes of this source's tensors that will not be read again (a backend holds its own
  // copy): a mapped source lets their pages go from resident memory.
  virtual void Release(const void* bytes, size_t count) const {
    (void)bytes;
    (void)count;
  }
  // Converts `tensor` (one of this source's) to numel float32 values in PyTorch order,
  // dequantizing if needed. Throws Error naming the tensor and its type when it cannot.
  virtual void ReadAsF32(const StoredTensor& tensor, float* out) const;
  // The same for rows [begin, begin + count) of the outermost dimension only, so large
  // tensors can be converted a block at a time.
  virtual void ReadRowsAsF32(const StoredTensor& tensor, int64_t begin, int64_t count,
                             float* out) const;
};

}  // namespace gemmeter
