// Warp and block reductions shared by the CUDA kernels. Block sizes are multiples of 32
// up to 1024; every thread of the block must call, and every thread gets the result.
#pragma once

#include <cuda_runtime.h>

#include <cstdint>

namespace gemmeter::cuda {

__device__ inline float WarpSum(float v) {
  for (int offset = 16; offset > 0; offset /= 2) v += __shfl_xor_sync(0xffffffffu, v, offset);
  return v;
}

__device__ inline float WarpMax(float v) {
  for (int offset = 16; offset > 0; offset /= 2) {
    v = fmaxf(v, __shfl_xor_sync(0xffffffffu, v, offset));
  }
  return v;
}

// `scratch`: 32 floats of shared memory, free for this call.
__device__ inline float BlockSum(float v, float* scratch) {
  const int lane = threadIdx.x % 32, warp = threadIdx.x / 32;
  v = WarpSum(v);
  __syncthreads();  // scratch may still be read by a previous reduction
  if (lane == 0) scratch[warp] = v;
  __syncthreads();
  const int warps = blockDim.x / 32;
  v = lane < warps ? scratch[lane] : 0.0f;
  return WarpSum(v);
}

// The larger (value, index) pair; on equal values the lower index.
__device__ inline void ArgMaxPair(float& value, int64_t& index, float other_value,
                                  int64_t other_index) {
  if (other_value > value || (other_value == value && other_index < index)) {
    value = other_value;
    index = other_index;
  }
}

__device__ inline void WarpArgMax(float& value, int64_t& index) {
  for (int offset = 16; offset > 0; offset /= 2) {
    const float v = __shfl_xor_sync(0xffffffffu, value, offset);
    const int64_t i = __shfl_xor_sync(0xffffffffu, index, offset);
    ArgMaxPair(value, index, v, i);
  }
}

// `scratch`, `index_scratch`: 32 entries each of shared memory, free for this call.
__device__ inline void BlockArgMax(float& value, int64_t& index, float* scratch,
                                   int64_t* index_scratch) {
  const int lane = threadIdx.x % 32, warp = threadIdx.x / 32;
  WarpArgMax(value, index);
  __syncthreads();
  if (lane == 0) {
    scratch[warp] = value;
    index_scratch[warp] = index;
  }
  __syncthreads();
  const int warps = blockDim.x / 32;
  value = lane < warps ? scratch[lane] : -INFINITY;
  index = lane < warps ? index_scratch[lane] : INT64_MAX;
  WarpArgMax(value, index);
}

}  // namespace gemmeter::cuda
