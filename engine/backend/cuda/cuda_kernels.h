// The CUDA backend's own kernels (cuda_kernels.cu, cuda_attention.cu), as plain launch
// functions: no CUDA or project headers here, so the C++ side of the backend
// (cuda_backend.cc, built by the host compiler) and the kernels (built by nvcc) share only
// these declarations. Every pointer is device memory unless named `host_`; every launch is
// queued on `stream` (a cudaStream_t) and returns the launch's cudaError_t as an int
// (0 = cudaSuccess), which the caller turns into an Error naming the op and shapes.
#pragma once

#include <cstdint>

namespace gemmeter::cuda {

using Stream = void*;  // cudaStream_t

// The GGUF block formats the kernels decode (cuda_dequant.cu; layouts in
// engine/core/quant_blocks.h).
enum class BlockFormat { kQ8_0, kQ4_0, kQ5_0, kQ4_K, kQ5_K, kQ6_K };
// out[r, :] = row rows[r] (row r when rows is null) of a [*, cols] matrix of blocks,
// decoded to float32 and times scale: embedding lookups (rows = token ids) and whole
// weight matrices before a float32 matmul. cols is a whole number of blocks.
int LaunchDequantizeRows(const void* blocks, BlockFormat format, const int32_t* rows,
                         int64_t count, int64_t cols, float scale, float* out, Stream stream);
// The same decoding run on the host, on host memory (the decoders are host-and-device
// functions): tests hold it to the plain decoders on machines without a GPU.
void DequantizeRowsOnHost(const void* blocks, BlockFormat format, const int32_t* rows,
                          int64_t count, int64_t cols, float scale, float* out);

// out[t, :] = table[tokens[t], :] * scale; the table is float32 or bf16 (table_bf16).
int LaunchEmbedding(const void* table, bool table_bf16, const int32_t* tokens, int64_t count,
                    int64_t cols, float scale, float* out, Stream stream);
// out[r, :] = x[r, :] / sqrt(mean(x[r, :]^2) + eps) * gain; out may alias x.
int LaunchRmsNorm(const float* x, const float* gain, float eps, int64_t rows, int64_t cols,
                  float* out, Stream stream);
int LaunchAdd(const float* a, const float* b, int64_t count, float* out, Stream stream);
int LaunchGeGlu(const float* gate, const float* up, int64_t count, float* out, Stream stream);
int LaunchSoftcap(float* x, int64_t count, float cap, Stream stream);
// Rotate-half RoPE in place; angle = float32(positions[t]) * inv_freq[i] (float32, as the
// reference forms it), cos/sin and the rotation in double.
int LaunchRope(float* x, int64_t tokens, int64_t heads, int64_t head_dim,
               const int32_t* positions, const float* inv_freq, Stream stream);
// The matmul epilogue when cuBLASLt cannot apply it: y = product; y = gelu_tanh(y) if
// gelu; y *= multiply[i] if multiply; out = (accumulate ? out : 0) + y.
int LaunchMatMulEpilogue(const float* product, int64_t count, bool gelu, const float* multiply,
                         bool accumulate, float* out, Stream stream);
// dst[i] = bf16(src[i]), round to nearest even (cuBLASLt's bf16 matmul takes bf16 activations).
int LaunchToBf16(const float* src, int64_t count, uint16_t* dst, Stream stream);
// Per row r of logits [rows, cols]: row_max[r], row_log_sum[r] = log(sum exp(x - max)) and
// argmax[r] (lowest index on ties); then for each target i of the row (offsets[r] ..
// offsets[r + 1]): log_probs[i] = (x[targets[i]] - max) - log_sum.
int LaunchLogSoftmaxGather(const float* logits, int64_t rows, int64_t cols,
                           const int64_t* offsets, const int32_t* targets, float* log_probs,
                           int32_t* argmax, Stream stream);

// ---- attention (cuda_attention.cu)

// Cached keys/values of the positions [begin, end) of one sequence; row 0 = position begin.
struct KvRange {
  const float* keys;
  const float* values;
  int64_t begin;
  int64_t end;
};
// One sequence of the batch: its rows of q/out and its key ranges (ranges[first_range ..
// first_range + range_count), ascending and back to back from position 0).
struct AttentionSeq {
  int64_t query_row;
  int64_t query_count;
  int64_t start_position;
  int32_t first_range;
  int32_t range_count;
};
// A block's work: `rows` (<= the kernel's tile) query rows of sequence `seq` from its
// query `first_query` on.
struct AttentionTile {
  int32_t seq;
  int32_t first_query;
};
struct AttentionShape {
  int num_heads;
  int num_kv_heads;
  int head_dim;
  float scale;
  float softcap;  // 0: none
  int window;     // 0: full causal
  int64_t rows;   // rows of q and out
};
// Rows per tile of the two kernel variants: wide tiles for prefill, one row per warp for
// decode, where the KV length is split across blocks instead.
constexpr int kPrefillTileRows = 16;
constexpr int kDecodeTileRows = 4;
// Largest head_dim the kernels take (keys and values of a 32-key tile stay in shared memory).
constexpr int kMaxAttentionHeadDim = 512;

// Bytes of the partial results (max, sum, unnormalized output per row, head and split)
// that a split launch needs in `partials`.
int64_t AttentionPartialBytes(const AttentionShape& shape, int splits);
// out = attention(q) as Backend::Attention defines it. tile_rows is kPrefillTileRows or
// kDecodeTileRows; with splits > 1 each block covers a 1/splits share of its tile's keys
// and a second kernel merges the partials (flash-decoding).
int LaunchAttention(const float* q, const AttentionSeq* seqs, const KvRange* ranges,
                    const AttentionTile* tiles, int64_t tile_count, int tile_rows, int splits,
                    const AttentionShape& shape, void* partials, float* out, Stream stream);

}  // namespace gemmeter::cuda
