// The `cuda` backend: every op on an NVIDIA GPU. Weights are copied to the device once
// at load; activations, the KV cache and scratch live on the device; ops are queued on one
// stream without allocating from the driver or waiting, except where a result must reach
// the host (Download, LogSoftmaxGather). Matmuls run through cuBLASLt (cuda_matmul.h),
// the other ops through our kernels (cuda_kernels.h). Built only when Meson finds the
// CUDA toolkit; this header needs no CUDA headers.
#pragma once

#include <memory>
#include <string>

#include "engine/backend/backend.h"

namespace gemmeter {

// Why this process cannot use the cuda backend (no driver, no device, a device older than
// this build's kernels), or "" when it can. Computed once.
const std::string& CudaUnavailableReason();

// Throws Error with CudaUnavailableReason() when there is no usable device.
std::unique_ptr<Backend> MakeCudaBackend(const BackendOptions& options);

// The device's measured ceilings, against which the benchmarks report the cuda backend's
// fractions (cuda_peaks.cc says how each is measured).
struct CudaPeaks {
  std::string device;           // its name
  double bf16_flops = 0;        // cuBLASLt bf16 x bf16 -> bf16 matmul, 8192^3, FLOP/s
  double copy_bandwidth = 0;    // device-to-device copy, bytes read + written per second
};
CudaPeaks MeasureCudaPeaks(int device = 0);

}  // namespace gemmeter
