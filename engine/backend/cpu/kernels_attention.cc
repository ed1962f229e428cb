// Causal attention with GQA/MQA, sliding windows and soft-capping, tiled over keys with
// an online softmax (Milakov & Gimelshein 2018, "Online normalizer calculation for
// softmax"; the FlashAttention recurrence, Dao et al. 2022):
//   for each block of keys: m' = max(m, max_j s_j);  l' = l e^(m - m') + sum_j e^(s_j - m');
//   acc' = acc e^(m - m') + sum_j e^(s_j - m') v_j;   at the end out = acc / l.
// Per query only a block of kKeyBlock scores exists at a time, never a [T, T] matrix.
#include <algorithm>
#include <cstring>
#include <cmath>
#include <limits>
#include <span>
#include <vector>

#include "engine/backend/cpu/cpu_kernels.h"
#include "engine/backend/cpu/isa_dispatch.h"
#include "engine/backend/cpu/fast_math.h"

namespace gemmeter::cpu {
namespace {

constexpr int64_t kKeyBlock = 64;    // keys per tile: K and V tiles of 64 x 256 floats fit in L2
constexpr int64_t kQueryBlock = 16;  // queries per task, sharing each K/V tile
constexpr int64_t kSplitKeys = 64;   // keys per share of a split decode task (one tile)
constexpr int64_t kFewTasks = 8;     // calls with fewer tasks split their decode tasks

// Register blocks of float vectors: explicit vector accumulators keep the blocks below in
// registers, where arrays indexed in loops would live on the stack. Each instruction set
// gets blocks its registers hold: with AVX-512 (32 registers of 16 floats) V16 and a
// 4 x 4 block of scores; with AVX2 and narrower (16 registers of 8 floats or fewer) V8
// and 4 x 2 blocks, where the 4 x 4 block of V16 (32 ymm) spilled to the stack and made
// AVX2 prefill 3.6x slower.
typedef float V16 __attribute__((vector_size(64)));
typedef float V8 __attribute__((vector_size(32)));

template <class V>
constexpr int64_t kLanes = sizeof(V) / sizeof(float);

template <class V>
__attribute__((always_inline)) inline V LoadV(const float* p) {
  V v;
  std::memcpy(&v, p, sizeof v);
  return v;
}
template <class V>
__attribute__((always_inline)) inline float SumV(V v) {
  float s = 0.0f;
  for (int i = 0; i < kLanes<V>; ++i) s += v[i];
  return s;
}

// A 4 x 4 block of scores: out[a][b] = q_a . k_b for four query rows (`q_stride` apart)
// and four key rows (`k_stride` apart), dim a multiple of 16; kKeys key rows per pass.
// Four query loads, kKeys key loads and 4 kKeys accumulators per step keep the FMA units,
// not the loads, the limit.
template <class V, int kKeys>
GEMMETER_KERNEL_BODY void Dot4x4Impl(const float* q, int64_t q_stride, const float* k,
                                     int64_t k_stride, int64_t dim, float out[4][4]) {
  for (int k0 = 0; k0 < 4; k0 += kKeys) {
    V s[4][kKeys] = {};
    for (int64_t d = 0; d < dim; d += kLanes<V>) {
      V a[4], b[kKeys];
      for (int i = 0; i < 4; ++i) a[i] = LoadV<V>(q + i * q_stride + d);
      for (int j = 0; j < kKeys; ++j) b[j] = LoadV<V>(k + (k0 + j) * k_stride + d);
      for (int i = 0; i < 4; ++i) {
        for (int j = 0; j < kKeys; ++j) s[i][j] += a[i] * b[j];
      }
    }
    for (int i = 0; i < 4; ++i) {
      for (int j = 0; j < kKeys; ++j) out[i][k0 + j] = SumV(s[i][j]);
    }
  }
}
GEMMETER_DISPATCH_EACH(void, Dot4x4,
                       (const float* q, int64_t q_stride, const float* k, int64_t k_stride,
                        int64_t dim, float out[4][4]),
                       (q, q_stride, k, k_stride, dim, out), (Dot4x4Impl<V16, 4>),
                       (Dot4x4Impl<V8, 2>), (Dot4x4Impl<V8, 2>))

// acc[a] = acc[a] * alpha[a] + sum_j p[a][j] v_j for four rows a (row stride Dh of acc,
// kKeyBlock of p) over n value rows `v_stride` apart, kGroups vectors of columns at a
// time held in registers (4 kGroups accumulators); dim a multiple of 16.
template <class V, int kGroups>
GEMMETER_KERNEL_BODY void AccumulateValues4Impl(float* acc, const float* alpha, const float* p,
                                                const float* v, int64_t v_stride, int64_t n,
                                                int64_t dim) {
  constexpr int64_t kLanesV = kLanes<V>;
  for (int64_t d0 = 0; d0 < dim; d0 += kGroups * kLanesV) {
    const int64_t groups = std::min<int64_t>(kGroups, (dim - d0) / kLanesV);
    V a[4][kGroups] = {};
    for (int r = 0; r < 4; ++r) {
      for (int h = 0; h < groups; ++h) {
        a[r][h] = LoadV<V>(acc + r * dim + d0 + kLanesV * h) * alpha[r];
      }
    }
    for (int64_t j = 0; j < n; ++j) {
      const float* vj = v + j * v_stride + d0;
      V x[kGroups];
      for (int h = 0; h < kGroups; ++h) x[h] = h < groups ? LoadV<V>(vj + kLanesV * h) : V{};
      for (int r = 0; r < 4; ++r) {
        const float w = p[r * kKeyBlock + j];
        for (int h = 0; h < kGroups; ++h) a[r][h] += w * x[h];
      }
    }
    for (int r = 0; r < 4; ++r) {
      for (int h = 0; h < groups; ++h) {
        std::memcpy(acc + r * dim + d0 + kLanesV * h, &a[r][h], sizeof(V));
      }
    }
  }
}
GEMMETER_DISPATCH_EACH(void, AccumulateValues4,
                       (float* acc, const float* alpha, const float* p, const float* v,
                        int64_t v_stride, int64_t n, int64_t dim),
                       (acc, alpha, p, v, v_stride, n, dim), (AccumulateValues4Impl<V16, 2>),
                       (AccumulateValues4Impl<V8, 2>), (AccumulateValues4Impl<V8, 2>))

// Head dims that are not a multiple of 16 (tests' small ones): the same sums, scalar.
void AccumulateValuesScalar(float* acc, const float* alpha, const float* p, const float* v,
                            int64_t v_stride, int64_t n, int64_t dim) {
  for (int r = 0; r < 4; ++r) {
    float* a = acc + r * dim;
    for (int64_t d = 0; d < dim; ++d) a[d] *= alpha[r];
    for (int64_t j = 0; j < n; ++j) {
      const float w = p[r * kKeyBlock + j];
      for (int64_t d = 0; d < dim; ++d) a[d] += w * v[j * v_stride + d];
    }
  }
}

// Running softmax state of one (query, head).
struct RowState {
  float max = -std::numeric_limits<float>::infinity();
  float sum = 0.0f;
};

// One row of a tile: scores row[0, n) become the probabilities e^(s - max) of the visible
// keys [lo, hi) (0 elsewhere) after scaling and soft-capping, and the row's running max
// and sum are updated; returns the factor alpha = e^(old max - new max) that rescales the
// row's accumulator (1 when nothing in the tile is visible: the state is unchanged).
GEMMETER_KERNEL_BODY float SoftmaxTileRowImpl(float* row, int64_t n, int64_t lo, int64_t hi,
                                              float scale, float softcap, float* max,
                                              float* sum) {
  if (lo >= hi) {
    std::fill(row, row + n, 0.0f);
    return 1.0f;
  }
  float block_max = -std::numeric_limits<float>::infinity();
  if (softcap > 0.0f) {
    const float inv = 1.0f / softcap;
#pragma omp simd reduction(max : block_max)
    for (int64_t j = lo; j < hi; ++j) {
      row[j] = softcap * FastTanh(row[j] * scale * inv);
      block_max = row[j] > block_max ? row[j] : block_max;
    }
  } else {
#pragma omp simd reduction(max : block_max)
    for (int64_t j = lo; j < hi; ++j) {
      row[j] *= scale;
      block_max = row[j] > block_max ? row[j] : block_max;
    }
  }
  const float new_max = std::max(*max, block_max);
  // 0 on the first tile (*max = -inf; std::exp, FastExp clamps).
  const float alpha = std::exp(*max - new_max);
  float block_sum = 0.0f;
#pragma omp simd reduction(+ : block_sum)
  for (int64_t j = lo; j < hi; ++j) {
    row[j] = FastExp(row[j] - new_max);
    block_sum += row[j];
  }
  std::fill(row, row + lo, 0.0f);
  std::fill(row + hi, row + n, 0.0f);
  *sum = *sum * alpha + block_sum;
  *max = new_max;
  return alpha;
}
GEMMETER_DISPATCH(float, SoftmaxTileRow, SoftmaxTileRowImpl,
                  (float* row, int64_t n, int64_t lo, int64_t hi, float scale, float softcap,
                   float* max, float* sum),
                  (row, n, lo, hi, scale, softcap, max, sum))

// One task: a block of queries of one sequence against one kv head. Each task owns its
// outputs, so tasks run in any order on any thread with the same results.
//
// Its (query, head) rows are gathered into a [rows, Dh] block (padded to a multiple of
// 4); per tile of keys, the scores of all rows are one register-blocked product (Dot4x4),
// each row's visible keys (causal, window) update its online softmax, and the
// probabilities times the values are a second one (AccumulateValues4).
// With `partial`, only the keys at positions [keys.from, keys.to) are visited and each
// row's unnormalized state is written there instead of out (a share of a split task).
struct KeySpan {
  int64_t from = 0;
  int64_t to = std::numeric_limits<int64_t>::max();
};
// Per (query, head) row of a task: max, sum, then Dh accumulated values.
struct Partial {
  std::vector<float> rows;
};

void AttendBlock(const AttentionWork& w, int64_t g, int64_t q_begin, const AttentionParams& p,
                 float* out, KeySpan keys = {}, Partial* partial = nullptr) {
  const int64_t Dh = p.head_dim;
  const int64_t group = p.num_heads / p.num_kv_heads;
  const int64_t q_stride = int64_t{p.num_heads} * Dh;
  const int64_t kv_stride = int64_t{p.num_kv_heads} * Dh;
  const int64_t q_end = std::min(w.count, q_begin + kQueryBlock);
  const int64_t rows = (q_end - q_begin) * group;  // (query, head) pairs of this task
  const int64_t padded = (rows + 3) / 4 * 4;
  std::vector<float> q(static_cast<size_t>(padded * Dh), 0.0f);
  std::vector<float> acc(static_cast<size_t>(padded * Dh), 0.0f);
  std::vector<float> probs(static_cast<size_t>(padded * kKeyBlock), 0.0f);
  std::vector<float> alpha(static_cast<size_t>(padded), 1.0f);
  std::vector<RowState> st(static_cast<size_t>(padded));
  std::vector<int64_t> row_pos(static_cast<size_t>(padded), -1);  // -1: padding
  for (int64_t i = q_begin; i < q_end; ++i) {
    for (int64_t hg = 0; hg < group; ++hg) {
      const int64_t r = (i - q_begin) * group + hg;
      std::copy_n(w.q + i * q_stride + (g * group + hg) * Dh, Dh, q.data() + r * Dh);
      row_pos[r] = w.start + i;
    }
  }
  float scores[4][4];
  // Keys any query of the block can see: from the first query's window start to the last
  // query's own position.
  const int64_t first_pos = w.start + q_begin, last_pos = w.start + q_end - 1;
  const int64_t key_begin = p.window > 0 ? std::max<int64_t>(0, first_pos - p.window + 1) : 0;
  // Tiles never straddle two ranges (a shared prefix and the sequence's own rows).
  for (const HostKvRange& range : w.kv) {
    for (int64_t k0 = std::max({key_begin, range.begin, keys.from});
         k0 <= last_pos && k0 < range.end && k0 < keys.to; k0 += kKeyBlock) {
      const int64_t k1 = std::min({last_pos + 1, k0 + kKeyBlock, range.end, keys.to});
      const int64_t n = k1 - k0;
      const float* keys = range.keys + (k0 - range.begin) * kv_stride + g * Dh;
      const float* values = range.values + (k0 - range.begin) * kv_stride + g * Dh;
      // Raw scores of every row against every key of the tile (4 x 4 blocks; a partial
      // last block of keys repeats its last key and ignores the extra columns).
      for (int64_t r0 = 0; r0 < padded; r0 += 4) {
        for (int64_t j0 = 0; j0 < n; j0 += 4) {
          const int64_t kj = std::min<int64_t>(j0, n - 4 >= 0 ? n - 4 : 0);
          if (n >= 4 && Dh % 16 == 0) {
            Dot4x4(q.data() + r0 * Dh, Dh, keys + kj * kv_stride, kv_stride, Dh, scores);
            for (int a = 0; a < 4; ++a) {
              for (int b = 0; b < 4; ++b) probs[(r0 + a) * kKeyBlock + kj + b] = scores[a][b];
            }
          } else {
            for (int a = 0; a < 4; ++a) {
              for (int64_t j = 0; j < n; ++j) {
                probs[(r0 + a) * kKeyBlock + j] =
                    Dot(q.data() + (r0 + a) * Dh, keys + j * kv_stride, Dh);
              }
            }
          }
        }
      }
      // Online softmax per row over its visible keys; others get probability 0.
      for (int64_t r = 0; r < padded; ++r) {
        const int64_t pos = row_pos[r];
        const int64_t lo = pos < 0 ? k1 : std::max(k0, p.window > 0 ? pos - p.window + 1 : int64_t{0});
        const int64_t hi = pos < 0 ? k0 : std::min(k1, pos + 1);
        alpha[r] = SoftmaxTileRow(probs.data() + r * kKeyBlock, n, lo - k0, hi - k0, p.scale,
                                  p.softcap, &st[r].max, &st[r].sum);
      }
      for (int64_t r0 = 0; r0 < padded; r0 += 4) {
        if (Dh % 16 == 0) {
          AccumulateValues4(acc.data() + r0 * Dh, alpha.data() + r0,
                            probs.data() + r0 * kKeyBlock, values, kv_stride, n, Dh);
        } else {
          AccumulateValuesScalar(acc.data() + r0 * Dh, alpha.data() + r0,
                                 probs.data() + r0 * kKeyBlock, values, kv_stride, n, Dh);
        }
      }
    }
  }
  if (partial != nullptr) {
    partial->rows.resize(static_cast<size_t>(rows * (Dh + 2)));
    for (int64_t r = 0; r < rows; ++r) {
      float* dst = partial->rows.data() + r * (Dh + 2);
      dst[0] = st[r].max;
      dst[1] = st[r].sum;
      std::copy_n(acc.data() + r * Dh, Dh, dst + 2);
    }
    return;
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

// Combines the shares of a split task (the softmax of the union of their keys):
// m = max_s m_s; l = sum_s l_s e^(m_s - m); out = sum_s acc_s e^(m_s - m) / l. A share a
// row saw no key of has m_s = -inf and weighs 0.
void MergeShares(const AttentionWork& w, int64_t g, const AttentionParams& p,
                 std::span<const Partial> shares) {
  const int64_t Dh = p.head_dim;
  const int64_t group = p.num_heads / p.num_kv_heads;
  const int64_t q_stride = int64_t{p.num_heads} * Dh;
  std::vector<float> acc(static_cast<size_t>(Dh));
  for (int64_t i = 0; i < w.count; ++i) {
    for (int64_t hg = 0; hg < group; ++hg) {
      const int64_t r = i * group + hg;
      float m = -std::numeric_limits<float>::infinity();
      for (const Partial& share : shares) m = std::max(m, share.rows[r * (Dh + 2)]);
      float sum = 0.0f;
      std::fill(acc.begin(), acc.end(), 0.0f);
      for (const Partial& share : shares) {
        const float* row = share.rows.data() + r * (Dh + 2);
        if (row[1] == 0.0f) continue;  // no visible key in this share
        const float weight = std::exp(row[0] - m);
        sum += row[1] * weight;
        for (int64_t d = 0; d < Dh; ++d) acc[d] += row[2 + d] * weight;
      }
      float* o = w.out + i * q_stride + (g * group + hg) * Dh;
      const float inv = 1.0f / sum;
      for (int64_t d = 0; d < Dh; ++d) o[d] = acc[d] * inv;
    }
  }
}

void Attention(std::span<const AttentionWork> sequences, const AttentionParams& p) {
  // Tasks over every sequence of the batch at once: (sequence, kv head, query block). A
  // batch of many short sequences (evaluation's continuations) keeps every thread busy
  // with one parallel region, where one region per sequence would leave threads idle.
  // When a call has fewer than kFewTasks such tasks (decode of a few sequences), a
  // sequence of one query block over more than kSplitKeys keys is split into shares of
  // kSplitKeys keys, merged afterwards (flash-decoding): otherwise one thread would walk
  // the context alone. The split depends on the batch only, never on the thread count,
  // so results do not either. Evaluation's batches of many continuations are not split:
  // they have tasks enough, and shares would only add work.
  struct Task {
    const AttentionWork* work;
    int64_t g, q_begin;
    KeySpan keys = {};
    int64_t split = -1;  // index into `splits`, or -1
    int64_t share = 0;   // its share of that split
  };
  struct Split {
    const AttentionWork* work;
    int64_t g;
    std::vector<Partial> shares;
  };
  std::vector<Task> tasks;
  std::vector<Split> splits;
  int64_t unsplit_tasks = 0;
  for (const AttentionWork& w : sequences) {
    unsplit_tasks += (w.count + kQueryBlock - 1) / kQueryBlock * p.num_kv_heads;
  }
  const bool few_tasks = unsplit_tasks < kFewTasks;
  for (const AttentionWork& w : sequences) {
    const int64_t last_pos = w.start + w.count - 1;
    const int64_t first_key = p.window > 0 ? std::max<int64_t>(0, w.start - p.window + 1) : 0;
    const bool split = few_tasks && w.count > 0 && w.count <= kQueryBlock &&
                       last_pos + 1 - first_key > kSplitKeys;
    for (int64_t g = 0; g < p.num_kv_heads; ++g) {
      if (!split) {
        for (int64_t q0 = 0; q0 < w.count; q0 += kQueryBlock) tasks.push_back({&w, g, q0});
        continue;
      }
      const auto index = static_cast<int64_t>(splits.size());
      Split& s = splits.emplace_back(Split{&w, g, {}});
      for (int64_t from = first_key; from <= last_pos; from += kSplitKeys) {
        tasks.push_back({&w, g, 0, {from, from + kSplitKeys}, index,
                         static_cast<int64_t>(s.shares.size())});
        s.shares.emplace_back();
      }
    }
  }
  ParallelChunks(static_cast<int64_t>(tasks.size()), 1, [&](int64_t begin, int64_t end) {
    for (int64_t t = begin; t < end; ++t) {
      const Task& task = tasks[static_cast<size_t>(t)];
      Partial* share = task.split < 0 ? nullptr
                                      : &splits[static_cast<size_t>(task.split)]
                                             .shares[static_cast<size_t>(task.share)];
      AttendBlock(*task.work, task.g, task.q_begin, p, task.work->out, task.keys, share);
    }
  });
  ParallelChunks(static_cast<int64_t>(splits.size()), 1, [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i) {
      const Split& s = splits[static_cast<size_t>(i)];
      MergeShares(*s.work, s.g, p, s.shares);
    }
  });
}

}  // namespace gemmeter::cpu
