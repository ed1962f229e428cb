#include "engine/backend/cuda/cuda_device.h"

#include <cstring>
#include <limits>
#include <string>

#include "engine/backend/cuda/cublaslt_api.h"
#include "engine/core/error.h"

namespace gemmeter::cuda {

void FailCuda(cudaError_t error, std::string_view what) {
  Fail("cuda: {}: {}: {}", what, cudaGetErrorName(error), cudaGetErrorString(error));
}

void FailCublas(cublasStatus_t status, std::string_view what) {
  Fail("cuda: {}: cuBLASLt status {} ({})", what, static_cast<int>(status),
       CublasLt().GetStatusString(status));
}

namespace {
void Ok(cudaError_t error, std::string_view what) {
  if (error != cudaSuccess) FailCuda(error, what);
}
constexpr size_t kAlignment = 256;
size_t AlignUp(size_t bytes) { return (bytes + kAlignment - 1) / kAlignment * kAlignment; }
}  // namespace

// ---------------------------------------------------------------- DeviceContext

DeviceContext::DeviceContext(int device) : device_(device) {
  Ok(cudaSetDevice(device), fmt::format("selecting device {}", device));
  Ok(cudaStreamCreateWithFlags(&stream_, cudaStreamNonBlocking), "creating a stream");
  // Keep freed memory in the pool: each forward allocates its activations again, and
  // returning them to the driver would make every allocation a synchronizing cudaMalloc.
  cudaMemPool_t pool;
  Ok(cudaDeviceGetDefaultMemPool(&pool, device), "reading the device's memory pool");
  uint64_t keep_all = std::numeric_limits<uint64_t>::max();
  Ok(cudaMemPoolSetAttribute(pool, cudaMemPoolAttrReleaseThreshold, &keep_all),
     "setting the memory pool's release threshold");
}

DeviceContext::~DeviceContext() {
  cudaStreamSynchronize(stream_);
  cudaStreamDestroy(stream_);
}

void* DeviceContext::Allocate(size_t bytes, std::string_view what) {
  // The current device is per host thread: a backend used from another thread than the one
  // that created it still allocates on its own device.
  Ok(cudaSetDevice(device_), what);
  void* pointer = nullptr;
  const cudaError_t error = cudaMallocAsync(&pointer, AlignUp(bytes == 0 ? 1 : bytes), stream_);
  if (error != cudaSuccess) {
    cudaGetLastError();  // an allocation failure is not sticky: clear it
    size_t free_bytes = 0, total_bytes = 0;
    cudaMemGetInfo(&free_bytes, &total_bytes);
    Fail("cuda: out of device memory allocating {} bytes for {} ({} of {} MiB free): {}", bytes,
         what, free_bytes >> 20, total_bytes >> 20, cudaGetErrorString(error));
  }
  return pointer;
}

void DeviceContext::Free(void* pointer) noexcept {
  // A deleter cannot throw; its error is cleared rather than left for cudaGetLastError()
  // after the next kernel launch to report under that op's name.
  if (cudaFreeAsync(pointer, stream_) != cudaSuccess) cudaGetLastError();
}

// ---------------------------------------------------------------- DeviceScratch

DeviceScratch::~DeviceScratch() {
  if (data_ != nullptr) context_->Free(data_);
}

void* DeviceScratch::Get(size_t bytes, std::string_view what) {
  if (bytes > bytes_) {
    if (data_ != nullptr) context_->Free(data_);
    data_ = nullptr;
    bytes_ = 0;
    const size_t grown = AlignUp(bytes + bytes / 4);  // room to grow a little without reallocating
    data_ = context_->Allocate(grown, what);
    bytes_ = grown;
  }
  return data_;
}

// ---------------------------------------------------------------- StagingRing

StagingRing::StagingRing(std::shared_ptr<DeviceContext> context, size_t half_bytes)
    : context_(std::move(context)) {
  for (cudaEvent_t& event : copied_) {
    Ok(cudaEventCreateWithFlags(&event, cudaEventDisableTiming), "creating an event");
  }
  Reallocate(half_bytes);
}

StagingRing::~StagingRing() {
  Release();
  for (cudaEvent_t event : copied_) cudaEventDestroy(event);
}

void StagingRing::Release() noexcept {
  cudaStreamSynchronize(context_->stream());  // nothing queued reads these any more
  retired_.emplace_back(host_, device_);
  for (auto [host, device] : retired_) {
    if (host != nullptr) cudaFreeHost(host);
    if (device != nullptr) cudaFree(device);
  }
  retired_.clear();
  host_ = nullptr;
  device_ = nullptr;
}

void StagingRing::Reallocate(size_t half_bytes) {
  if (host_ != nullptr) retired_.emplace_back(host_, device_);
  half_bytes_ = AlignUp(half_bytes);
  Ok(cudaMallocHost(&host_, 2 * half_bytes_), "allocating pinned staging memory");
  Ok(cudaMalloc(&device_, 2 * half_bytes_), "allocating the device staging buffer");
  half_ = 0;
  used_ = 0;
}

const void* StagingRing::StageBytes(const void* host, size_t bytes, std::string_view what) {
  if (bytes == 0) return device_;
  const size_t aligned = AlignUp(bytes);
  if (aligned > half_bytes_) Reallocate(2 * aligned);
  if (used_ + aligned > half_bytes_) {
    Ok(cudaEventRecord(copied_[half_], context_->stream()), what);
    half_ ^= 1;
    Ok(cudaEventSynchronize(copied_[half_]), what);  // its last copies are done
    used_ = 0;
  }
  const size_t offset = static_cast<size_t>(half_) * half_bytes_ + used_;
  std::memcpy(host_ + offset, host, bytes);
  Ok(cudaMemcpyAsync(device_ + offset, host_ + offset, bytes, cudaMemcpyHostToDevice,
                     context_->stream()),
     what);
  used_ += aligned;
  return device_ + offset;
}

}  // namespace gemmeter::cuda
