// Matrix-vector products for decode (a handful of rows of x): y[m, n] = x[m] . W[n],
// with W in f32, bf16 or a GGUF block format. Decode is bound by reading W once per
// token, so this kernel streams each weight row once for all rows of x (the other rows
// of x re-read it from L1) and reads it at its stored size: bf16 -> f32 is a 16-bit
// shift, block formats unpack in registers (quant_kernels.h), and a matrix in row groups
// (row_groups.h) gives 16 dot products per pass over a group. Parallel over blocks of
// output channels n.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <vector>

#include "engine/backend/cpu/cpu_kernels.h"
#include "engine/backend/cpu/isa_dispatch.h"
#include "engine/backend/cpu/fast_math.h"
#include "engine/backend/cpu/quant_kernels.h"
#include "engine/backend/cpu/row_groups.h"
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

// y = dots, then gelu_tanh(y) if asked, then y * multiply, then out + y (the order of
// oneDNN's post-ops), over a span of outputs: a separate pass so that it vectorizes (as a
// scalar step after each dot product it took ~6% of a decode step).
GEMMETER_KERNEL_BODY void EpilogueSpanImpl(const float* dots, int64_t n, bool gelu_tanh,
                                           const float* multiply, bool accumulate, float* out) {
#pragma omp simd
  for (int64_t j = 0; j < n; ++j) {
    float v = gelu_tanh ? FastGeluTanh(dots[j]) : dots[j];
    if (multiply) v *= multiply[j];
    out[j] = accumulate ? out[j] + v : v;
  }
}
GEMMETER_DISPATCH(void, EpilogueSpan, EpilogueSpanImpl,
                  (const float* dots, int64_t n, bool gelu_tanh, const float* multiply,
                   bool accumulate, float* out),
                  (dots, n, gelu_tanh, multiply, accumulate, out))

namespace {

// Gemv over row groups: each group's 16 dot products per row of x in one pass.
// x_sums: per row of x, its sums over each 32 values (BlockKernels::group_dot).
using GroupDot = decltype(BlockKernels::group_dot);
void GemvRowGroups(GroupDot group_dot, const float* x, const float* x_sums, int64_t M,
                   const HostMatrix& w, int64_t c0, int64_t count, float* const* target) {
  const size_t group_bytes = RowBytes(w.dtype, w.cols) * kRowGroup;
  const auto* groups = static_cast<const uint8_t*>(w.data);
  const int64_t sums_per_row = w.cols / 32;
  for (int64_t j = 0; j < count; j += kRowGroup) {
    const uint8_t* group = groups + static_cast<size_t>((c0 + j) / kRowGroup) * group_bytes;
    for (int64_t m = 0; m < M; ++m) {
      group_dot(x + m * w.cols, x_sums + m * sums_per_row, group, w.cols, target[m] + j);
    }
  }
}

// Sums of x over each 32 values, per row of x, in a fixed order.
std::vector<float> SumsOf32(const float* x, int64_t M, int64_t K) {
  std::vector<float> sums(static_cast<size_t>(M * (K / 32)));
  for (int64_t m = 0; m < M; ++m) {
    for (int64_t j = 0; j < K / 32; ++j) {
      float s = 0.0f;
      for (int64_t i = 0; i < 32; ++i) s += x[m * K + 32 * j + i];
      sums[static_cast<size_t>(m * (K / 32) + j)] = s;
    }
  }
  return sums;
}

}  // namespace

void Gemv(const float* x, int64_t M, const HostMatrix& w, int64_t N, float* y,
          const MatMulEpilogue& e, const float* multiply) {
  const int64_t K = w.cols;
  const bool grouped = w.layout == RowLayout::kGroupsOf16;
  const RowDot dot = grouped ? nullptr : DotFor(w.dtype);
  const GroupDot group_dot = grouped ? KernelsFor(w.dtype).group_dot : nullptr;
  const size_t row_bytes = RowBytes(w.dtype, K);
  const auto* rows = static_cast<const uint8_t*>(w.data);
  // Blocks of 64 output channels per task (whole row groups): enough work per task, and
  // every thread streams a contiguous range of weight rows.
  constexpr int64_t kBlock = 64;
  static_assert(kBlock % kRowGroup == 0);
  Check(M <= kMaxGemvRows, "Gemv: {} rows of x, at most {}", M, kMaxGemvRows);
  Check(!grouped || (N % kRowGroup == 0 && IsBlockFormat(w.dtype)),
        "Gemv: {} rows of {} in groups of {}", N, DTypeName(w.dtype), kRowGroup);
  const bool plain = !e.gelu_tanh && multiply == nullptr && !e.accumulate;
  const std::vector<float> x_sums = grouped ? SumsOf32(x, M, K) : std::vector<float>();
  ParallelChunks(N, kBlock, [&](int64_t n0, int64_t n1) {
    for (int64_t c0 = n0; c0 < n1; c0 += kBlock) {
      const int64_t count = std::min(kBlock, n1 - c0);
      float dots[kMaxGemvRows][kBlock];
      float* target[kMaxGemvRows];  // straight into y when there is no epilogue
      for (int64_t m = 0; m < M; ++m) target[m] = plain ? y + m * N + c0 : dots[m];
      if (grouped) {
        GemvRowGroups(group_dot, x, x_sums.data(), M, w, c0, count, target);
      } else {
        for (int64_t j = 0; j < count; ++j) {
          const uint8_t* row = rows + static_cast<size_t>(c0 + j) * row_bytes;
          for (int64_t m = 0; m < M; ++m) target[m][j] = dot(x + m * K, row, K);
        }
      }
      if (plain) continue;
      for (int64_t m = 0; m < M; ++m) {
        EpilogueSpan(dots[m], count, e.gelu_tanh, multiply ? multiply + m * N + c0 : nullptr,
                     e.accumulate, y + m * N + c0);
      }
    }
  }, N * K > 65536 ? 0 : 1);
}

void WidenRows(const HostMatrix& w, int64_t first, int64_t count, float* out) {
  const int64_t K = w.cols;
  const size_t row_bytes = RowBytes(w.dtype, K);
  const auto* src = static_cast<const uint8_t*>(w.data) + static_cast<size_t>(first) * row_bytes;
  if (w.layout == RowLayout::kGroupsOf16) {
    // Each row back in its plain layout (a row's bytes), then decoded as such.
    const auto dequantize = KernelsFor(w.dtype).dequantize;
    ParallelFor(count, K, [&](int64_t begin, int64_t end) {
      std::vector<uint8_t> plain(row_bytes * kRowGroup);  // a group at a time, in cache
      for (int64_t r = begin, n = 0; r < end; r += n) {
        n = std::min(kRowGroup - (first + r) % kRowGroup, end - r);
        UngroupRows(static_cast<const uint8_t*>(w.data), w.dtype, K, first + r, n, plain.data());
        for (int64_t i = 0; i < n; ++i) {
          dequantize(plain.data() + static_cast<size_t>(i) * row_bytes, out + (r + i) * K, K);
        }
      }
    });
    return;
  }
  if (w.dtype == DType::kF32) {
    std::memcpy(out, src, row_bytes * static_cast<size_t>(count));
    return;
  }
  if (w.dtype == DType::kBF16) {
    const int64_t n = count * K;
    const auto* bits = reinterpret_cast<const uint16_t*>(src);
    ParallelChunks(n, 16384, [&](int64_t begin, int64_t end) {
      for (int64_t i = begin; i < end; ++i) {
        const uint32_t b = static_cast<uint32_t>(bits[i]) << 16;
        std::memcpy(&out[i], &b, 4);
      }
    });
    return;
  }
  const auto dequantize = KernelsFor(w.dtype).dequantize;
  ParallelFor(count, K, [&](int64_t begin, int64_t end) {
    for (int64_t r = begin; r < end; ++r) {
      dequantize(src + static_cast<size_t>(r) * row_bytes, out + r * K, K);
    }
  });
}

}  // namespace gemmeter::cpu
