// Device plumbing of the CUDA backend: checked CUDA calls, the stream every op is queued
// on, grow-only device scratch, and a pinned staging ring for the small host arrays ops
// take (token ids, positions, attention descriptors), so the hot path neither allocates
// nor synchronizes.
#pragma once

#include <cublasLt.h>
#include <cuda_runtime.h>
#include <fmt/format.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string_view>
#include <utility>
#include <vector>

namespace gemmeter::cuda {

// Throw Error("cuda: <what>: <error name>: <description>").
[[noreturn]] void FailCuda(cudaError_t error, std::string_view what);
[[noreturn]] void FailCublas(cublasStatus_t status, std::string_view what);

// Checked calls: `what` (fmt arguments naming the op and its operands) is formatted only
// when the call failed, so passing checks cost nothing on the hot path.
#define GEMMETER_CUDA(call, ...)                                                          \
  do {                                                                                    \
    const cudaError_t gemmeter_error_ = static_cast<cudaError_t>(call);                   \
    if (gemmeter_error_ != cudaSuccess) {                                                 \
      ::gemmeter::cuda::FailCuda(gemmeter_error_, fmt::format(__VA_ARGS__));             \
    }                                                                                     \
  } while (false)
#define GEMMETER_CUBLAS(call, ...)                                                        \
  do {                                                                                    \
    const cublasStatus_t gemmeter_status_ = (call);                                       \
    if (gemmeter_status_ != CUBLAS_STATUS_SUCCESS) {                                      \
      ::gemmeter::cuda::FailCublas(gemmeter_status_, fmt::format(__VA_ARGS__));          \
    }                                                                                     \
  } while (false)

// What outlives the backend object for as long as a tensor lives: the device, the stream
// and the memory pool tensors are freed into.
class DeviceContext {
 public:
  explicit DeviceContext(int device);
  ~DeviceContext();
  DeviceContext(const DeviceContext&) = delete;
  DeviceContext& operator=(const DeviceContext&) = delete;

  int device() const { return device_; }
  cudaStream_t stream() const { return stream_; }
  // Stream-ordered device memory from the device's pool (kept, not returned to the
  // driver, so a forward's activations reuse the last one's); `what` names the request.
  void* Allocate(size_t bytes, std::string_view what);
  void Free(void* pointer) noexcept;

 private:
  int device_;
  cudaStream_t stream_ = nullptr;
};

// Device scratch that only grows; contents are not kept across growth. The old block is
// freed in stream order, after the work queued before the growth.
class DeviceScratch {
 public:
  explicit DeviceScratch(std::shared_ptr<DeviceContext> context) : context_(std::move(context)) {}
  ~DeviceScratch();
  DeviceScratch(const DeviceScratch&) = delete;
  DeviceScratch& operator=(const DeviceScratch&) = delete;
  void* Get(size_t bytes, std::string_view what);

 private:
  std::shared_ptr<DeviceContext> context_;
  void* data_ = nullptr;
  size_t bytes_ = 0;
};

// Copies small host arrays to the device without waiting: each array is written into
// pinned host memory and copied from there, in stream order, into the same offset of a
// device buffer. The ring is used in two halves; before a half is rewritten the host
// waits for the copies queued from it last time (an event), which a forward of a few
// hundred ops almost never has to.
class StagingRing {
 public:
  StagingRing(std::shared_ptr<DeviceContext> context, size_t half_bytes);
  ~StagingRing();
  StagingRing(const StagingRing&) = delete;
  StagingRing& operator=(const StagingRing&) = delete;

  template <typename T>
  const T* Stage(std::span<const T> values, std::string_view what) {
    return static_cast<const T*>(StageBytes(values.data(), values.size_bytes(), what));
  }

 private:
  const void* StageBytes(const void* host, size_t bytes, std::string_view what);
  void Reallocate(size_t half_bytes);
  void Release() noexcept;

  std::shared_ptr<DeviceContext> context_;
  size_t half_bytes_ = 0;
  char* host_ = nullptr;    // pinned, 2 * half_bytes_
  char* device_ = nullptr;  // 2 * half_bytes_
  int half_ = 0;            // the half being filled
  size_t used_ = 0;         // bytes used of it
  cudaEvent_t copied_[2] = {nullptr, nullptr};  // recorded when a half was left
  // Buffers outgrown by a larger array: an op may hold pointers into them from arrays it
  // staged before, so they are freed only with the ring (growth doubles: < 2x the last).
  std::vector<std::pair<char*, char*>> retired_;  // (pinned, device)
};

}  // namespace gemmeter::cuda
