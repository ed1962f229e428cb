// Causal attention with GQA/MQA, sliding windows and soft-capping, tiled over keys with
// an online softmax (Milakov & Gimelshein 2018, "Online normalizer calculation for
// softmax"; the FlashAttention recurrence, Dao et al. 2022):
//   for each block of keys: m' = max(m, max_j s_j);  l' = l e^(m - m') + sum_j e^(s_j - m');
//   acc' = acc e^(m - m') + sum_j e^(s_j - m') v_j;   at the end out = acc / l.
// Per query only a block of kKeyBlock scores exists at a time, never a [T, T] matrix.
#include <algorithm>
#include <cmath>
#include <limits>
#include <span>
#include <vector>

#include "engine/backend/cpu/cpu_kernels.h"
#include "engine/backend/cpu/fast_math.h"

namespace gemmeter::cpu {
namespace {

constexpr int64_t kKeyBlock = 64;    // keys per tile: K and V tiles of 64 x 256 floats fit in L2
constexpr int64_t kQueryBlock = 16;  // queries per task, sharing each K/V tile

// Four dot products of q with k_j, k_j+1, k_j+2, k_j+3 (rows `stride` floats apart):
// four independent accumulator chains instead of one, so the FMAs are not bound by the
// latency of a single dependent chain.
__attribute__((target_clones("arch=skylake-avx512", "arch=haswell", "default")))
void Dot4(const float* q, const float* k, int64_t stride, int64_t dim, float* out) {
  const float* k0 = k;
  const float* k1 = k + stride;
  const float* k2 = k + 2 * stride;
  const float* k3 = k + 3 * stride;
  float s0 = 0.0f, s1 = 0.0f, s2 = 0.0f, s3 = 0.0f;
#pragma omp simd reduction(+ : s0, s1, s2, s3)
  for (int64_t d = 0; d < dim; ++d) {
    s0 += q[d] * k0[d];
    s1 += q[d] * k1[d];
    s2 += q[d] * k2[d];
    s3 += q[d] * k3[d];
  }
  out[0] = s0;
  out[1] = s1;
  out[2] = s2;
  out[3] = s3;
}

// acc = acc * alpha + sum_j p[j] * v_j  (v_j rows of `stride` floats)
__attribute__((target_clones("arch=skylake-avx512", "arch=haswell", "default")))
void ScaleAccumulate(float* acc, float alpha, const float* p, const float* v, int64_t n_keys,
                     int64_t stride, int64_t dim) {
#pragma omp simd
  for (int64_t d = 0; d < dim; ++d) acc[d] *= alpha;
  for (int64_t j = 0; j < n_keys; ++j) {
    const float w = p[j];
    const float* vj = v + j * stride;
#pragma omp simd
    for (int64_t d = 0; d < dim; ++d) acc[d] += w * vj[d];
  }
}

// Running softmax state of one (query, head).
struct RowState {
  float max = -std::numeric_limits<float>::infinity();
  float sum = 0.0f;
};

// One tile for one (query, head): scores of q against n keys, then the online-softmax
// update of the row's state and accumulator.
void UpdateRow(const float* q, const float* keys, const float* values, int64_t n,
               int64_t stride, const AttentionParams& p, float* scores, RowState& st,
               float* acc) {
  const int64_t Dh = p.head_dim;
  int64_t j = 0;
  for (; j + 4 <= n; j += 4) Dot4(q, keys + j * stride, stride, Dh, &scores[j]);
  for (; j < n; ++j) scores[j] = Dot(q, keys + j * stride, Dh);
  float block_max = -std::numeric_limits<float>::infinity();
  for (int64_t jj = 0; jj < n; ++jj) {
    float s = scores[jj] * p.scale;
    if (p.softcap > 0.0f) s = p.softcap * FastTanh(s / p.softcap);
    scores[jj] = s;
    block_max = std::max(block_max, s);
  }
  const float new_max = std::max(st.max, block_max);
  // 0 on the first tile (st.max = -inf; std::exp, FastExp clamps).
  const float alpha = std::exp(st.max - new_max);
  float block_sum = 0.0f;
  for (int64_t jj = 0; jj < n; ++jj) {
    scores[jj] = FastExp(scores[jj] - new_max);
    block_sum += scores[jj];
  }
  st.sum = st.sum * alpha + block_sum;
  st.max = new_max;
  ScaleAccumulate(acc, alpha, scores, values, n, stride, Dh);
}

}  // namespace

namespace {

// One task: a block of queries of one sequence against one kv head. Each task owns its
// outputs, so tasks run in any order on any thread with the same results.
void AttendBlock(const AttentionWork& w, int64_t g, int64_t q_begin, const AttentionParams& p,
                 float* out) {
  const int64_t Dh = p.head_dim;
  const int64_t group = p.num_heads / p.num_kv_heads;
  const int64_t q_stride = int64_t{p.num_heads} * Dh;
  const int64_t kv_stride = int64_t{p.num_kv_heads} * Dh;
  const int64_t q_end = std::min(w.count, q_begin + kQueryBlock);
  const int64_t rows = (q_end - q_begin) * group;  // (query, head) pairs of this task
  RowState state[kQueryBlock * 8];
  std::vector<RowState> state_heap;
  RowState* st = state;
  if (rows > kQueryBlock * 8) {
    state_heap.resize(static_cast<size_t>(rows));
    st = state_heap.data();
  } else {
    std::fill(st, st + rows, RowState{});
  }
  std::vector<float> acc(static_cast<size_t>(rows * Dh), 0.0f);
  float scores[kKeyBlock];
  // Keys any query of the block can see: from the first query's window start to the last
  // query's own position.
  const int64_t first_pos = w.start + q_begin, last_pos = w.start + q_end - 1;
  const int64_t key_begin = p.window > 0 ? std::max<int64_t>(0, first_pos - p.window + 1) : 0;
  // Tiles never straddle two ranges (a shared prefix and the sequence's own rows).
  for (const HostKvRange& range : w.kv) {
    for (int64_t k0 = std::max(key_begin, range.begin); k0 <= last_pos && k0 < range.end;
         k0 += kKeyBlock) {
      const int64_t k1 = std::min({last_pos + 1, k0 + kKeyBlock, range.end});
      for (int64_t i = q_begin; i < q_end; ++i) {
        const int64_t pos = w.start + i;
        // Visible keys of this query within the tile: j <= pos and pos - j < window.
        const int64_t lo = std::max(k0, p.window > 0 ? pos - p.window + 1 : int64_t{0});
        const int64_t hi = std::min(k1, pos + 1);
        if (lo >= hi) continue;
        const float* keys = range.keys + (lo - range.begin) * kv_stride + g * Dh;
        const float* values = range.values + (lo - range.begin) * kv_stride + g * Dh;
        for (int64_t hg = 0; hg < group; ++hg) {
          const float* qh = w.q + i * q_stride + (g * group + hg) * Dh;
          const int64_t r = (i - q_begin) * group + hg;
          UpdateRow(qh, keys, values, hi - lo, kv_stride, p, scores, st[r], acc.data() + r * Dh);
        }
      }
    }
  }
  for (int64_t i = q_begin; i < q_end; ++i) {
    for (int64_t hg = 0; hg < group; ++hg) {
      const int64_t r = (i - q_begin) * group + hg;
      const float inv = 1.0f / st[r].sum;
      float* o = out + i * q_stride + (g * group + hg) * Dh;
      for (int64_t d = 0; d < Dh; ++d) o[d] = acc[r * Dh + d] * inv;
    }
  }
}

}  // namespace

void Attention(std::span<const AttentionWork> sequences, const AttentionParams& p) {
  // Tasks over every sequence of the batch at once: (sequence, kv head, query block). A
  // batch of many short sequences (evaluation's continuations) keeps every thread busy
  // with one parallel region, where one region per sequence would leave threads idle.
  struct Task {
    const AttentionWork* work;
    int64_t g, q_begin;
  };
  std::vector<Task> tasks;
  for (const AttentionWork& w : sequences) {
    for (int64_t g = 0; g < p.num_kv_heads; ++g) {
      for (int64_t q0 = 0; q0 < w.count; q0 += kQueryBlock) tasks.push_back({&w, g, q0});
    }
  }
  const auto n = static_cast<int64_t>(tasks.size());
#pragma omp parallel for schedule(dynamic) if (n > 1)
  for (int64_t t = 0; t < n; ++t) {
    AttendBlock(*tasks[t].work, tasks[t].g, tasks[t].q_begin, p, tasks[t].work->out);
  }
}

}  // namespace gemmeter::cpu
