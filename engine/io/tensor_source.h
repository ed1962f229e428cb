// TensorSource: named tensors stored in a checkpoint (safetensors today, GGUF next),
// seen as host-memory views. The model loader asks a source for each weight by name.
#pragma once

#include <string>
#include <vector>

#include "engine/core/dtype.h"
#include "engine/core/tensor.h"

namespace gemmeter {

struct StoredTensor {
  std::string name;
  std::string file;    // the file it lives in, for error messages
  DType dtype = DType::kF32;
  Shape shape;         // PyTorch order (outermost first)
  const void* data = nullptr;  // host memory (usually memory-mapped), numel * dtype size
};

class TensorSource {
 public:
  virtual ~TensorSource() = default;
  // nullptr when absent.
  virtual const StoredTensor* Find(const std::string& name) const = 0;
  virtual std::vector<std::string> Names() const = 0;
  // For messages: the file or folder the tensors come from.
  virtual std::string Describe() const = 0;
};

}  // namespace gemmeter
