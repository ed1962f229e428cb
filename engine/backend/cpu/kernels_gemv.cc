// Matrix-vector products for decode (a handful of rows of x): y[m, n] = x[m] . W[n],
// with W in f32, bf16 or a GGUF block format. Decode is bound by reading W once per
// token, so this kernel streams each weight row once for all rows of x (the other rows
// of x re-read it from L1) and reads it at its stored size: bf16 -> f32 is a 16-bit
// shift, block formats unpack in registers (quant_kernels.h). Parallel over blocks of
// output channels n.
#include <algorithm>
#include <cmath>
#include <cstring>

#include "engine/backend/cpu/cpu_kernels.h"
#include "engine/backend/cpu/isa_dispatch.h"
#include "engine/backend/cpu/fast_math.h"
#include "engine/backend/cpu/quant_kernels.h"
#include "engine/core/error.h"
#include "engine/core/parallel.h"

namespace gemmeter::cpu {

GEMMETER_KERNEL_BODY float DotImpl(const float* x, const float* w, int64_t k) {
  float sum = 0.0f;
#pragma omp simd reduction(+ : sum)
  for (int64_t i = 0; i < k; ++i) sum += x[i] * w[i];
  return sum;
}
GEMMETER_DISPATCH(float, Dot, DotImpl,
                  (const float* x, const float* w, int64_t k),
                  (x, w, k))

namespace {

GEMMETER_KERNEL_BODY float DotBF16Impl(const float* x, const uint16_t* w, int64_t k) {
  float sum = 0.0f;
#pragma omp simd reduction(+ : sum)
  for (int64_t i = 0; i < k; ++i) {
    const uint32_t bits = static_cast<uint32_t>(w[i]) << 16;
    float wf;
    std::memcpy(&wf, &bits, 4);
    sum += x[i] * wf;
  }
  return sum;
}
GEMMETER_DISPATCH(float, DotBF16, DotBF16Impl,
                  (const float* x, const uint16_t* w, int64_t k),
                  (x, w, k))

using RowDot = float (*)(const float* x, const uint8_t* row, int64_t k);

float DotF32Row(const float* x, const uint8_t* row, int64_t k) {
  return Dot(x, reinterpret_cast<const float*>(row), k);
}
float DotBF16Row(const float* x, const uint8_t* row, int64_t k) {
  return DotBF16(x, reinterpret_cast<const uint16_t*>(row), k);
}

RowDot DotFor(DType dtype) {
  switch (dtype) {
    case DType::kF32: return DotF32Row;
    case DType::kBF16: return DotBF16Row;
    default: return KernelsFor(dtype).dot;  // Error for anything but a block format
  }
}

}  // namespace

void Gemv(const float* x, int64_t M, int64_t K, const void* w, DType w_dtype, int64_t N,
          float* y, const MatMulEpilogue& e, const float* multiply) {
  const RowDot dot = DotFor(w_dtype);
  const size_t row_bytes = RowBytes(w_dtype, K);
  const auto* rows = static_cast<const uint8_t*>(w);
  // Blocks of 64 output channels per task: enough work per task, and every thread
  // streams a contiguous range of weight rows.
  constexpr int64_t kBlock = 64;
  ParallelChunks(N, kBlock, [&](int64_t n0, int64_t n1) {
    for (int64_t n = n0; n < n1; ++n) {
      const uint8_t* row = rows + static_cast<size_t>(n) * row_bytes;
      for (int64_t m = 0; m < M; ++m) {
        float v = dot(x + m * K, row, K);
        if (e.gelu_tanh) v = FastGeluTanh(v);
        if (multiply) v *= multiply[m * N + n];
        float& out = y[m * N + n];
        out = e.accumulate ? out + v : v;
      }
    }
  }, N * K > 65536 ? 0 : 1);
}

void WidenRows(const void* w, DType w_dtype, int64_t rows, int64_t K, float* out) {
  const auto* src = static_cast<const uint8_t*>(w);
  const size_t row_bytes = RowBytes(w_dtype, K);
  if (w_dtype == DType::kF32) {
    std::memcpy(out, w, row_bytes * static_cast<size_t>(rows));
    return;
  }
  if (w_dtype == DType::kBF16) {
    const int64_t count = rows * K;
    const auto* bits = static_cast<const uint16_t*>(w);
    ParallelChunks(count, 16384, [&](int64_t begin, int64_t end) {
      for (int64_t i = begin; i < end; ++i) {
        const uint32_t b = static_cast<uint32_t>(bits[i]) << 16;
        std::memcpy(&out[i], &b, 4);
      }
    });
    return;
  }
  const auto dequantize = KernelsFor(w_dtype).dequantize;
  ParallelFor(rows, K, [&](int64_t begin, int64_t end) {
    for (int64_t r = begin; r < end; ++r) {
      dequantize(src + static_cast<size_t>(r) * row_bytes, out + r * K, K);
    }
  });
}

}  // namespace gemmeter::cpu
