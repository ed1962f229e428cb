// The `reference` backend: host memory and the plain scalar ops of reference_ops.h.
#pragma once

#include "engine/backend/host_backend.h"

namespace gemmeter {

class ReferenceBackend final : public HostBackend {
 public:
  explicit ReferenceBackend(const BackendOptions& options = {}) : threads_(options.threads) {}
  std::string_view name() const override { return "reference"; }

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

 private:
  int threads_;  // for the matmul's ParallelFor (0: ParallelThreads())
};

}  // namespace gemmeter
