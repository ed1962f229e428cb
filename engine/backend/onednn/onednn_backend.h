// The `onednn` backend: the fast CPU path. Matrix multiplies run on oneDNN 2.6
// primitives (onednn_matmul.h); the ops oneDNN has no primitive for run on our own
// vectorized kernels (cpu_kernels.h). Tensors live in host memory.
#pragma once

#include <dnnl.hpp>

#include <memory>

#include "engine/backend/host_backend.h"
#include "engine/backend/onednn/onednn_matmul.h"
#include "engine/core/parallel.h"

namespace gemmeter {

class OnednnBackend final : public HostBackend {
 public:
  explicit OnednnBackend(const BackendOptions& options = {});
  std::string_view name() const override { return "onednn"; }
  std::string Describe() const override;
  // GGUF block-format matrices of whole groups of 16 rows are copied into row groups
  // (engine/backend/cpu/row_groups.h: decode's matrix-vector products without horizontal
  // sums, 1.5x faster); others stay in the file's pages, as on any host backend.
  Tensor ImportWeights(const Shape& shape, DType dtype, const void* host,
                       std::shared_ptr<const void> keep_alive,
                       const ReleaseHostBytes& release = nullptr) override;


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
  // oneDNN and our kernels share the OpenMP pool of the calling thread; every op sets its
  // size to this backend's thread count first (a no-op when it already is).
  // This backend's thread count for the loops of the ops it runs (while the returned
  // limit lives).
  [[nodiscard]] ScopedThreadLimit UseThreads() const;

  int threads_;
  dnnl::engine engine_;
  std::unique_ptr<OnednnMatMul> matmul_;
};

}  // namespace gemmeter
