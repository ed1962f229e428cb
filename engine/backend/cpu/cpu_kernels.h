// Vectorized, multithreaded CPU kernels any CPU backend can use: RMSNorm, RoPE,
// soft-capping, tiled attention, GEMV for decode, and the small element-wise ops (the
// onednn backend pairs them with oneDNN's matmuls).
//
// Written as plain loops that the compiler vectorizes (`omp simd` reductions, float
// accumulation); each hot function is compiled for AVX-512, AVX2+FMA and a portable
// baseline, chosen at run time (isa_dispatch.h). Threads: the process-wide pool of
// engine/core/parallel.h (chunks claimed by whichever thread runs, so a thread the
// scheduler took away does not stall a loop); chunks depend only on the problem size and
// each output element is computed by one thread, so results do not depend on the
// thread count.
//
// The formulas are those of engine/backend/reference/reference_ops.h; the op test
// suite (tests/op_*) holds every kernel to the reference within a stated NMSE budget.
#pragma once

#include <cstdint>

#include <span>
#include <vector>

#include "engine/backend/backend.h"
#include "engine/backend/host_memory.h"
#include "engine/core/parallel.h"

namespace gemmeter::cpu {

// A weight matrix [rows, cols] in host memory as the kernels read it: f32, bf16 or a
// block format, its rows one after another or in row groups (row_groups.h).
struct HostMatrix {
  const void* data = nullptr;
  DType dtype = DType::kF32;
  int64_t cols = 0;
  RowLayout layout = RowLayout::kRows;
};
inline HostMatrix HostMatrixOf(const Tensor& t) {
  return {t.data(), t.dtype(), t.cols(), t.layout()};
}

void RmsNorm(const float* x, const float* gain, float* y, int64_t rows, int64_t cols, float eps);
void Add(const float* a, const float* b, float* y, int64_t n);
void GeGlu(const float* gate, const float* up, float* y, int64_t n);
void Softcap(float* x, int64_t n, float cap);
void Rope(float* x, int64_t tokens, int64_t heads, int64_t head_dim, const int32_t* positions,
          float theta, float scaling_factor);
// Rows tokens[0 .. count) of `table` times `scale`.
void Embedding(const HostMatrix& table, const int32_t* tokens, int64_t count, float scale,
               float* out);
// Row r scores targets[offsets[r] .. offsets[r + 1]) (Backend::LogSoftmaxGather).
void LogSoftmaxGather(const float* logits, int64_t rows, int64_t cols, const int64_t* offsets,
                      const int32_t* targets, float* log_probs, int32_t* argmax);
// float32 -> bfloat16 (round to nearest even), for oneDNN's bf16 matmul inputs.
void ToBF16(const float* x, uint16_t* y, int64_t n);

// sum_i a[i] b[i], float accumulation across vector lanes.
float Dot(const float* a, const float* b, int64_t n);

// y[M, N] = epilogue(x[M, K] W[N, K]^T) for small M <= kMaxGemvRows (decode), W [N, K].
// `multiply` is the epilogue's multiplier as [M, N] floats, or null.
constexpr int64_t kMaxGemvRows = 4;
void Gemv(const float* x, int64_t M, const HostMatrix& w, int64_t N, float* y,
          const MatMulEpilogue& epilogue, const float* multiply);
// Rows [first, first + count) of w -> float32, count x w.cols (parallel unless called
// from a parallel region, as Embedding does per token).
void WidenRows(const HostMatrix& w, int64_t first, int64_t count, float* out);

// One sequence of an attention call: queries [count, H*Dh] at positions
// start..start+count-1 over the keys/values of positions [0, start+count), rows of the
// ranges `kv` (a shared prefix, then the sequence's own rows); out [count, H*Dh].
struct AttentionWork {
  const float* q = nullptr;
  int64_t count = 0;
  int64_t start = 0;
  std::vector<HostKvRange> kv;
  float* out = nullptr;
};
// Tiled over keys with an online softmax (running maximum and normalizer per query), so
// no [count, keys] score matrix is ever materialized; parallel over (sequence, kv head,
// block of queries).
void Attention(std::span<const AttentionWork> sequences, const AttentionParams& params);

}  // namespace gemmeter::cpu
