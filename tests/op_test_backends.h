// Backends that exist only to test the op suite itself: a forwarding wrapper around the
// reference backend (tests derive from it to break one op on purpose), and a plain
// float32 backend, the least careful implementation the budgets must still admit.
#pragma once

#include <string>

#include "engine/backend/reference/reference_backend.h"

namespace gemmeter::test {

// Forwards every call to a ReferenceBackend. Its tensors are host memory, so derived test
// backends may read and write them through data().
class WrappedBackend : public Backend {
 public:
  explicit WrappedBackend(std::string name) : name_(std::move(name)) {}

  std::string_view name() const override { return name_; }
  bool Supports(Op op, DType weight_dtype) const override {
    return inner_.Supports(op, weight_dtype);
  }
  Tensor Allocate(const Shape& shape, DType dtype) override {
    return inner_.Allocate(shape, dtype);
  }
  void Upload(const Tensor& dst, const void* host, DType host_dtype) override {
    inner_.Upload(dst, host, host_dtype);
  }
  void Download(const Tensor& src, float* host) override { inner_.Download(src, host); }
  void DoEmbedding(const Tensor& table, std::span<const int32_t> tokens, float scale,
                   const Tensor& out) override {
    inner_.Embedding(table, tokens, scale, out);
  }
  void DoRmsNorm(const Tensor& x, const Tensor& gain, float eps, const Tensor& out) override {
    inner_.RmsNorm(x, gain, eps, out);
  }
  void DoMatMul(const Tensor& x, const Tensor& weight, const Tensor& out,
                const MatMulEpilogue& epilogue) override {
    inner_.MatMul(x, weight, out, epilogue);
  }
  void DoAdd(const Tensor& a, const Tensor& b, const Tensor& out) override { inner_.Add(a, b, out); }
  void DoGeGlu(const Tensor& gate, const Tensor& up, const Tensor& out) override {
    inner_.GeGlu(gate, up, out);
  }
  void DoSoftcap(const Tensor& x, float cap) override { inner_.Softcap(x, cap); }
  void DoRope(const Tensor& x, int head_dim, std::span<const int32_t> positions, float theta,
              float scaling_factor) override {
    inner_.Rope(x, head_dim, positions, theta, scaling_factor);
  }
  void DoAttention(const Tensor& q, std::span<const AttentionSequence> sequences,
                   const AttentionParams& params, const Tensor& out) override {
    inner_.Attention(q, sequences, params, out);
  }
  void DoLogSoftmaxGather(const Tensor& logits, std::span<const int64_t> offsets,
                          std::span<const int32_t> targets, std::span<float> log_probs,
                          std::span<int32_t> argmax) override {
    inner_.LogSoftmaxGather(logits, offsets, targets, log_probs, argmax);
  }
  void DoCopyRows(const Tensor& src, int64_t src_row, const Tensor& dst, int64_t dst_row,
                  int64_t count) override {
    inner_.CopyRows(src, src_row, dst, dst_row, count);
  }

 protected:
  ReferenceBackend inner_;

 private:
  std::string name_;
};

// Every op with rounding in it, as naive float32 loops: sequential float sums (the worst
// summation order), float libm, RoPE frequencies from a double pow (one ulp away from the
// reference's float pow), two-pass softmax. With round_bf16_activations, MatMul with bf16
// weights also rounds x to bf16 first, as oneDNN's and ggml's bf16 paths do.
class FloatBackend : public WrappedBackend {
 public:
  explicit FloatBackend(bool round_bf16_activations = false)
      : WrappedBackend(round_bf16_activations ? "float32+bf16-activations" : "float32"),
        round_bf16_activations_(round_bf16_activations) {}

  void DoRmsNorm(const Tensor& x, const Tensor& gain, float eps, const Tensor& out) override;
  void DoMatMul(const Tensor& x, const Tensor& weight, const Tensor& out,
                const MatMulEpilogue& epilogue) override;
  void DoGeGlu(const Tensor& gate, const Tensor& up, const Tensor& out) override;
  void DoSoftcap(const Tensor& x, float cap) override;
  void DoRope(const Tensor& x, int head_dim, std::span<const int32_t> positions, float theta,
              float scaling_factor) override;
  void DoAttention(const Tensor& q, std::span<const AttentionSequence> sequences,
                   const AttentionParams& params, const Tensor& out) override;
  void DoLogSoftmaxGather(const Tensor& logits, std::span<const int64_t> offsets,
                          std::span<const int32_t> targets, std::span<float> log_probs,
                          std::span<int32_t> argmax) override;

 private:
  bool round_bf16_activations_;
};

}  // namespace gemmeter::test
