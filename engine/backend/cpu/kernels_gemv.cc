// Matrix-vector products for decode (a handful of rows of x): y[m, n] = x[m] . W[n],
// with W in f32 or bf16. Decode is bound by reading W once per token, so this kernel
// streams each weight row once for all rows of x and, for bf16 weights, reads half the
// bytes (bf16 -> f32 is a 16-bit shift). Parallel over output channels n.
#include <algorithm>
#include <cmath>
#include <cstring>

#include "engine/backend/cpu/cpu_kernels.h"
#include "engine/backend/cpu/fast_math.h"

namespace gemmeter::cpu {

__attribute__((target_clones("arch=skylake-avx512", "arch=haswell", "default")))
float Dot(const float* x, const float* w, int64_t k) {
  float sum = 0.0f;
#pragma omp simd reduction(+ : sum)
  for (int64_t i = 0; i < k; ++i) sum += x[i] * w[i];
  return sum;
}

namespace {

__attribute__((target_clones("arch=skylake-avx512", "arch=haswell", "default")))
float DotBF16(const float* x, const uint16_t* w, int64_t k) {
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


}  // namespace

void Gemv(const float* x, int64_t M, int64_t K, const void* w, bool bf16, int64_t N, float* y,
          const MatMulEpilogue& e, const float* multiply) {
  // Blocks of 64 output channels per task: enough work per task, and every thread
  // streams a contiguous range of weight rows.
  constexpr int64_t kBlock = 64;
#pragma omp parallel for schedule(static) if (N * K > 65536)
  for (int64_t n0 = 0; n0 < N; n0 += kBlock) {
    const int64_t n1 = std::min(N, n0 + kBlock);
    for (int64_t n = n0; n < n1; ++n) {
      for (int64_t m = 0; m < M; ++m) {
        float v = bf16 ? DotBF16(x + m * K, static_cast<const uint16_t*>(w) + n * K, K)
                       : Dot(x + m * K, static_cast<const float*>(w) + n * K, K);
        if (e.gelu_tanh) v = FastGeluTanh(v);
        if (multiply) v *= multiply[m * N + n];
        float& out = y[m * N + n];
        out = e.accumulate ? out + v : v;
      }
    }
  }
}

void BF16RowsToF32(const uint16_t* w, float* out, int64_t count) {
#pragma omp parallel for schedule(static) if (count > 65536)
  for (int64_t c = 0; c < count; c += 4096) {
    const int64_t end = std::min(count, c + 4096);
    for (int64_t i = c; i < end; ++i) {
      const uint32_t bits = static_cast<uint32_t>(w[i]) << 16;
      std::memcpy(&out[i], &bits, 4);
    }
  }
}

}  // namespace gemmeter::cpu
