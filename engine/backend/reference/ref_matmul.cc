// Reference matrix multiply: one double-precision dot product per output element.
#include "engine/backend/reference/reference_ops.h"
#include "engine/core/dtype.h"
#include "engine/core/parallel.h"

namespace gemmeter::ref {
namespace {

inline float WeightValue(const float* w, int64_t i) { return w[i]; }
inline float WeightValue(const uint16_t* w, int64_t i) { return BF16ToFloat(w[i]); }

template <typename W>
void MatMulImpl(const float* x, const W* w, float* y, int64_t M, int64_t N, int64_t K,
                int threads) {
  // Parallel over output channels n: every y[m, n] is the same serial sum whatever the
  // thread count, so results are deterministic.
  ParallelFor(N, M * K, [&](int64_t n_begin, int64_t n_end) {
    for (int64_t n = n_begin; n < n_end; ++n) {
      const W* w_row = w + n * K;
      for (int64_t m = 0; m < M; ++m) {
        const float* x_row = x + m * K;
        // Four interleaved partial sums instead of one: the same double-precision
        // products, but four independent add chains, so the loop is not bound by the
        // latency of one chain of dependent adds (~4x faster, still deterministic).
        double sum[4] = {0.0, 0.0, 0.0, 0.0};
        int64_t k = 0;
        for (; k + 4 <= K; k += 4) {
          for (int lane = 0; lane < 4; ++lane) {
            sum[lane] += static_cast<double>(x_row[k + lane]) *
                         static_cast<double>(WeightValue(w_row, k + lane));
          }
        }
        for (; k < K; ++k) sum[0] += static_cast<double>(x_row[k]) * static_cast<double>(WeightValue(w_row, k));
        y[m * N + n] = static_cast<float>((sum[0] + sum[1]) + (sum[2] + sum[3]));
      }
    }
  }, threads);
}

}  // namespace

void MatMul(const float* x, const float* w, float* y, int64_t M, int64_t N, int64_t K,
            int threads) {
  MatMulImpl(x, w, y, M, N, K, threads);
}

void MatMul(const float* x, const uint16_t* w_bf16, float* y, int64_t M, int64_t N, int64_t K,
            int threads) {
  MatMulImpl(x, w_bf16, y, M, N, K, threads);
}

}  // namespace gemmeter::ref
