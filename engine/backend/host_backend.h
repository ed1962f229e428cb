// What every host-memory backend (reference, onednn) shares: tensors in 64-byte aligned
// host memory (host_memory.h), weights imported in place from the memory-mapped file, and
// the weight dtypes their kernels take. A host backend derives from HostBackend and
// implements the ops' arithmetic only.
#pragma once

#include <memory>

#include "engine/backend/backend.h"

namespace gemmeter {

class HostBackend : public Backend {
 public:
  // Matmul and embedding take f32, bf16 and every GGUF block format (decoded in registers
  // or by rows, never quantizing activations); copies take f32 and bf16; the rest f32.
  bool Supports(Op op, DType weight_dtype) const override;

  // The bytes stay where they are (the file's mapping), kept alive by `keep_alive`.
  Tensor ImportWeights(const Shape& shape, DType dtype, const void* host,
                       std::shared_ptr<const void> keep_alive,
                       const ReleaseHostBytes& release = nullptr) override;
  Tensor Allocate(const Shape& shape, DType dtype) override;
  void Upload(const Tensor& dst, const void* host, DType host_dtype) override;
  void Download(const Tensor& src, float* host) override;

 protected:
  void DoCopyRows(const Tensor& src, int64_t src_row, const Tensor& dst, int64_t dst_row,
                  int64_t count) override;
};

}  // namespace gemmeter
