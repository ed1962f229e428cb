// Reference matrix multiply: one double-precision dot product per output element.
#include <vector>

#include "engine/backend/reference/reference_ops.h"
#include "engine/core/dtype.h"
#include "engine/core/parallel.h"

namespace gemmeter::ref {

void MatMul(const float* x, const void* w, DType w_dtype, float* y, int64_t M, int64_t N,
            int64_t K, int threads) {
  const size_t row_bytes = RowBytes(w_dtype, K);
  // Parallel over output channels n: every y[m, n] is the same serial sum whatever the
  // thread count, so results are deterministic.
  ParallelFor(N, M * K, [&](int64_t n_begin, int64_t n_end) {
    std::vector<float> w_row(static_cast<size_t>(K));  // row n decoded to float32 (exact)
    for (int64_t n = n_begin; n < n_end; ++n) {
      ConvertToF32(static_cast<const char*>(w) + static_cast<size_t>(n) * row_bytes, w_dtype,
                   static_cast<size_t>(K), w_row.data());
      for (int64_t m = 0; m < M; ++m) {
        const float* x_row = x + m * K;
        // Four interleaved partial sums instead of one: the same double-precision
        // products, but four independent add chains, so the loop is not bound by the
        // latency of one chain of dependent adds (~4x faster, still deterministic).
        double sum[4] = {0.0, 0.0, 0.0, 0.0};
        int64_t k = 0;
        for (; k + 4 <= K; k += 4) {
          for (int lane = 0; lane < 4; ++lane) {
            sum[lane] += static_cast<double>(x_row[k + lane]) * static_cast<double>(w_row[k + lane]);
          }
        }
        for (; k < K; ++k) sum[0] += static_cast<double>(x_row[k]) * static_cast<double>(w_row[k]);
        y[m * N + n] = static_cast<float>((sum[0] + sum[1]) + (sum[2] + sum[3]));
      }
    }
  }, threads);
}

}  // namespace gemmeter::ref
