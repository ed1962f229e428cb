// Reference attention: explicit scores, explicit softmax, one query at a time.
#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "engine/backend/reference/reference_ops.h"
#include "engine/core/error.h"

namespace gemmeter::ref {

void Attention(const float* q, int64_t count, int64_t start_position,
               std::span<const HostKvRange> kv, const AttentionParams& p, float* out) {
  const int64_t Dh = p.head_dim;
  const int64_t q_stride = static_cast<int64_t>(p.num_heads) * Dh;
  const int64_t kv_stride = static_cast<int64_t>(p.num_kv_heads) * Dh;
  const int64_t group = p.num_heads / p.num_kv_heads;  // query heads per kv head
  std::vector<double> scores;
  std::vector<double> acc(static_cast<size_t>(Dh));
  // Offset of position j's row in its range: ranges are few, so a linear search.
  auto find = [&](int64_t j) -> const HostKvRange& {
    for (const HostKvRange& r : kv)
      if (j >= r.begin && j < r.end) return r;
    Fail("attention: no cached keys hold position {}", j);
  };
  auto key = [&](int64_t j) { const HostKvRange& r = find(j); return r.keys + (j - r.begin) * kv_stride; };
  auto value = [&](int64_t j) { const HostKvRange& r = find(j); return r.values + (j - r.begin) * kv_stride; };
  for (int64_t i = 0; i < count; ++i) {
    const int64_t position = start_position + i;
    const int64_t first_key =
        p.window > 0 ? std::max<int64_t>(0, position - p.window + 1) : 0;
    const int64_t n_keys = position - first_key + 1;
    scores.assign(static_cast<size_t>(n_keys), 0.0);
    for (int64_t h = 0; h < p.num_heads; ++h) {
      const float* qh = q + i * q_stride + h * Dh;
      const int64_t kv_head = h / group;
      double max_score = -std::numeric_limits<double>::infinity();
      for (int64_t j = 0; j < n_keys; ++j) {
        const float* kj = key(first_key + j) + kv_head * Dh;
        double dot = 0.0;
        for (int64_t d = 0; d < Dh; ++d) dot += static_cast<double>(qh[d]) * kj[d];
        double s = dot * p.scale;
        if (p.softcap > 0.0f) s = p.softcap * std::tanh(s / p.softcap);
        scores[j] = s;
        max_score = std::max(max_score, s);
      }
      double denominator = 0.0;
      for (double& s : scores) {
        s = std::exp(s - max_score);
        denominator += s;
      }
      std::fill(acc.begin(), acc.end(), 0.0);
      for (int64_t j = 0; j < n_keys; ++j) {
        const float* vj = value(first_key + j) + kv_head * Dh;
        const double w = scores[j] / denominator;
        for (int64_t d = 0; d < Dh; ++d) acc[d] += w * vj[d];
      }
      float* oh = out + i * q_stride + h * Dh;
      for (int64_t d = 0; d < Dh; ++d) oh[d] = static_cast<float>(acc[d]);
    }
  }
}

}  // namespace gemmeter::ref
