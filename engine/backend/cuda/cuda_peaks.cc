// The device's ceilings for the benchmarks' fractions (cuda_backend.h):
//   bf16_flops:     cuBLASLt's own bf16 matmul (bf16 inputs and output, float32
//                   accumulation) at M = N = K = 8192 on pseudo-random data (zeros run
//                   faster, so they would flatter the ceiling); 2 M N K FLOPs per call.
//   copy_bandwidth: cudaMemcpyAsync of 1 GiB device-to-device, counting the bytes read
//                   and written (2 GiB per call), far beyond the L2.
// Each is the best of 10 timed calls after 3 warm-ups, timed with CUDA events.
#include <cublasLt.h>
#include <cuda_runtime.h>

#include <algorithm>
#include <cstdint>
#include <vector>

#include "engine/backend/cuda/cuda_backend.h"
#include "engine/backend/cuda/cublaslt_api.h"
#include "engine/backend/cuda/cuda_device.h"
#include "engine/core/dtype.h"
#include "engine/core/error.h"

namespace gemmeter {
namespace {

constexpr int kWarmups = 3, kTimed = 10;

// Best seconds per call of `call` (queued on `stream`).
template <typename Fn>
double BestSeconds(cudaStream_t stream, Fn call) {
  cudaEvent_t start, stop;
  GEMMETER_CUDA(cudaEventCreate(&start), "peak: creating events");
  GEMMETER_CUDA(cudaEventCreate(&stop), "peak: creating events");
  for (int i = 0; i < kWarmups; ++i) call();
  double best = 1e30;
  for (int i = 0; i < kTimed; ++i) {
    cudaEventRecord(start, stream);
    call();
    cudaEventRecord(stop, stream);
    GEMMETER_CUDA(cudaEventSynchronize(stop), "peak: timing");
    float ms = 0;
    cudaEventElapsedTime(&ms, start, stop);
    best = std::min(best, ms * 1e-3);
  }
  cudaEventDestroy(start);
  cudaEventDestroy(stop);
  return best;
}

double MatMulPeak(cuda::DeviceContext& context) {
  constexpr int64_t n = 8192;
  const size_t bytes = sizeof(uint16_t) * n * n;
  std::vector<uint16_t> host(static_cast<size_t>(n * n));
  uint32_t state = 12345;
  for (uint16_t& v : host) {  // values in [-1, 1): a linear congruential sequence
    state = state * 1664525u + 1013904223u;
    v = FloatToBF16(static_cast<float>(state >> 8) / 8388608.0f - 1.0f);
  }
  void* a = context.Allocate(bytes, "peak matmul A");
  void* b = context.Allocate(bytes, "peak matmul B");
  void* d = context.Allocate(bytes, "peak matmul D");
  void* workspace = context.Allocate(size_t{32} << 20, "peak matmul workspace");
  const cudaStream_t stream = context.stream();
  GEMMETER_CUDA(cudaMemcpyAsync(a, host.data(), bytes, cudaMemcpyHostToDevice, stream), "peak: upload");
  GEMMETER_CUDA(cudaMemcpyAsync(b, host.data(), bytes, cudaMemcpyHostToDevice, stream), "peak: upload");
  cublasLtHandle_t handle;
  GEMMETER_CUBLAS(cuda::CublasLt().Create(&handle), "peak: cuBLASLt handle");
  cublasLtMatmulDesc_t desc;
  cublasLtMatrixLayout_t layout;
  GEMMETER_CUBLAS(cuda::CublasLt().MatmulDescCreate(&desc, CUBLAS_COMPUTE_32F, CUDA_R_32F), "peak: desc");
  const cublasOperation_t transpose = CUBLAS_OP_T;
  cuda::CublasLt().MatmulDescSetAttribute(desc, CUBLASLT_MATMUL_DESC_TRANSA, &transpose, sizeof transpose);
  GEMMETER_CUBLAS(cuda::CublasLt().MatrixLayoutCreate(&layout, CUDA_R_16BF, n, n, n), "peak: layout");
  cublasLtMatmulPreference_t preference;
  cuda::CublasLt().MatmulPreferenceCreate(&preference);
  const uint64_t workspace_bytes = size_t{32} << 20;
  cuda::CublasLt().MatmulPreferenceSetAttribute(preference, CUBLASLT_MATMUL_PREF_MAX_WORKSPACE_BYTES,
                                       &workspace_bytes, sizeof workspace_bytes);
  cublasLtMatmulHeuristicResult_t result{};
  int found = 0;
  GEMMETER_CUBLAS(cuda::CublasLt().MatmulAlgoGetHeuristic(handle, desc, layout, layout, layout, layout,
                                                 preference, 1, &result, &found),
                  "peak: heuristic");
  Check(found > 0, "cuda peak: cuBLASLt has no bf16 algorithm for 8192^3");
  const float alpha = 1.0f, beta = 0.0f;
  const double seconds = BestSeconds(stream, [&] {
    GEMMETER_CUBLAS(cuda::CublasLt().Matmul(handle, desc, &alpha, a, layout, b, layout, &beta, d, layout, d,
                                   layout, &result.algo, workspace, workspace_bytes, stream),
                    "peak: matmul");
  });
  cuda::CublasLt().MatmulPreferenceDestroy(preference);
  cuda::CublasLt().MatrixLayoutDestroy(layout);
  cuda::CublasLt().MatmulDescDestroy(desc);
  cuda::CublasLt().Destroy(handle);
  for (void* p : {a, b, d, workspace}) context.Free(p);
  return 2.0 * n * n * n / seconds;
}

double CopyPeak(cuda::DeviceContext& context) {
  const size_t bytes = size_t{1} << 30;
  void* src = context.Allocate(bytes, "peak copy source");
  void* dst = context.Allocate(bytes, "peak copy destination");
  const cudaStream_t stream = context.stream();
  GEMMETER_CUDA(cudaMemsetAsync(src, 1, bytes, stream), "peak: memset");
  const double seconds = BestSeconds(stream, [&] {
    GEMMETER_CUDA(cudaMemcpyAsync(dst, src, bytes, cudaMemcpyDeviceToDevice, stream), "peak: copy");
  });
  context.Free(src);
  context.Free(dst);
  return 2.0 * static_cast<double>(bytes) / seconds;
}

}  // namespace

CudaPeaks MeasureCudaPeaks(int device) {
  Check(CudaUnavailableReason().empty(), "cuda peaks: {}", CudaUnavailableReason());
  cuda::DeviceContext context(device);
  cudaDeviceProp props{};
  GEMMETER_CUDA(cudaGetDeviceProperties(&props, device), "reading device {}", device);
  CudaPeaks peaks;
  peaks.device = props.name;
  peaks.bf16_flops = MatMulPeak(context);
  peaks.copy_bandwidth = CopyPeak(context);
  GEMMETER_CUDA(cudaStreamSynchronize(context.stream()), "peak: finishing");
  return peaks;
}

}  // namespace gemmeter
