// Element-wise and per-row kernels: RMSNorm, add, GeGLU, soft-cap, embedding,
// log-softmax gather, bf16 conversion.
#include <cmath>
#include <cstring>
#include <limits>

#include "engine/backend/cpu/cpu_kernels.h"
#include "engine/backend/cpu/isa_dispatch.h"
#include "engine/backend/cpu/fast_math.h"
#include "engine/core/dtype.h"

namespace gemmeter::cpu {
namespace {

GEMMETER_KERNEL_BODY void RmsNormRowImpl(const float* x, const float* gain, float* y, int64_t n, float eps) {
  float sum = 0.0f;
#pragma omp simd reduction(+ : sum)
  for (int64_t i = 0; i < n; ++i) sum += x[i] * x[i];
  const float inv = 1.0f / std::sqrt(sum / static_cast<float>(n) + eps);
#pragma omp simd
  for (int64_t i = 0; i < n; ++i) y[i] = x[i] * inv * gain[i];
}
GEMMETER_DISPATCH(void, RmsNormRow, RmsNormRowImpl,
                  (const float* x, const float* gain, float* y, int64_t n, float eps),
                  (x, gain, y, n, eps))

GEMMETER_KERNEL_BODY void AddSpanImpl(const float* a, const float* b, float* y, int64_t n) {
#pragma omp simd
  for (int64_t i = 0; i < n; ++i) y[i] = a[i] + b[i];
}
GEMMETER_DISPATCH(void, AddSpan, AddSpanImpl,
                  (const float* a, const float* b, float* y, int64_t n),
                  (a, b, y, n))

GEMMETER_KERNEL_BODY void GeGluSpanImpl(const float* gate, const float* up, float* y, int64_t n) {
#pragma omp simd
  for (int64_t i = 0; i < n; ++i) y[i] = FastGeluTanh(gate[i]) * up[i];
}
GEMMETER_DISPATCH(void, GeGluSpan, GeGluSpanImpl,
                  (const float* gate, const float* up, float* y, int64_t n),
                  (gate, up, y, n))

GEMMETER_KERNEL_BODY void SoftcapSpanImpl(float* x, int64_t n, float cap) {
  const float inv = 1.0f / cap;
#pragma omp simd
  for (int64_t i = 0; i < n; ++i) x[i] = cap * FastTanh(x[i] * inv);
}
GEMMETER_DISPATCH(void, SoftcapSpan, SoftcapSpanImpl,
                  (float* x, int64_t n, float cap),
                  (x, n, cap))

GEMMETER_KERNEL_BODY float RowMaxImpl(const float* x, int64_t n) {
  float m = -std::numeric_limits<float>::infinity();
#pragma omp simd reduction(max : m)
  for (int64_t i = 0; i < n; ++i) m = x[i] > m ? x[i] : m;
  return m;
}
GEMMETER_DISPATCH(float, RowMax, RowMaxImpl,
                  (const float* x, int64_t n),
                  (x, n))

GEMMETER_KERNEL_BODY float SumExpImpl(const float* x, int64_t n, float shift) {
  float sum = 0.0f;
#pragma omp simd reduction(+ : sum)
  for (int64_t i = 0; i < n; ++i) sum += FastExp(x[i] - shift);
  return sum;
}
GEMMETER_DISPATCH(float, SumExp, SumExpImpl,
                  (const float* x, int64_t n, float shift),
                  (x, n, shift))

GEMMETER_KERNEL_BODY void ToBF16SpanImpl(const float* x, uint16_t* y, int64_t n) {
#pragma omp simd
  for (int64_t i = 0; i < n; ++i) {
    uint32_t u;
    std::memcpy(&u, &x[i], 4);
    // Round to nearest even (NaN inputs do not occur in activations).
    y[i] = static_cast<uint16_t>((u + 0x7fffu + ((u >> 16) & 1u)) >> 16);
  }
}
GEMMETER_DISPATCH(void, ToBF16Span, ToBF16SpanImpl,
                  (const float* x, uint16_t* y, int64_t n),
                  (x, y, n))

// Chunks of 4096 elements per task for the flat element-wise ops.
constexpr int64_t kChunk = 4096;

}  // namespace

void RmsNorm(const float* x, const float* gain, float* y, int64_t rows, int64_t cols, float eps) {
  ParallelFor(rows, cols, [&](int64_t begin, int64_t end) {
    for (int64_t r = begin; r < end; ++r) RmsNormRow(x + r * cols, gain, y + r * cols, cols, eps);
  });
}

void Add(const float* a, const float* b, float* y, int64_t n) {
  ParallelChunks(n, kChunk, [&](int64_t begin, int64_t end) { AddSpan(a + begin, b + begin, y + begin, end - begin); },
                 n > 4 * kChunk ? 0 : 1);
}

void GeGlu(const float* gate, const float* up, float* y, int64_t n) {
  ParallelChunks(n, kChunk, [&](int64_t begin, int64_t end) {
    GeGluSpan(gate + begin, up + begin, y + begin, end - begin);
  });
}

void Softcap(float* x, int64_t n, float cap) {
  ParallelChunks(n, kChunk, [&](int64_t begin, int64_t end) { SoftcapSpan(x + begin, end - begin, cap); });
}

void ToBF16(const float* x, uint16_t* y, int64_t n) {
  ParallelChunks(n, kChunk, [&](int64_t begin, int64_t end) { ToBF16Span(x + begin, y + begin, end - begin); },
                 n > 4 * kChunk ? 0 : 1);
}

void Embedding(const HostMatrix& table, const int32_t* tokens, int64_t count, float scale,
               float* out) {
  const int64_t cols = table.cols;
  ParallelChunks(count, 1, [&](int64_t begin, int64_t end) {
    for (int64_t t = begin; t < end; ++t) {
      float* dst = out + t * cols;
      WidenRows(table, tokens[t], 1, dst);
      for (int64_t i = 0; i < cols; ++i) dst[i] *= scale;
    }
  }, count * cols > 65536 ? 0 : 1);
}

void LogSoftmaxGather(const float* logits, int64_t rows, int64_t cols, const int64_t* offsets,
                      const int32_t* targets, float* log_probs, int32_t* argmax) {
  ParallelChunks(rows, 1, [&](int64_t begin, int64_t end) {
    for (int64_t r = begin; r < end; ++r) {
      const float* row = logits + r * cols;
      const float m = RowMax(row, cols);
      int64_t best = 0;
      while (row[best] != m) ++best;  // the lowest index holding the maximum
      // log p = (l_t - m) - log(sum exp(l - m)); the sum is accumulated in float across
      // the vector lanes (terms <= 1, relative error ~1e-7 * log2(cols)). l_t - m first:
      // m + log(sum) would round at the logits' magnitude (5e-4 for logits near 1e4).
      const float log_sum = std::log(SumExp(row, cols, m));
      for (int64_t i = offsets[r]; i < offsets[r + 1]; ++i) {
        log_probs[i] = (row[targets[i]] - m) - log_sum;
      }
      argmax[r] = static_cast<int32_t>(best);
    }
  });
}

}  // namespace gemmeter::cpu
