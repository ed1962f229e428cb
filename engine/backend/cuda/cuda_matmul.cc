#include "engine/backend/cuda/cuda_matmul.h"

#include <cuda_runtime.h>
#include <fmt/format.h>

#include <bit>

#include "engine/backend/cuda/cublaslt_api.h"
#include "engine/backend/cuda/cuda_kernels.h"
#include "engine/core/error.h"

namespace gemmeter::cuda {
namespace {

// 32 MiB: the workspace NVIDIA's cuBLAS documentation recommends for Hopper.
constexpr size_t kWorkspaceBytes = size_t{32} << 20;

// The alignment cuBLASLt may assume of a pointer: the largest power of two dividing its
// address, up to 256 (the heuristic's default assumption). Row views of a tensor start
// at any row, so the plan depends on it.
uint32_t AlignmentOf(const void* pointer) {
  const auto address = reinterpret_cast<uintptr_t>(pointer);
  if (address == 0) return 256;
  return static_cast<uint32_t>(std::min<uintptr_t>(256, address & (~address + 1)));
}

}  // namespace

BlockFormat BlockFormatOf(DType dtype) {
  switch (dtype) {
    case DType::kQ8_0: return BlockFormat::kQ8_0;
    case DType::kQ4_0: return BlockFormat::kQ4_0;
    case DType::kQ5_0: return BlockFormat::kQ5_0;
    case DType::kQ4_K: return BlockFormat::kQ4_K;
    case DType::kQ5_K: return BlockFormat::kQ5_K;
    case DType::kQ6_K: return BlockFormat::kQ6_K;
    default: Fail("cuda: {} is not a block format", DTypeName(dtype));
  }
}

CublasLtMatMul::CublasLtMatMul(std::shared_ptr<DeviceContext> context)
    : context_(std::move(context)), workspace_(context_), activations_bf16_(context_),
      product_(context_), decoded_weights_(context_) {
  GEMMETER_CUBLAS(CublasLt().Create(&handle_), "creating a cuBLASLt handle");
}

CublasLtMatMul::~CublasLtMatMul() {
  DestroyPlans();
  CublasLt().Destroy(handle_);
}

size_t CublasLtMatMul::Version() { return CublasLt().GetVersion(); }

void CublasLtMatMul::DestroyPlans() noexcept {
  for (auto& [key, plan] : plans_) {
    CublasLt().MatrixLayoutDestroy(plan.a);
    CublasLt().MatrixLayoutDestroy(plan.b);
    CublasLt().MatrixLayoutDestroy(plan.c);
    CublasLt().MatmulDescDestroy(plan.desc);
  }
  plans_.clear();
}

const CublasLtMatMul::Plan& CublasLtMatMul::PlanFor(const Key& key) {
  if (auto it = plans_.find(key); it != plans_.end()) return it->second;
  // Every batch size is a new plan; a long evaluation sees a few hundred.
  if (plans_.size() >= 4096) DestroyPlans();
  const auto [m, n, k, bf16, align_a, align_b, align_c] = key;
  auto what = [&] {
    return fmt::format("planning matmul M={} N={} K={} ({} weights)", m, n, k,
                       bf16 ? "bf16" : "f32");
  };
  Plan plan;
  const cudaDataType_t input_type = bf16 ? CUDA_R_16BF : CUDA_R_32F;
  // cuBLASLt is column-major: row-major out[M, N] = x W^T is C = op(A) B with A = W's
  // bytes read as a K x N matrix (ld K), transposed; B = x's bytes read as K x M (ld K);
  // C = out's bytes read as N x M (ld N).
  GEMMETER_CUBLAS(CublasLt().MatmulDescCreate(&plan.desc, CUBLAS_COMPUTE_32F, CUDA_R_32F), "{}", what());
  const cublasOperation_t transpose = CUBLAS_OP_T, keep = CUBLAS_OP_N;
  GEMMETER_CUBLAS(CublasLt().MatmulDescSetAttribute(plan.desc, CUBLASLT_MATMUL_DESC_TRANSA,
                                                 &transpose, sizeof transpose), "{}", what());
  GEMMETER_CUBLAS(CublasLt().MatmulDescSetAttribute(plan.desc, CUBLASLT_MATMUL_DESC_TRANSB, &keep,
                                                 sizeof keep), "{}", what());
  GEMMETER_CUBLAS(CublasLt().MatrixLayoutCreate(&plan.a, input_type, static_cast<uint64_t>(k),
                                             static_cast<uint64_t>(n), k), "{}", what());
  GEMMETER_CUBLAS(CublasLt().MatrixLayoutCreate(&plan.b, input_type, static_cast<uint64_t>(k),
                                             static_cast<uint64_t>(m), k), "{}", what());
  GEMMETER_CUBLAS(CublasLt().MatrixLayoutCreate(&plan.c, CUDA_R_32F, static_cast<uint64_t>(n),
                                             static_cast<uint64_t>(m), n), "{}", what());
  cublasLtMatmulPreference_t preference = nullptr;
  GEMMETER_CUBLAS(CublasLt().MatmulPreferenceCreate(&preference), "{}", what());
  const uint64_t workspace = kWorkspaceBytes;
  CublasLt().MatmulPreferenceSetAttribute(preference, CUBLASLT_MATMUL_PREF_MAX_WORKSPACE_BYTES,
                                       &workspace, sizeof workspace);
  CublasLt().MatmulPreferenceSetAttribute(preference, CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_A_BYTES,
                                       &align_a, sizeof align_a);
  CublasLt().MatmulPreferenceSetAttribute(preference, CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_B_BYTES,
                                       &align_b, sizeof align_b);
  CublasLt().MatmulPreferenceSetAttribute(preference, CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_C_BYTES,
                                       &align_c, sizeof align_c);
  CublasLt().MatmulPreferenceSetAttribute(preference, CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_D_BYTES,
                                       &align_c, sizeof align_c);
  cublasLtMatmulHeuristicResult_t result{};
  int found = 0;
  const cublasStatus_t status = CublasLt().MatmulAlgoGetHeuristic(
      handle_, plan.desc, plan.a, plan.b, plan.c, plan.c, preference, 1, &result, &found);
  CublasLt().MatmulPreferenceDestroy(preference);
  if (status != CUBLAS_STATUS_SUCCESS || found == 0) {
    CublasLt().MatrixLayoutDestroy(plan.a);
    CublasLt().MatrixLayoutDestroy(plan.b);
    CublasLt().MatrixLayoutDestroy(plan.c);
    CublasLt().MatmulDescDestroy(plan.desc);
    if (status != CUBLAS_STATUS_SUCCESS) FailCublas(status, what());
    Fail("cuda: {}: cuBLASLt has no algorithm for it", what());
  }
  plan.algo = result.algo;
  return plans_.emplace(key, plan).first->second;
}

void CublasLtMatMul::Run(const Tensor& x, const Tensor& weight, const Tensor& out,
                         const MatMulEpilogue& epilogue) {
  const int64_t m = x.rows(), k = x.cols(), n = weight.rows();
  if (m == 0 || n == 0) return;
  const cudaStream_t stream = context_->stream();
  const bool bf16 = weight.dtype() == DType::kBF16;
  const bool separate_epilogue = epilogue.gelu_tanh || epilogue.multiply != nullptr;
  auto what = [&] {
    return fmt::format("matmul {} x {}^T -> {}", x, weight, out);
  };
  float* result = separate_epilogue
                      ? static_cast<float*>(product_.Get(sizeof(float) * m * n, "matmul product"))
                      : static_cast<float*>(out.data());
  if (k == 0) {  // an empty sum: the product is zero
    GEMMETER_CUDA(cudaMemsetAsync(result, 0, sizeof(float) * m * n, stream), "{}", what());
    if (!separate_epilogue && epilogue.accumulate) return;  // out + 0
  } else {
    const void* weights = weight.data();
    if (IsBlockFormat(weight.dtype())) {
      auto* decoded = static_cast<float*>(decoded_weights_.Get(sizeof(float) * n * k,
                                                               "decoded block-format weights"));
      GEMMETER_CUDA(LaunchDequantizeRows(weights, BlockFormatOf(weight.dtype()), nullptr, n, k,
                                         1.0f, decoded, stream),
                    "decoding {}", weight);
      weights = decoded;
    }
    const void* activations = x.data();
    if (bf16) {
      auto* rounded = static_cast<uint16_t*>(activations_bf16_.Get(sizeof(uint16_t) * m * k,
                                                                   "bf16 activations"));
      GEMMETER_CUDA(LaunchToBf16(static_cast<const float*>(x.data()), m * k, rounded, stream),
                    "{}", what());
      activations = rounded;
    }
    const Key key{m, n, k, bf16, AlignmentOf(weights), AlignmentOf(activations),
                  AlignmentOf(result)};
    const Plan& plan = PlanFor(key);
    const float alpha = 1.0f;
    const float beta = !separate_epilogue && epilogue.accumulate ? 1.0f : 0.0f;
    void* workspace = workspace_.Get(kWorkspaceBytes, "cuBLASLt workspace");
    GEMMETER_CUBLAS(CublasLt().Matmul(handle_, plan.desc, &alpha, weights, plan.a, activations,
                                   plan.b, &beta, result, plan.c, result, plan.c, &plan.algo,
                                   workspace, kWorkspaceBytes, stream),
                    "{}", what());
  }
  if (separate_epilogue) {
    const float* multiply =
        epilogue.multiply != nullptr ? static_cast<const float*>(epilogue.multiply->data()) : nullptr;
    GEMMETER_CUDA(LaunchMatMulEpilogue(result, m * n, epilogue.gelu_tanh, multiply,
                                       epilogue.accumulate, static_cast<float*>(out.data()),
                                       stream),
                  "{}", what());
  }
}

}  // namespace gemmeter::cuda
