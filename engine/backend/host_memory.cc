#include "engine/backend/host_memory.h"

#include <cstdlib>
#include <cstring>
#include <vector>

#include "engine/backend/op_checks.h"
#include "engine/core/error.h"

namespace gemmeter {

Tensor AllocateHostTensor(const Shape& shape, DType dtype, Backend* owner) {
  auto storage = std::make_shared<TensorStorage>();
  const size_t bytes = StorageBytes(shape, dtype);
  // 64-byte alignment (a cache line, one AVX-512 register); aligned_alloc needs a size
  // that is a multiple of the alignment.
  const size_t padded = (bytes + 63) / 64 * 64;
  void* p = padded ? std::aligned_alloc(64, padded) : nullptr;
  Check(padded == 0 || p != nullptr, "out of memory allocating {} bytes for a {} tensor {}", bytes,
        DTypeName(dtype), ShapeToString(shape));
  if (p) std::memset(p, 0, padded);
  storage->data = p;
  storage->bytes = bytes;
  storage->owner = std::shared_ptr<void>(p, [](void* q) { std::free(q); });
  return Tensor(std::move(storage), 0, shape, dtype, owner);
}

Tensor WrapHostTensor(const Shape& shape, DType dtype, const void* host,
                      std::shared_ptr<const void> keep_alive, Backend* owner) {
  auto storage = std::make_shared<TensorStorage>();
  storage->data = const_cast<void*>(host);  // read-only by contract: ops never write weights
  storage->bytes = StorageBytes(shape, dtype);
  storage->owner = std::const_pointer_cast<void>(std::move(keep_alive));
  return Tensor(std::move(storage), 0, shape, dtype, owner);
}

void UploadToHost(const Tensor& dst, const void* host, DType host_dtype, const char* backend) {
  const size_t n = static_cast<size_t>(dst.numel());
  if (host_dtype == dst.dtype()) {
    std::memcpy(dst.data(), host, dst.bytes());
    return;
  }
  Check(!IsBlockFormat(dst.dtype()) && !IsBlockFormat(host_dtype),
        "{} backend: cannot upload {} data into a {} tensor (block formats upload as is)",
        backend, DTypeName(host_dtype), dst);
  std::vector<float> f32(n);
  ConvertToF32(host, host_dtype, n, f32.data());
  switch (dst.dtype()) {
    case DType::kF32:
      std::memcpy(dst.data(), f32.data(), n * sizeof(float));
      return;
    case DType::kBF16: {
      auto* out = static_cast<uint16_t*>(dst.data());
      for (size_t i = 0; i < n; ++i) out[i] = FloatToBF16(f32[i]);
      return;
    }
    default:
      Fail("{} backend: cannot upload {} data into a {} tensor", backend, DTypeName(host_dtype),
           dst.Describe());
  }
}

void DownloadFromHost(const Tensor& src, float* host) {
  ConvertToF32(src.data(), src.dtype(), static_cast<size_t>(src.numel()), host);
}

void CopyHostRows(const Tensor& src, int64_t src_row, const Tensor& dst, int64_t dst_row,
                  int64_t count) {
  CheckCopyRows(src, src_row, dst, dst_row, count);
  const size_t row_bytes = RowBytes(src.dtype(), src.cols());
  std::memmove(static_cast<char*>(dst.data()) + row_bytes * dst_row,
               static_cast<const char*>(src.data()) + row_bytes * src_row, row_bytes * count);
}

std::vector<HostKvRange> HostKvRanges(const AttentionSequence& s) {
  std::vector<HostKvRange> ranges;
  ranges.reserve(s.shared.size() + 1);
  for (const KvSegment& segment : s.shared) {
    if (segment.length == 0) continue;
    ranges.push_back({static_cast<const float*>(segment.keys.data()),
                      static_cast<const float*>(segment.values.data()), segment.first_position,
                      segment.first_position + segment.length});
  }
  ranges.push_back({static_cast<const float*>(s.keys.data()),
                    static_cast<const float*>(s.values.data()), s.own_first_position,
                    s.start_position + s.query_count});
  return ranges;
}

}  // namespace gemmeter
