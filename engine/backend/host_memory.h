// Host-memory tensors shared by the CPU backends (reference, onednn): 64-byte aligned,
// zero-initialized storage, and uploads/downloads with dtype conversion.
#pragma once

#include <vector>

#include "engine/backend/backend.h"
#include "engine/core/tensor.h"

namespace gemmeter {

class Backend;

Tensor AllocateHostTensor(const Shape& shape, DType dtype, Backend* owner);
// A tensor over `host` (not copied), valid while `keep_alive` lives: ImportWeights of the
// host backends.
Tensor WrapHostTensor(const Shape& shape, DType dtype, const void* host,
                      std::shared_ptr<const void> keep_alive, Backend* owner);
// dst (f32 or bf16) <- host data of `host_dtype` (f32, bf16 or f16).
void UploadToHost(const Tensor& dst, const void* host, DType host_dtype, const char* backend);
// host f32 <- src (f32, bf16 or f16).
void DownloadFromHost(const Tensor& src, float* host);
// Backend::CopyRows for host tensors (checked; overlapping ranges allowed).
void CopyHostRows(const Tensor& src, int64_t src_row, const Tensor& dst, int64_t dst_row,
                  int64_t count);


// Cached keys/values of the positions [begin, end) of one sequence, row 0 = position begin.
struct HostKvRange {
  const float* keys = nullptr;
  const float* values = nullptr;
  int64_t begin = 0;
  int64_t end = 0;
};
// A sequence's shared segments, then its own rows up to its last new position: the
// positions [0, start + count) in order.
std::vector<HostKvRange> HostKvRanges(const AttentionSequence& sequence);

}  // namespace gemmeter
