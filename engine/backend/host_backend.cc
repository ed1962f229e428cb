#include "engine/backend/host_backend.h"

#include <string>

#include "engine/backend/host_memory.h"

namespace gemmeter {

bool HostBackend::Supports(Op op, DType weight_dtype) const {
  switch (op) {
    case Op::kMatMul:
    case Op::kEmbedding:
      return weight_dtype == DType::kF32 || weight_dtype == DType::kBF16 ||
             IsBlockFormat(weight_dtype);
    case Op::kCopyRows:
      return weight_dtype == DType::kF32 || weight_dtype == DType::kBF16;
    default:
      return weight_dtype == DType::kF32;
  }
}

Tensor HostBackend::ImportWeights(const Shape& shape, DType dtype, const void* host,
                                  std::shared_ptr<const void> keep_alive,
                                  const ReleaseHostBytes& /*release: the bytes stay in use*/) {
  return WrapHostTensor(shape, dtype, host, std::move(keep_alive), this);
}

Tensor HostBackend::Allocate(const Shape& shape, DType dtype) {
  return AllocateHostTensor(shape, dtype, this);
}

void HostBackend::Upload(const Tensor& dst, const void* host, DType host_dtype) {
  UploadToHost(dst, host, host_dtype, std::string(name()).c_str());
}

void HostBackend::Download(const Tensor& src, float* host) { DownloadFromHost(src, host); }

void HostBackend::DoCopyRows(const Tensor& src, int64_t src_row, const Tensor& dst,
                             int64_t dst_row, int64_t count) {
  CopyHostRows(src, src_row, dst, dst_row, count);
}

}  // namespace gemmeter
