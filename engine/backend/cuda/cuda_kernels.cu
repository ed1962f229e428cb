// Element-wise, normalization, RoPE and log-softmax kernels of the CUDA backend
// (declarations and contracts in cuda_kernels.h). Accurate libm throughout (tanhf, expf,
// logf, sqrtf; no fast intrinsics), so each op stays within the op suite's budgets of the
// float32 reference.
#include <cuda_bf16.h>
#include <cuda_runtime.h>

#include <cfloat>
#include <cstdint>

#include "engine/backend/cuda/cuda_kernels.h"
#include "engine/backend/cuda/cuda_launch.cuh"
#include "engine/backend/cuda/cuda_reduce.cuh"

namespace gemmeter::cuda {
namespace {

__device__ float GeluTanh(float x) {
  // gelu_tanh(x) = 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))
  const float kSqrt2OverPi = 0.7978845608028654f;
  return 0.5f * x * (1.0f + tanhf(kSqrt2OverPi * (x + 0.044715f * x * x * x)));
}

__global__ void EmbeddingKernel(const void* table, bool table_bf16, const int32_t* tokens,
                                int64_t count, int64_t cols, float scale, float* out) {
  for (int64_t i = blockIdx.x * int64_t{blockDim.x} + threadIdx.x; i < count * cols;
       i += int64_t{gridDim.x} * blockDim.x) {
    const int64_t t = i / cols, c = i % cols;
    const int64_t src = int64_t{tokens[t]} * cols + c;
    const float v = table_bf16 ? __bfloat162float(static_cast<const __nv_bfloat16*>(table)[src])
                               : static_cast<const float*>(table)[src];
    out[i] = v * scale;
  }
}

// One block per row.
__global__ void RmsNormKernel(const float* x, const float* gain, float eps, int64_t cols,
                              float* out) {
  __shared__ float scratch[32];
  const float* row = x + blockIdx.x * cols;
  float* dst = out + blockIdx.x * cols;
  float sum = 0.0f;
  for (int64_t c = threadIdx.x; c < cols; c += blockDim.x) sum += row[c] * row[c];
  sum = BlockSum(sum, scratch);
  const float inv = 1.0f / sqrtf(sum / static_cast<float>(cols) + eps);
  for (int64_t c = threadIdx.x; c < cols; c += blockDim.x) dst[c] = row[c] * inv * gain[c];
}

__global__ void AddKernel(const float* a, const float* b, int64_t count, float* out) {
  for (int64_t i = blockIdx.x * int64_t{blockDim.x} + threadIdx.x; i < count;
       i += int64_t{gridDim.x} * blockDim.x) {
    out[i] = a[i] + b[i];
  }
}

__global__ void GeGluKernel(const float* gate, const float* up, int64_t count, float* out) {
  for (int64_t i = blockIdx.x * int64_t{blockDim.x} + threadIdx.x; i < count;
       i += int64_t{gridDim.x} * blockDim.x) {
    out[i] = GeluTanh(gate[i]) * up[i];
  }
}

__global__ void SoftcapKernel(float* x, int64_t count, float cap) {
  for (int64_t i = blockIdx.x * int64_t{blockDim.x} + threadIdx.x; i < count;
       i += int64_t{gridDim.x} * blockDim.x) {
    x[i] = cap * tanhf(x[i] / cap);
  }
}

// One thread per (token, head, i < head_dim / 2) pair of rotated values.
__global__ void RopeKernel(float* x, int64_t tokens, int64_t heads, int64_t head_dim,
                           const int32_t* positions, const float* inv_freq) {
  const int64_t half = head_dim / 2;
  const int64_t count = tokens * heads * half;
  for (int64_t k = blockIdx.x * int64_t{blockDim.x} + threadIdx.x; k < count;
       k += int64_t{gridDim.x} * blockDim.x) {
    const int64_t i = k % half;
    const int64_t th = k / half;  // token * heads + head
    const int64_t t = th / heads;
    const float angle = __fmul_rn(static_cast<float>(positions[t]), inv_freq[i]);
    double s, c;
    sincos(static_cast<double>(angle), &s, &c);
    float* v = x + th * head_dim;
    const double a = v[i], b = v[i + half];
    v[i] = static_cast<float>(a * c - b * s);
    v[i + half] = static_cast<float>(b * c + a * s);
  }
}

__global__ void EpilogueKernel(const float* product, int64_t count, bool gelu,
                               const float* multiply, bool accumulate, float* out) {
  for (int64_t i = blockIdx.x * int64_t{blockDim.x} + threadIdx.x; i < count;
       i += int64_t{gridDim.x} * blockDim.x) {
    float y = product[i];
    if (gelu) y = GeluTanh(y);
    if (multiply != nullptr) y *= multiply[i];
    out[i] = accumulate ? out[i] + y : y;
  }
}

__global__ void ToBf16Kernel(const float* src, int64_t count, __nv_bfloat16* dst) {
  for (int64_t i = blockIdx.x * int64_t{blockDim.x} + threadIdx.x; i < count;
       i += int64_t{gridDim.x} * blockDim.x) {
    dst[i] = __float2bfloat16_rn(src[i]);
  }
}

// One block per row: max and argmax, then the sum of exp(x - max), then the row's targets.
__global__ void LogSoftmaxGatherKernel(const float* logits, int64_t cols, const int64_t* offsets,
                                       const int32_t* targets, float* log_probs,
                                       int32_t* argmax) {
  __shared__ float scratch[32];
  __shared__ int64_t index_scratch[32];
  const float* row = logits + blockIdx.x * cols;
  float best = -INFINITY;
  int64_t best_index = cols;  // beyond every real index: loses every tie
  for (int64_t c = threadIdx.x; c < cols; c += blockDim.x) {
    if (row[c] > best) best = row[c], best_index = c;  // ascending c: keeps the lowest on ties
  }
  BlockArgMax(best, best_index, scratch, index_scratch);
  // All -inf (or NaN) rows: index 0, as the reference's first-element start gives.
  if (best_index >= cols) best_index = 0;
  const float row_max = best;
  float sum = 0.0f;
  for (int64_t c = threadIdx.x; c < cols; c += blockDim.x) sum += expf(row[c] - row_max);
  sum = BlockSum(sum, scratch);
  const float log_sum = logf(sum);
  if (threadIdx.x == 0) argmax[blockIdx.x] = static_cast<int32_t>(best_index);
  for (int64_t i = offsets[blockIdx.x] + threadIdx.x; i < offsets[blockIdx.x + 1];
       i += blockDim.x) {
    // (l_t - m) - log(sum): formed at the scale of the log-probabilities, not the logits'.
    log_probs[i] = (row[targets[i]] - row_max) - log_sum;
  }
}

}  // namespace

int LaunchEmbedding(const void* table, bool table_bf16, const int32_t* tokens, int64_t count,
                    int64_t cols, float scale, float* out, Stream stream) {
  if (count * cols == 0) return 0;
  EmbeddingKernel<<<GridFor(count * cols), kThreads, 0, AsStream(stream)>>>(
      table, table_bf16, tokens, count, cols, scale, out);
  return LastError();
}

int LaunchRmsNorm(const float* x, const float* gain, float eps, int64_t rows, int64_t cols,
                  float* out, Stream stream) {
  if (rows == 0) return 0;
  RmsNormKernel<<<static_cast<unsigned>(rows), kThreads, 0, AsStream(stream)>>>(x, gain, eps,
                                                                              cols, out);
  return LastError();
}

int LaunchAdd(const float* a, const float* b, int64_t count, float* out, Stream stream) {
  if (count == 0) return 0;
  AddKernel<<<GridFor(count), kThreads, 0, AsStream(stream)>>>(a, b, count, out);
  return LastError();
}

int LaunchGeGlu(const float* gate, const float* up, int64_t count, float* out, Stream stream) {
  if (count == 0) return 0;
  GeGluKernel<<<GridFor(count), kThreads, 0, AsStream(stream)>>>(gate, up, count, out);
  return LastError();
}

int LaunchSoftcap(float* x, int64_t count, float cap, Stream stream) {
  if (count == 0) return 0;
  SoftcapKernel<<<GridFor(count), kThreads, 0, AsStream(stream)>>>(x, count, cap);
  return LastError();
}

int LaunchRope(float* x, int64_t tokens, int64_t heads, int64_t head_dim,
               const int32_t* positions, const float* inv_freq, Stream stream) {
  const int64_t count = tokens * heads * (head_dim / 2);
  if (count == 0) return 0;
  RopeKernel<<<GridFor(count), kThreads, 0, AsStream(stream)>>>(x, tokens, heads, head_dim,
                                                               positions, inv_freq);
  return LastError();
}

int LaunchMatMulEpilogue(const float* product, int64_t count, bool gelu, const float* multiply,
                         bool accumulate, float* out, Stream stream) {
  if (count == 0) return 0;
  EpilogueKernel<<<GridFor(count), kThreads, 0, AsStream(stream)>>>(product, count, gelu,
                                                                   multiply, accumulate, out);
  return LastError();
}

int LaunchToBf16(const float* src, int64_t count, uint16_t* dst, Stream stream) {
  if (count == 0) return 0;
  ToBf16Kernel<<<GridFor(count), kThreads, 0, AsStream(stream)>>>(
      src, count, reinterpret_cast<__nv_bfloat16*>(dst));
  return LastError();
}

int LaunchLogSoftmaxGather(const float* logits, int64_t rows, int64_t cols,
                           const int64_t* offsets, const int32_t* targets, float* log_probs,
                           int32_t* argmax, Stream stream) {
  if (rows == 0) return 0;
  LogSoftmaxGatherKernel<<<static_cast<unsigned>(rows), kThreads, 0, AsStream(stream)>>>(
      logits, cols, offsets, targets, log_probs, argmax);
  return LastError();
}

}  // namespace gemmeter::cuda
