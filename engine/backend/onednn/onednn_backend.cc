#include "engine/backend/onednn/onednn_backend.h"

#include <fmt/format.h>

#include <algorithm>

#include "engine/backend/host_memory.h"
#include "engine/backend/cpu/cpu_kernels.h"
#include "engine/backend/cpu/quant_kernels.h"
#include "engine/backend/cpu/row_groups.h"
#include "engine/core/error.h"
#include "engine/core/parallel.h"

namespace gemmeter {
namespace {

const float* F32(const Tensor& t) { return static_cast<const float*>(t.data()); }
float* MutableF32(const Tensor& t) { return static_cast<float*>(t.data()); }

}  // namespace

OnednnBackend::OnednnBackend(const BackendOptions& options)
    : threads_(options.threads > 0 ? options.threads : ParallelThreads()),
      engine_(dnnl::engine::kind::cpu, 0) {
  const auto limit = UseThreads();
  matmul_ = std::make_unique<OnednnMatMul>(engine_);
}

ScopedThreadLimit OnednnBackend::UseThreads() const { return ScopedThreadLimit(threads_); }

std::string OnednnBackend::Describe() const {
  const dnnl_version_t* v = dnnl::version();
  return fmt::format("onednn (oneDNN {}.{}.{}, {} threads, {} block kernels)", v->major,
                     v->minor, v->patch, threads_, cpu::IsaName(cpu::SelectedIsa()));
}

Tensor OnednnBackend::ImportWeights(const Shape& shape, DType dtype, const void* host,
                                    std::shared_ptr<const void> keep_alive,
                                    const ReleaseHostBytes& release) {
  const bool groups = shape.size() == 2 && IsBlockFormat(dtype) && shape[0] > 0 &&
                      shape[0] % kRowGroup == 0;
  if (!groups) return HostBackend::ImportWeights(shape, dtype, host, std::move(keep_alive));
  const auto limit = UseThreads();
  Tensor t = Allocate(shape, dtype).WithLayout(RowLayout::kGroupsOf16);
  // A few MiB at a time, each stretch released once copied: resident memory never holds
  // the file's copy and ours of a whole matrix (the 170 MiB tied embedding) at once.
  const size_t row_bytes = RowBytes(dtype, shape[1]);
  const int64_t chunk = std::max<int64_t>(1, (int64_t{4} << 20) / static_cast<int64_t>(
                                                 row_bytes * kRowGroup)) * kRowGroup;
  const auto* from = static_cast<const uint8_t*>(host);
  auto* to = static_cast<uint8_t*>(t.data());
  for (int64_t r = 0; r < shape[0]; r += chunk) {
    const int64_t n = std::min(chunk, shape[0] - r);
    const size_t offset = static_cast<size_t>(r) * row_bytes;
    cpu::GroupRows(from + offset, dtype, n, shape[1], to + offset);
    if (release) release(from + offset, static_cast<size_t>(n) * row_bytes);
  }
  return t;
}

void OnednnBackend::DoEmbedding(const Tensor& table, std::span<const int32_t> tokens, float scale,
                                const Tensor& out) {
  const auto limit = UseThreads();
  cpu::Embedding(cpu::HostMatrixOf(table), tokens.data(), static_cast<int64_t>(tokens.size()),
                 scale, MutableF32(out));
}

void OnednnBackend::DoRmsNorm(const Tensor& x, const Tensor& gain, float eps, const Tensor& out) {
  const auto limit = UseThreads();
  cpu::RmsNorm(F32(x), F32(gain), MutableF32(out), x.rows(), x.cols(), eps);
}

void OnednnBackend::DoMatMul(const Tensor& x, const Tensor& weight, const Tensor& out,
                             const MatMulEpilogue& epilogue) {
  const auto limit = UseThreads();
  matmul_->Run(x, weight, out, epilogue);
}

void OnednnBackend::DoAdd(const Tensor& a, const Tensor& b, const Tensor& out) {
  const auto limit = UseThreads();
  cpu::Add(F32(a), F32(b), MutableF32(out), a.numel());
}

void OnednnBackend::DoGeGlu(const Tensor& gate, const Tensor& up, const Tensor& out) {
  const auto limit = UseThreads();
  cpu::GeGlu(F32(gate), F32(up), MutableF32(out), gate.numel());
}

void OnednnBackend::DoSoftcap(const Tensor& x, float cap) {
  const auto limit = UseThreads();
  cpu::Softcap(MutableF32(x), x.numel(), cap);
}

void OnednnBackend::DoRope(const Tensor& x, int head_dim, std::span<const int32_t> positions,
                           float theta, float scaling_factor) {
  const auto limit = UseThreads();
  cpu::Rope(MutableF32(x), x.rows(), x.cols() / head_dim, head_dim, positions.data(), theta,
            scaling_factor);
}

void OnednnBackend::DoAttention(const Tensor& q, std::span<const AttentionSequence> sequences,
                                const AttentionParams& params, const Tensor& out) {
  const auto limit = UseThreads();
  const int64_t width = q.cols();
  std::vector<cpu::AttentionWork> work;
  work.reserve(sequences.size());
  for (const AttentionSequence& s : sequences) {
    work.push_back({F32(q) + s.query_row * width, s.query_count, s.start_position,
                    HostKvRanges(s), MutableF32(out) + s.query_row * width});
  }
  cpu::Attention(work, params);
}

void OnednnBackend::DoLogSoftmaxGather(const Tensor& logits, std::span<const int64_t> offsets,
                                       std::span<const int32_t> targets,
                                       std::span<float> log_probs, std::span<int32_t> argmax) {
  const auto limit = UseThreads();
  cpu::LogSoftmaxGather(F32(logits), logits.rows(), logits.cols(), offsets.data(), targets.data(),
                        log_probs.data(), argmax.data());
}

void OnednnBackend::DoCopyRows(const Tensor& src, int64_t src_row, const Tensor& dst, int64_t dst_row,
                    int64_t count) {
  const auto limit = UseThreads();
  HostBackend::DoCopyRows(src, src_row, dst, dst_row, count);
}

}  // namespace gemmeter
