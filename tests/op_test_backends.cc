#include "tests/op_test_backends.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "engine/backend/host_memory.h"
#include "engine/core/error.h"

namespace gemmeter::test {
namespace {

const float* F32(const Tensor& t) { return static_cast<const float*>(t.data()); }
float* MutableF32(const Tensor& t) { return static_cast<float*>(t.data()); }

float GeluTanhF(float x) {
  const float kSqrt2OverPi = 0.7978845608f;
  return 0.5f * x * (1.0f + std::tanh(kSqrt2OverPi * (x + 0.044715f * x * x * x)));
}

}  // namespace

void FloatBackend::DoRmsNorm(const Tensor& x, const Tensor& gain, float eps, const Tensor& out) {
  const int64_t cols = x.cols();
  for (int64_t r = 0; r < x.rows(); ++r) {
    const float* xr = F32(x) + r * cols;
    float* yr = MutableF32(out) + r * cols;
    float sum_squares = 0.0f;
    for (int64_t c = 0; c < cols; ++c) sum_squares += xr[c] * xr[c];
    const float inv_rms = 1.0f / std::sqrt(sum_squares / static_cast<float>(cols) + eps);
    for (int64_t c = 0; c < cols; ++c) yr[c] = xr[c] * inv_rms * F32(gain)[c];
  }
}

void FloatBackend::DoMatMul(const Tensor& x, const Tensor& weight, const Tensor& out,
                            const MatMulEpilogue& epilogue) {
  const int64_t M = x.rows(), K = x.cols(), N = weight.dim(0);
  const bool bf16 = weight.dtype() == DType::kBF16;
  std::vector<float> w(static_cast<size_t>(N * K));
  ConvertToF32(weight.data(), weight.dtype(), w.size(), w.data());
  std::vector<float> xs(F32(x), F32(x) + M * K);
  if (bf16 && round_bf16_activations_) {
    for (float& v : xs) v = BF16ToFloat(FloatToBF16(v));
  }
  for (int64_t m = 0; m < M; ++m) {
    for (int64_t n = 0; n < N; ++n) {
      float y = 0.0f;
      for (int64_t k = 0; k < K; ++k) y += xs[m * K + k] * w[n * K + k];
      if (epilogue.gelu_tanh) y = GeluTanhF(y);
      if (epilogue.multiply != nullptr) y *= F32(*epilogue.multiply)[m * N + n];
      float& o = MutableF32(out)[m * N + n];
      o = epilogue.accumulate ? o + y : y;
    }
  }
}

void FloatBackend::DoGeGlu(const Tensor& gate, const Tensor& up, const Tensor& out) {
  for (int64_t i = 0; i < gate.numel(); ++i) {
    MutableF32(out)[i] = GeluTanhF(F32(gate)[i]) * F32(up)[i];
  }
}

void FloatBackend::DoSoftcap(const Tensor& x, float cap) {
  for (int64_t i = 0; i < x.numel(); ++i) {
    float& v = MutableF32(x)[i];
    v = cap * std::tanh(v / cap);
  }
}

void FloatBackend::DoRope(const Tensor& x, int head_dim, std::span<const int32_t> positions,
                          float theta, float scaling_factor) {
  const int64_t half = head_dim / 2, heads = x.cols() / head_dim;
  std::vector<float> inv_freq(static_cast<size_t>(half));
  for (int64_t i = 0; i < half; ++i) {
    inv_freq[i] = static_cast<float>(
        1.0 / std::pow(static_cast<double>(theta), 2.0 * i / head_dim) / scaling_factor);
  }
  for (int64_t t = 0; t < x.rows(); ++t) {
    for (int64_t i = 0; i < half; ++i) {
      const float angle = static_cast<float>(positions[t]) * inv_freq[i];
      const float c = std::cos(angle), s = std::sin(angle);
      for (int64_t h = 0; h < heads; ++h) {
        float* v = MutableF32(x) + (t * heads + h) * head_dim;
        const float a = v[i], b = v[i + half];
        v[i] = a * c - b * s;
        v[i + half] = b * c + a * s;
      }
    }
  }
}

void FloatBackend::DoAttention(const Tensor& q, std::span<const AttentionSequence> sequences,
                               const AttentionParams& p, const Tensor& out) {
  const int64_t Dh = p.head_dim, width = q.cols(), kv_width = int64_t{p.num_kv_heads} * Dh;
  const int64_t group = p.num_heads / p.num_kv_heads;
  std::vector<float> scores, acc(static_cast<size_t>(Dh));
  for (const AttentionSequence& s : sequences) {
    const std::vector<HostKvRange> ranges = HostKvRanges(s);
    auto row = [&](int64_t j, bool key) {
      for (const HostKvRange& r : ranges)
        if (j >= r.begin && j < r.end) return (key ? r.keys : r.values) + (j - r.begin) * kv_width;
      throw Error("attention: position outside the cached ranges");
    };
    for (int64_t i = 0; i < s.query_count; ++i) {
      const int64_t position = s.start_position + i;
      const int64_t first = p.window > 0 ? std::max<int64_t>(0, position - p.window + 1) : 0;
      scores.resize(static_cast<size_t>(position - first + 1));
      for (int64_t h = 0; h < p.num_heads; ++h) {
        const float* qh = F32(q) + (s.query_row + i) * width + h * Dh;
        const int64_t kv = h / group;
        float max_score = -std::numeric_limits<float>::infinity();
        for (int64_t j = first; j <= position; ++j) {
          const float* kj = row(j, true) + kv * Dh;
          float dot = 0.0f;
          for (int64_t d = 0; d < Dh; ++d) dot += qh[d] * kj[d];
          float score = dot * p.scale;
          if (p.softcap > 0.0f) score = p.softcap * std::tanh(score / p.softcap);
          scores[j - first] = score;
          max_score = std::max(max_score, score);
        }
        float sum = 0.0f;
        for (float& sc : scores) sum += (sc = std::exp(sc - max_score));
        std::fill(acc.begin(), acc.end(), 0.0f);
        for (int64_t j = first; j <= position; ++j) {
          const float* vj = row(j, false) + kv * Dh;
          for (int64_t d = 0; d < Dh; ++d) acc[d] += scores[j - first] * vj[d];
        }
        float* oh = MutableF32(out) + (s.query_row + i) * width + h * Dh;
        for (int64_t d = 0; d < Dh; ++d) oh[d] = acc[d] / sum;
      }
    }
  }
}

void FloatBackend::DoLogSoftmaxGather(const Tensor& logits, std::span<const int64_t> offsets,
                                      std::span<const int32_t> targets,
                                      std::span<float> log_probs, std::span<int32_t> argmax) {
  const int64_t V = logits.cols();
  for (int64_t r = 0; r < logits.rows(); ++r) {
    const float* row = F32(logits) + r * V;
    const int64_t best = std::max_element(row, row + V) - row;  // first of equal maxima
    float sum = 0.0f;
    for (int64_t j = 0; j < V; ++j) sum += std::exp(row[j] - row[best]);
    for (int64_t i = offsets[r]; i < offsets[r + 1]; ++i) {
      log_probs[i] = row[targets[i]] - row[best] - std::log(sum);
    }
    argmax[r] = static_cast<int32_t>(best);
  }
}

}  // namespace gemmeter::test
