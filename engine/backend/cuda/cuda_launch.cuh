// Launch helpers shared by the CUDA backend's grid-stride kernels (cuda_kernels.cu,
// cuda_dequant.cu).
#pragma once

#include <cuda_runtime.h>

#include <cstdint>

#include "engine/backend/cuda/cuda_kernels.h"

namespace gemmeter::cuda {

inline constexpr int kThreads = 256;  // threads per block

inline cudaStream_t AsStream(Stream s) { return static_cast<cudaStream_t>(s); }

// Enough blocks of kThreads for `count` elements, capped; kernels loop with a grid stride.
inline unsigned GridFor(int64_t count) {
  const int64_t blocks = (count + kThreads - 1) / kThreads;
  return static_cast<unsigned>(blocks < 1 ? 1 : (blocks > 65535 * 8 ? 65535 * 8 : blocks));
}

// The launch's error (0 = cudaSuccess), as the launch functions return it.
inline int LastError() { return static_cast<int>(cudaGetLastError()); }

}  // namespace gemmeter::cuda
