#include "engine/backend/reference/reference_backend.h"

#include <cstdlib>
#include <vector>

#include "engine/backend/host_memory.h"
#include "engine/backend/reference/reference_ops.h"
#include "engine/core/error.h"

namespace gemmeter {
namespace {

const float* F32(const Tensor& t) { return static_cast<const float*>(t.data()); }
float* MutableF32(const Tensor& t) { return static_cast<float*>(t.data()); }

}  // namespace

void ReferenceBackend::DoEmbedding(const Tensor& table, std::span<const int32_t> tokens,
                                   float scale, const Tensor& out) {
  const int64_t D = table.cols();
  std::vector<float> row(static_cast<size_t>(D));
  const size_t row_bytes = RowBytes(table.dtype(), D);
  for (size_t t = 0; t < tokens.size(); ++t) {
    const char* src = static_cast<const char*>(table.data()) + row_bytes * tokens[t];
    ConvertToF32(src, table.dtype(), static_cast<size_t>(D), row.data());
    float* dst = MutableF32(out) + static_cast<int64_t>(t) * D;
    for (int64_t d = 0; d < D; ++d) dst[d] = row[d] * scale;
  }
}

void ReferenceBackend::DoRmsNorm(const Tensor& x, const Tensor& gain, float eps,
                                 const Tensor& out) {
  ref::RmsNorm(F32(x), F32(gain), MutableF32(out), x.rows(), x.cols(), eps);
}

void ReferenceBackend::DoMatMul(const Tensor& x, const Tensor& weight, const Tensor& out,
                                const MatMulEpilogue& epilogue) {
  const int64_t M = x.rows(), K = x.cols(), N = weight.dim(0);
  const bool plain = !epilogue.gelu_tanh && epilogue.multiply == nullptr && !epilogue.accumulate;
  std::vector<float> product;
  float* y = MutableF32(out);
  if (!plain) {  // compute into a temporary, then apply the epilogue step by step
    product.resize(static_cast<size_t>(M * N));
    y = product.data();
  }
  ref::MatMul(F32(x), weight.data(), weight.dtype(), y, M, N, K, threads_);
  if (plain) return;
  float* o = MutableF32(out);
  const float* multiply = epilogue.multiply ? F32(*epilogue.multiply) : nullptr;
  for (int64_t i = 0; i < M * N; ++i) {
    double v = y[i];
    if (epilogue.gelu_tanh) v = ref::GeluTanh(v);
    if (multiply) v *= multiply[i];
    o[i] = static_cast<float>(epilogue.accumulate ? o[i] + v : v);
  }
}

void ReferenceBackend::DoAdd(const Tensor& a, const Tensor& b, const Tensor& out) {
  const float* pa = F32(a);
  const float* pb = F32(b);
  float* po = MutableF32(out);
  for (int64_t i = 0, n = a.numel(); i < n; ++i) po[i] = pa[i] + pb[i];
}

void ReferenceBackend::DoGeGlu(const Tensor& gate, const Tensor& up, const Tensor& out) {
  ref::GeGlu(F32(gate), F32(up), MutableF32(out), gate.numel());
}

void ReferenceBackend::DoSoftcap(const Tensor& x, float cap) {
  ref::Softcap(MutableF32(x), x.numel(), cap);
}

void ReferenceBackend::DoRope(const Tensor& x, int head_dim, std::span<const int32_t> positions,
                              float theta, float scaling_factor) {
  ref::Rope(MutableF32(x), x.rows(), x.cols() / head_dim, head_dim, positions.data(), theta,
            scaling_factor);
}

void ReferenceBackend::DoAttention(const Tensor& q, std::span<const AttentionSequence> sequences,
                                   const AttentionParams& params, const Tensor& out) {
  const int64_t width = q.cols();
  for (const AttentionSequence& s : sequences) {
    ref::Attention(F32(q) + s.query_row * width, s.query_count, s.start_position,
                   HostKvRanges(s), params, MutableF32(out) + s.query_row * width);
  }
}

void ReferenceBackend::DoLogSoftmaxGather(const Tensor& logits, std::span<const int64_t> offsets,
                                          std::span<const int32_t> targets,
                                          std::span<float> log_probs, std::span<int32_t> argmax) {
  const int64_t V = logits.cols();
  for (int64_t r = 0; r < logits.rows(); ++r) {
    ref::LogSoftmaxGather(F32(logits) + r * V, V, targets.data() + offsets[r],
                          offsets[r + 1] - offsets[r], log_probs.data() + offsets[r], &argmax[r]);
  }
}


}  // namespace gemmeter
