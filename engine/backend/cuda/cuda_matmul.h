// The CUDA backend's matmul: out[M, N] = epilogue(x[M, K] W[N, K]^T) through cuBLASLt.
// float32 weights multiply in full float32 (CUBLAS_COMPUTE_32F, no TF32); bf16 weights
// take bf16 activations (x rounded to nearest even) with float32 accumulation and a
// float32 result, as the CPU backends' bf16 path does. GGUF block formats stay as blocks
// in device memory and are decoded to a float32 copy of the matrix before each matmul,
// which then runs as float32: the CPU backends' arithmetic (dequantized weights, float32
// activations). Kernels that multiply the blocks directly (decode GEMV) are the next step.
#pragma once

#include <cublasLt.h>

#include <cstdint>
#include <map>
#include <memory>
#include <tuple>

#include "engine/backend/backend.h"
#include "engine/backend/cuda/cuda_device.h"
#include "engine/backend/cuda/cuda_kernels.h"

namespace gemmeter::cuda {

// The device decoders' name for a GGUF block format (Error for any other dtype).
BlockFormat BlockFormatOf(DType dtype);

class CublasLtMatMul {
 public:
  explicit CublasLtMatMul(std::shared_ptr<DeviceContext> context);
  ~CublasLtMatMul();
  CublasLtMatMul(const CublasLtMatMul&) = delete;
  CublasLtMatMul& operator=(const CublasLtMatMul&) = delete;

  // Arguments checked by Backend::MatMul; weight f32, bf16 or a block format.
  void Run(const Tensor& x, const Tensor& weight, const Tensor& out,
           const MatMulEpilogue& epilogue);
  // cuBLASLt's version, for Describe().
  static size_t Version();

 private:
  // What cuBLASLt needs for one problem: descriptors and the algorithm its heuristic chose.
  struct Plan {
    cublasLtMatmulDesc_t desc = nullptr;
    cublasLtMatrixLayout_t a = nullptr, b = nullptr, c = nullptr;
    cublasLtMatmulAlgo_t algo{};
  };
  // M, N, K, bf16 weights, and the alignments (bytes) of the weights, activations, result.
  using Key = std::tuple<int64_t, int64_t, int64_t, bool, uint32_t, uint32_t, uint32_t>;
  const Plan& PlanFor(const Key& key);
  void DestroyPlans() noexcept;

  std::shared_ptr<DeviceContext> context_;
  cublasLtHandle_t handle_ = nullptr;
  DeviceScratch workspace_;
  DeviceScratch activations_bf16_;  // x rounded to bf16
  DeviceScratch product_;           // x W^T before an epilogue cuBLASLt does not apply
  DeviceScratch decoded_weights_;   // a block-format weight decoded to float32
  std::map<Key, Plan> plans_;
};

}  // namespace gemmeter::cuda
