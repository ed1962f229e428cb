// The `reference` backend: host memory and the plain scalar ops of reference_ops.h.
#pragma once

#include "engine/backend/backend.h"

namespace gemmeter {

class ReferenceBackend final : public Backend {
 public:
  explicit ReferenceBackend(const BackendOptions& options = {}) : threads_(options.threads) {}
  std::string_view name() const override { return "reference"; }
  bool Supports(Op op, DType weight_dtype) const override;

  Tensor ImportWeights(const Shape& shape, DType dtype, const void* host,
                       std::shared_ptr<const void> keep_alive) override;
  Tensor Allocate(const Shape& shape, DType dtype) override;
  void Upload(const Tensor& dst, const void* host, DType host_dtype) override;
  void Download(const Tensor& src, float* host) override;

 protected:
  void DoEmbedding(const Tensor& table, std::span<const int32_t> tokens, float scale,
                   const Tensor& out) override;
  void DoRmsNorm(const Tensor& x, const Tensor& gain, float eps, const Tensor& out) override;
  void DoMatMul(const Tensor& x, const Tensor& weight, const Tensor& out,
                const MatMulEpilogue& epilogue) override;
  void DoAdd(const Tensor& a, const Tensor& b, const Tensor& out) override;
  void DoGeGlu(const Tensor& gate, const Tensor& up, const Tensor& out) override;
  void DoSoftcap(const Tensor& x, float cap) override;
  void DoRope(const Tensor& x, int head_dim, std::span<const int32_t> positions, float theta,
              float scaling_factor) override;
  void DoAttention(const Tensor& q, std::span<const AttentionSequence> sequences,
                   const AttentionParams& params, const Tensor& out) override;
  void DoLogSoftmaxGather(const Tensor& logits, std::span<const int64_t> offsets,
                          std::span<const int32_t> targets,
                          std::span<float> log_probs, std::span<int32_t> argmax) override;
  void DoCopyRows(const Tensor& src, int64_t src_row, const Tensor& dst, int64_t dst_row,
                  int64_t count) override;

 private:
  int threads_;  // for the matmul's ParallelFor (0: ParallelThreads())
};

}  // namespace gemmeter
