// The CUDA backend's matmul: out[M, N] = epilogue(x[M, K] W[N, K]^T) through cuBLASLt.
// float32 weights multiply in full float32 (CUBLAS_COMPUTE_32F, no TF32); bf16 weights
// take bf16 activations (x rounded to nearest even) with float32 accumulation and a
// float32 result, as the CPU backends' bf16 path does.
#pragma once

#include <cublasLt.h>

#include <cstdint>
#include <map>
#include <memory>
#include <tuple>

#include "engine/backend/backend.h"
#include "engine/backend/cuda/cuda_device.h"

namespace gemmeter::cuda {

class CublasLtMatMul {
 public:
  explicit CublasLtMatMul(std::shared_ptr<DeviceContext> context);
  ~CublasLtMatMul();
  CublasLtMatMul(const CublasLtMatMul&) = delete;
  CublasLtMatMul& operator=(const CublasLtMatMul&) = delete;

  // Arguments checked by Backend::MatMul; weight f32 or bf16.
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
  std::map<Key, Plan> plans_;
};

}  // namespace gemmeter::cuda
