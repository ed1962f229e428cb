// Attention on the GPU: a tiled online-softmax kernel (flash-attention's recurrence, Dao et
// al. 2022) for causal attention with grouped/multi-query heads, a sliding window and
// soft-capping, over keys that live in several cache ranges (a shared prefix, then the
// sequence's own rows). Contract in cuda_kernels.h and Backend::Attention.
//
// A block (4 warps) takes one tile of query rows of one sequence and one head; each warp
// owns tile_rows / 4 rows. The block walks the tile's visible keys 32 at a time: the keys
// and values of those 32 positions go to shared memory, lane j scores key j against each
// of the warp's rows, and each row keeps its running max m, sum l and unnormalized output
// (lane holds dimensions lane, lane + 32, ...):
//   m' = max(m, max_j s_j);  l' = l e^(m - m') + sum_j e^(s_j - m');
//   o' = o e^(m - m') + sum_j e^(s_j - m') v_j;  out = o / l.
// Decode (a few rows, long caches) splits each tile's keys over `splits` blocks, which
// write (m, l, o) and a second kernel merges: out = sum_s o_s e^(m_s - M) / sum_s l_s
// e^(m_s - M) with M = max_s m_s (flash-decoding).
#include <cuda_runtime.h>

#include <algorithm>
#include <cstdint>

#include "engine/backend/cuda/cuda_kernels.h"
#include "engine/backend/cuda/cuda_reduce.cuh"

namespace gemmeter::cuda {
namespace {

constexpr int kWarps = 4;
constexpr int kKeysPerTile = 32;  // one key per lane

struct Partials {  // per (split, row, head); o has head_dim entries per triple
  float* m;
  float* l;
  float* o;
};

Partials PartialsOf(void* base, const AttentionShape& shape, int splits) {
  const int64_t triples = int64_t{splits} * shape.rows * shape.num_heads;
  float* f = static_cast<float*>(base);
  return {f, f + triples, f + 2 * triples};
}

size_t SharedBytes(int tile_rows, int head_dim) {
  return sizeof(float) * (size_t{static_cast<size_t>(tile_rows)} * head_dim +
                          size_t{kKeysPerTile} * (head_dim + 1) + size_t{kKeysPerTile} * head_dim);
}

__device__ inline bool Visible(int64_t query_position, int64_t key_position, int window) {
  return key_position <= query_position &&
         (window == 0 || query_position - key_position < window);
}

template <int kRowsPerWarp, int kAcc>
__global__ void __launch_bounds__(kWarps * 32)
    AttentionKernel(const float* q, const AttentionSeq* seqs, const KvRange* ranges,
                    const AttentionTile* tiles, AttentionShape shape, int splits,
                    Partials partials, float* out) {
  extern __shared__ float shared[];
  constexpr int kTileRows = kWarps * kRowsPerWarp;
  const int D = shape.head_dim;
  float* q_s = shared;                           // [kTileRows][D]
  float* k_s = q_s + kTileRows * D;              // [32][D + 1]: padded, conflict-free columns
  float* v_s = k_s + kKeysPerTile * (D + 1);     // [32][D]

  const AttentionTile tile = tiles[blockIdx.x];
  const AttentionSeq seq = seqs[tile.seq];
  const int head = blockIdx.y;
  const int split = blockIdx.z;
  const int kv_head = head / (shape.num_heads / shape.num_kv_heads);
  const int64_t q_stride = int64_t{shape.num_heads} * D;
  const int64_t kv_stride = int64_t{shape.num_kv_heads} * D;
  const int rows = static_cast<int>(min(int64_t{kTileRows}, seq.query_count - tile.first_query));
  const int64_t first_row = seq.query_row + tile.first_query;  // of q and out
  const int64_t first_position = seq.start_position + tile.first_query;

  for (int i = threadIdx.x; i < kTileRows * D; i += blockDim.x) {
    const int r = i / D, d = i % D;
    q_s[i] = r < rows ? q[(first_row + r) * q_stride + int64_t{head} * D + d] : 0.0f;
  }

  // Keys any row of the tile sees, then this block's share of them (whole 32-key tiles).
  const int64_t last_position = first_position + rows - 1;
  const int64_t key_begin =
      shape.window > 0 ? max(int64_t{0}, first_position - shape.window + 1) : int64_t{0};
  const int64_t key_count = last_position + 1 - key_begin;
  const int64_t share =
      ((key_count + splits - 1) / splits + kKeysPerTile - 1) / kKeysPerTile * kKeysPerTile;
  const int64_t my_begin = key_begin + split * share;
  const int64_t my_end = min(last_position + 1, my_begin + share);

  const int warp = threadIdx.x / 32, lane = threadIdx.x % 32;
  float m[kRowsPerWarp], l[kRowsPerWarp], o[kRowsPerWarp][kAcc];
  for (int i = 0; i < kRowsPerWarp; ++i) {
    m[i] = -INFINITY;
    l[i] = 0.0f;
    for (int a = 0; a < kAcc; ++a) o[i][a] = 0.0f;
  }

  for (int64_t tile_begin = my_begin; tile_begin < my_end; tile_begin += kKeysPerTile) {
    __syncthreads();  // the previous tile's keys are no longer read (and q_s is written)
    for (int i = threadIdx.x; i < kKeysPerTile * D; i += blockDim.x) {
      const int j = i / D, d = i % D;
      const int64_t position = tile_begin + j;
      float key = 0.0f, value = 0.0f;
      if (position < my_end) {
        int r = seq.first_range;
        while (r + 1 < seq.first_range + seq.range_count && position >= ranges[r].end) ++r;
        const KvRange range = ranges[r];
        const int64_t at = (position - range.begin) * kv_stride + int64_t{kv_head} * D + d;
        key = range.keys[at];
        value = range.values[at];
      }
      k_s[j * (D + 1) + d] = key;
      v_s[j * D + d] = value;
    }
    __syncthreads();

    const int64_t key_position = tile_begin + lane;
    for (int i = 0; i < kRowsPerWarp; ++i) {
      const int r = warp * kRowsPerWarp + i;
      if (r >= rows) break;  // the same for every lane of the warp
      const int64_t query_position = first_position + r;
      const float* qr = q_s + r * D;
      const float* kj = k_s + lane * (D + 1);
      float s = 0.0f;
      for (int d = 0; d < D; ++d) s = fmaf(qr[d], kj[d], s);
      s *= shape.scale;
      if (shape.softcap > 0.0f) s = shape.softcap * tanhf(s / shape.softcap);
      const bool visible = key_position < my_end && Visible(query_position, key_position, shape.window);
      const float tile_max = WarpMax(visible ? s : -INFINITY);
      if (tile_max == -INFINITY) continue;  // no key of this tile is visible to row r
      const float m_new = fmaxf(m[i], tile_max);
      const float correction = expf(m[i] - m_new);  // 0 while m is -inf
      const float p = visible ? expf(s - m_new) : 0.0f;
      l[i] = l[i] * correction + WarpSum(p);
      for (int a = 0; a < kAcc; ++a) o[i][a] *= correction;
      for (int j = 0; j < kKeysPerTile; ++j) {
        const float pj = __shfl_sync(0xffffffffu, p, j);
        if (pj == 0.0f) continue;  // the same for every lane
        const float* vj = v_s + j * D;
        for (int a = 0; a < kAcc; ++a) {
          const int d = lane + 32 * a;
          if (d < D) o[i][a] = fmaf(pj, vj[d], o[i][a]);
        }
      }
      m[i] = m_new;
    }
  }

  for (int i = 0; i < kRowsPerWarp; ++i) {
    const int r = warp * kRowsPerWarp + i;
    if (r >= rows) break;
    const int64_t row = first_row + r;
    if (splits == 1) {
      const float inv = l[i] > 0.0f ? 1.0f / l[i] : 0.0f;
      for (int a = 0; a < kAcc; ++a) {
        const int d = lane + 32 * a;
        if (d < D) out[row * q_stride + int64_t{head} * D + d] = o[i][a] * inv;
      }
    } else {
      const int64_t triple = (int64_t{split} * shape.rows + row) * shape.num_heads + head;
      if (lane == 0) {
        partials.m[triple] = m[i];
        partials.l[triple] = l[i];
      }
      for (int a = 0; a < kAcc; ++a) {
        const int d = lane + 32 * a;
        if (d < D) partials.o[triple * D + d] = o[i][a];
      }
    }
  }
}

// One block per (tile, head): merges the splits of the tile's rows.
__global__ void MergeSplitsKernel(const AttentionSeq* seqs, const AttentionTile* tiles,
                                  int tile_rows, AttentionShape shape, int splits,
                                  Partials partials, float* out) {
  const AttentionTile tile = tiles[blockIdx.x];
  const AttentionSeq seq = seqs[tile.seq];
  const int head = blockIdx.y;
  const int D = shape.head_dim;
  const int64_t q_stride = int64_t{shape.num_heads} * D;
  const int rows = static_cast<int>(min(int64_t{tile_rows}, seq.query_count - tile.first_query));
  auto triple = [&](int s, int64_t row) {
    return (int64_t{s} * shape.rows + row) * shape.num_heads + head;
  };
  for (int r = 0; r < rows; ++r) {
    const int64_t row = seq.query_row + tile.first_query + r;
    float max_m = -INFINITY;
    for (int s = 0; s < splits; ++s) max_m = fmaxf(max_m, partials.m[triple(s, row)]);
    float sum = 0.0f;
    for (int s = 0; s < splits; ++s) {
      const float ms = partials.m[triple(s, row)];
      if (ms != -INFINITY) sum += partials.l[triple(s, row)] * expf(ms - max_m);
    }
    const float inv = sum > 0.0f ? 1.0f / sum : 0.0f;
    for (int d = threadIdx.x; d < D; d += blockDim.x) {
      float value = 0.0f;
      for (int s = 0; s < splits; ++s) {
        const float ms = partials.m[triple(s, row)];
        if (ms != -INFINITY) value += partials.o[triple(s, row) * D + d] * expf(ms - max_m);
      }
      out[row * q_stride + int64_t{head} * D + d] = value * inv;
    }
  }
}

template <int kRowsPerWarp, int kAcc>
cudaError_t LaunchTiles(const float* q, const AttentionSeq* seqs, const KvRange* ranges,
                        const AttentionTile* tiles, int64_t tile_count, int splits,
                        const AttentionShape& shape, Partials partials, float* out,
                        cudaStream_t stream) {
  auto kernel = AttentionKernel<kRowsPerWarp, kAcc>;
  const size_t bytes = SharedBytes(kWarps * kRowsPerWarp, shape.head_dim);
  // Above 48 KiB a kernel must opt in to more dynamic shared memory: once per kernel, for
  // the most its head dims can need (32 * kAcc), not at every launch (a driver call).
  static const cudaError_t opted_in = cudaFuncSetAttribute(
      kernel, cudaFuncAttributeMaxDynamicSharedMemorySize,
      static_cast<int>(SharedBytes(kWarps * kRowsPerWarp, 32 * kAcc)));
  if (opted_in != cudaSuccess) return opted_in;
  const dim3 grid(static_cast<unsigned>(tile_count), static_cast<unsigned>(shape.num_heads),
                  static_cast<unsigned>(splits));
  kernel<<<grid, kWarps * 32, bytes, stream>>>(q, seqs, ranges, tiles, shape, splits, partials,
                                               out);
  return cudaGetLastError();
}

template <int kRowsPerWarp>
cudaError_t LaunchForHeadDim(const float* q, const AttentionSeq* seqs, const KvRange* ranges,
                             const AttentionTile* tiles, int64_t tile_count, int splits,
                             const AttentionShape& shape, Partials partials, float* out,
                             cudaStream_t stream) {
  // Each lane holds head_dim / 32 output values (rounded up to a power of two).
  const int per_lane = (shape.head_dim + 31) / 32;
#define GEMMETER_ATTENTION_CASE(ACC)                                                     \
  if (per_lane <= ACC) {                                                                 \
    return LaunchTiles<kRowsPerWarp, ACC>(q, seqs, ranges, tiles, tile_count, splits,    \
                                          shape, partials, out, stream);                 \
  }
  GEMMETER_ATTENTION_CASE(1)
  GEMMETER_ATTENTION_CASE(2)
  GEMMETER_ATTENTION_CASE(4)
  GEMMETER_ATTENTION_CASE(8)
  GEMMETER_ATTENTION_CASE(16)
#undef GEMMETER_ATTENTION_CASE
  return cudaErrorInvalidValue;  // head_dim > kMaxAttentionHeadDim: refused by the caller
}

}  // namespace

int64_t AttentionPartialBytes(const AttentionShape& shape, int splits) {
  return int64_t{splits} * shape.rows * shape.num_heads * (shape.head_dim + 2) *
         static_cast<int64_t>(sizeof(float));
}

int LaunchAttention(const float* q, const AttentionSeq* seqs, const KvRange* ranges,
                    const AttentionTile* tiles, int64_t tile_count, int tile_rows, int splits,
                    const AttentionShape& shape, void* partials, float* out, Stream stream) {
  if (tile_count == 0) return 0;
  static_assert(kPrefillTileRows == kWarps * 4 && kDecodeTileRows == kWarps * 1);
  const cudaStream_t s = static_cast<cudaStream_t>(stream);
  const Partials p = splits > 1 ? PartialsOf(partials, shape, splits) : Partials{};
  cudaError_t error =
      tile_rows == kPrefillTileRows
          ? LaunchForHeadDim<4>(q, seqs, ranges, tiles, tile_count, splits, shape, p, out, s)
          : LaunchForHeadDim<1>(q, seqs, ranges, tiles, tile_count, splits, shape, p, out, s);
  if (error != cudaSuccess || splits == 1) return static_cast<int>(error);
  const dim3 grid(static_cast<unsigned>(tile_count), static_cast<unsigned>(shape.num_heads));
  MergeSplitsKernel<<<grid, 128, 0, s>>>(seqs, tiles, tile_rows, shape, splits, p, out);
  return static_cast<int>(cudaGetLastError());
}

}  // namespace gemmeter::cuda
