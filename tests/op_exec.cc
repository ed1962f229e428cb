// The per-op half of the harness: how each case's operands are drawn and the op called.
// Everything random comes from one Rng seeded by the case name, in a fixed order, so the
// backend under test and the reference see the same bits.
#include <fmt/format.h>

#include <algorithm>
#include <limits>
#include <bit>
#include <cmath>
#include <span>

#include "engine/core/error.h"
#include "tests/op_harness.h"

namespace gemmeter::test {
namespace {

std::vector<uint16_t> ToBf16(const std::vector<float>& v) {
  std::vector<uint16_t> bits(v.size());
  for (size_t i = 0; i < v.size(); ++i) bits[i] = FloatToBF16(v[i]);
  return bits;
}

// A weight-like operand of `dtype`, uploaded in that dtype (bf16 rounded here, on the
// host, so the op's test does not depend on the backend's conversion). Block formats get
// random blocks (RandomBlocks) whose values have the standard deviation of `values`,
// imported as the model loader imports them.
Tensor WeightInput(Session& s, Rng& rng, std::string label, const Shape& shape, DType dtype,
                   const std::vector<float>& values) {
  if (IsBlockFormat(dtype)) {
    double sum_squares = 0;
    for (float v : values) sum_squares += double(v) * v;
    const double stddev = values.empty() ? 1.0 : std::sqrt(sum_squares / double(values.size()));
    return s.Weights(std::move(label), shape, dtype,
                     RandomBlocks(rng, dtype, shape[0], shape.back(), stddev));
  }
  if (dtype == DType::kBF16) {
    const auto bits = ToBf16(values);
    return s.Input(std::move(label), shape, DType::kBF16, bits.data(), DType::kBF16);
  }
  return s.Input(std::move(label), shape, values);
}

OpOutput Values(std::vector<float> values, int64_t cols) {
  OpOutput out;
  out.values = std::move(values);
  out.cols = cols;
  return out;
}

OpOutput Run(Session& s, Rng& rng, DType dtype, const EmbeddingCase& p) {
  const Tensor table =
      WeightInput(s, rng, "table", {p.vocab, p.hidden}, dtype, rng.Normal(p.vocab * p.hidden, 1.0f));
  std::vector<int32_t> tokens(static_cast<size_t>(p.tokens));
  for (int32_t& t : tokens) t = static_cast<int32_t>(rng.Int(0, p.vocab - 1));
  if (p.tokens >= 2) {  // the table's first and last rows
    tokens[0] = static_cast<int32_t>(p.vocab - 1);
    tokens[1] = 0;
  }
  const Tensor out = s.Output("out", {p.tokens, p.hidden});
  s.backend().Embedding(table, tokens, p.scale, out);
  return Values(s.Read(out), p.hidden);
}

OpOutput Run(Session& s, Rng& rng, DType, const RmsNormCase& p) {
  const Shape shape = p.heads > 0 ? Shape{p.rows, p.heads, p.cols} : Shape{p.rows, p.cols};
  const auto x_values = rng.Normal(NumElements(shape), p.input_std);
  auto gain_values = rng.Normal(p.cols, 0.5f);  // Gemma's folded (1 + w)
  for (float& g : gain_values) g += 1.0f;
  const Tensor gain = s.Input("gain", {p.cols}, gain_values);
  if (p.in_place) {
    const Tensor x = s.InOut("x", shape, DType::kF32, x_values);
    s.backend().RmsNorm(x, gain, p.eps, x);
    return Values(s.Read(x), p.cols);
  }
  const Tensor x = s.Input("x", shape, x_values);
  const Tensor out = s.Output("out", shape);
  s.backend().RmsNorm(x, gain, p.eps, out);
  return Values(s.Read(out), p.cols);
}

OpOutput Run(Session& s, Rng& rng, DType dtype, const MatMulCase& p) {
  const Tensor x = s.Input("x", {p.m, p.k}, rng.Normal(p.m * p.k, 1.0f));
  // Weights scaled by 1/sqrt(K) so outputs are O(1), where gelu is nonlinear.
  const Tensor weight = WeightInput(s, rng, "weight", {p.n, p.k}, dtype,
                                    rng.Normal(p.n * p.k, 1.0f / std::sqrt(float(p.k))));
  Tensor multiply;
  if (p.multiply) multiply = s.Input("multiply", {p.m, p.n}, rng.Normal(p.m * p.n, 1.0f));
  const Tensor out = p.accumulate
                         ? s.InOut("out", {p.m, p.n}, DType::kF32, rng.Normal(p.m * p.n, 1.0f))
                         : s.Output("out", {p.m, p.n});
  MatMulEpilogue epilogue;
  epilogue.gelu_tanh = p.gelu_tanh;
  epilogue.multiply = p.multiply ? &multiply : nullptr;
  epilogue.accumulate = p.accumulate;
  s.backend().MatMul(x, weight, out, epilogue);
  return Values(s.Read(out), p.n);
}

OpOutput Run(Session& s, Rng& rng, DType, const AddCase& p) {
  const auto a_values = rng.Normal(p.rows * p.cols, 1.0f);
  const Tensor b = s.Input("b", {p.rows, p.cols}, rng.Normal(p.rows * p.cols, 1.0f));
  if (p.in_place) {
    const Tensor a = s.InOut("a", {p.rows, p.cols}, DType::kF32, a_values);
    s.backend().Add(a, b, a);
    return Values(s.Read(a), p.cols);
  }
  const Tensor a = s.Input("a", {p.rows, p.cols}, a_values);
  const Tensor out = s.Output("out", {p.rows, p.cols});
  s.backend().Add(a, b, out);
  return Values(s.Read(out), p.cols);
}

OpOutput Run(Session& s, Rng& rng, DType, const GeGluCase& p) {
  const int64_t n = p.rows * p.cols;
  const Tensor gate = s.Input("gate", {p.rows, p.cols}, rng.Normal(n, p.gate_std));
  const Tensor up = s.Input("up", {p.rows, p.cols}, rng.Normal(n, 1.0f));
  const Tensor out = s.Output("out", {p.rows, p.cols});
  s.backend().GeGlu(gate, up, out);
  return Values(s.Read(out), p.cols);
}

OpOutput Run(Session& s, Rng& rng, DType, const SoftcapCase& p) {
  auto values = rng.Normal(p.rows * p.cols, p.input_std);
  for (size_t i = 0; p.infinities && i < values.size(); ++i) {
    if (i % 7 == 3) values[i] = std::numeric_limits<float>::infinity();
    if (i % 11 == 5) values[i] = -std::numeric_limits<float>::infinity();
  }
  const Tensor x = s.InOut("x", {p.rows, p.cols}, DType::kF32, values);
  s.backend().Softcap(x, p.cap);
  return Values(s.Read(x), p.cols);
}

OpOutput Run(Session& s, Rng& rng, DType, const RopeCase& p) {
  const int64_t width = p.heads * p.head_dim;
  const Tensor x = s.InOut("x", {p.tokens, width}, DType::kF32, rng.Normal(p.tokens * width, 1.0f));
  std::vector<int32_t> positions(static_cast<size_t>(p.tokens));
  for (int32_t& pos : positions)
    pos = static_cast<int32_t>(rng.Int(p.min_position, p.max_position));
  positions[0] = p.max_position;  // the largest angle always occurs
  s.backend().Rope(x, static_cast<int>(p.head_dim), positions, p.theta, p.scaling);
  return Values(s.Read(x), width);
}

OpOutput Run(Session& s, Rng& rng, DType, const AttentionCase& p) {
  const int64_t q_width = int64_t{p.heads} * p.head_dim;
  const int64_t kv_width = int64_t{p.kv_heads} * p.head_dim;
  auto shared_length = [](const AttentionSeqSpec& seq) {
    int64_t n = 0;
    for (int64_t length : seq.shared) n += length;
    return n;
  };
  // Own rows of a sequence: positions [shared, start + count) plus the spare rows.
  auto own_capacity = [&](const AttentionSeqSpec& seq) {
    return seq.start + seq.count - shared_length(seq) + p.spare_rows;
  };
  int64_t rows = 0, total_capacity = 0;
  for (const AttentionSeqSpec& seq : p.sequences) {
    rows += seq.count;
    total_capacity += own_capacity(seq);
  }
  const Tensor q = s.Input("q", {rows, q_width}, rng.Normal(rows * q_width, 1.0f));
  // Cache rows past the valid ones hold values 1000x larger: never visible to any query.
  auto cache_values = [&](int64_t capacity, int64_t valid) {
    auto v = rng.Normal(capacity * kv_width, 1.0f);
    for (int64_t i = valid * kv_width; i < capacity * kv_width; ++i) v[i] *= 1000.0f;
    return v;
  };
  auto make_segments = [&](const AttentionSeqSpec& seq, const std::string& label) {
    std::vector<KvSegment> segments;
    int64_t first = 0;
    for (size_t i = 0; i < seq.shared.size(); ++i) {
      const int64_t length = seq.shared[i], capacity = length + p.spare_rows;
      KvSegment segment;
      segment.keys = s.Input(fmt::format("{}keys[{}]", label, i), {capacity, kv_width},
                             cache_values(capacity, length));
      segment.values = s.Input(fmt::format("{}values[{}]", label, i), {capacity, kv_width},
                               cache_values(capacity, length));
      segment.first_position = first;
      segment.length = length;
      segments.push_back(segment);
      first += length;
    }
    return segments;
  };
  const std::vector<KvSegment> common =
      p.common_prefix ? make_segments(p.sequences.front(), "prefix ") : std::vector<KvSegment>{};
  Tensor shared_keys, shared_values;
  if (p.shared_cache) {
    std::vector<float> k, v;
    for (const AttentionSeqSpec& seq : p.sequences) {
      const int64_t capacity = own_capacity(seq);
      const auto ks = cache_values(capacity, capacity - p.spare_rows);
      const auto vs = cache_values(capacity, capacity - p.spare_rows);
      k.insert(k.end(), ks.begin(), ks.end());
      v.insert(v.end(), vs.begin(), vs.end());
    }
    shared_keys = s.Input("keys", {total_capacity, kv_width}, k);
    shared_values = s.Input("values", {total_capacity, kv_width}, v);
  }
  std::vector<AttentionSequence> sequences;
  int64_t row = 0, cache_row = 0;
  for (size_t i = 0; i < p.sequences.size(); ++i) {
    const AttentionSeqSpec& seq = p.sequences[i];
    const int64_t capacity = own_capacity(seq);
    AttentionSequence a{row, seq.count, seq.start, {}, {}, 0, {}};
    if (p.shared_cache) {
      a.keys = shared_keys.Rows(cache_row, capacity);
      a.values = shared_values.Rows(cache_row, capacity);
    } else {
      a.keys = s.Input(fmt::format("keys[{}]", i), {capacity, kv_width},
                       cache_values(capacity, capacity - p.spare_rows));
      a.values = s.Input(fmt::format("values[{}]", i), {capacity, kv_width},
                         cache_values(capacity, capacity - p.spare_rows));
    }
    a.own_first_position = shared_length(seq);
    a.shared = p.common_prefix ? common : make_segments(seq, fmt::format("seq{} ", i));
    sequences.push_back(a);
    row += seq.count;
    cache_row += capacity;
  }
  AttentionParams params;
  params.num_heads = p.heads;
  params.num_kv_heads = p.kv_heads;
  params.head_dim = p.head_dim;
  params.scale = p.score_std / std::sqrt(static_cast<float>(p.head_dim));
  params.softcap = p.softcap;
  params.window = p.window;
  const Tensor out = s.Output("out", {rows, q_width});
  s.backend().Attention(q, sequences, params, out);
  return Values(s.Read(out), q_width);
}

OpOutput Run(Session& s, Rng& rng, DType, const LogSoftmaxCase& p) {
  auto logits = rng.Normal(p.rows * p.vocab, p.logit_std);
  for (float& l : logits) l = p.all_equal ? p.offset : l + p.offset;
  std::vector<int64_t> offsets = {0};
  std::vector<int32_t> targets;
  for (int64_t r = 0; r < p.rows; ++r) {
    float* row = logits.data() + r * p.vocab;
    const int64_t count = p.mixed_counts ? r % (p.targets + 1) : p.targets;
    for (int64_t i = 0; i < count; ++i) targets.push_back(static_cast<int32_t>(rng.Int(0, p.vocab - 1)));
    if (p.ties && r % 2 == 0 && p.vocab >= 2) {  // an exact tie for the maximum
      const int64_t i = rng.Int(0, p.vocab - 2), j = rng.Int(i + 1, p.vocab - 1);
      row[i] = row[j] = *std::max_element(row, row + p.vocab) + 1.0f;
      if (count > 0) targets.back() = static_cast<int32_t>(j);
    }
    offsets.push_back(static_cast<int64_t>(targets.size()));
  }
  const Tensor x = s.Input("logits", {p.rows, p.vocab}, logits);
  // Host outputs with guard entries on both sides.
  constexpr size_t kGuard = 16;
  const auto R = static_cast<size_t>(p.rows), N = targets.size();
  std::vector<float> log_probs(N + 2 * kGuard, std::bit_cast<float>(kSentinelF32));
  std::vector<int32_t> argmax(R + 2 * kGuard, kSentinelI32);
  s.backend().LogSoftmaxGather(x, offsets, targets, std::span(log_probs).subspan(kGuard, N),
                               std::span(argmax).subspan(kGuard, R));
  auto outside = [&](size_t i, size_t n) { return i < kGuard || i >= kGuard + n; };
  for (size_t i = 0; i < log_probs.size(); ++i) {
    if (outside(i, N) && std::bit_cast<uint32_t>(log_probs[i]) != kSentinelF32) {
      s.AddProblem(fmt::format("log_probs: host memory written at index {} of a {}-element span",
                               static_cast<int64_t>(i) - int64_t{kGuard}, N));
      break;
    }
  }
  for (size_t i = 0; i < argmax.size(); ++i) {
    if (outside(i, R) && argmax[i] != kSentinelI32) {
      s.AddProblem(fmt::format("argmax: host memory written at index {} of a {}-element span",
                               static_cast<int64_t>(i) - int64_t{kGuard}, R));
      break;
    }
  }
  OpOutput out;
  out.values.assign(log_probs.begin() + kGuard, log_probs.begin() + kGuard + N);
  out.argmax.assign(argmax.begin() + kGuard, argmax.begin() + kGuard + R);
  out.logits = std::move(logits);
  out.cols = 1;
  return out;
}

OpOutput Run(Session& s, Rng& rng, DType dtype, const CopyRowsCase& p) {
  const auto src_values = rng.Normal(p.src_rows * p.cols, 1.0f);
  const Tensor src = s.Input("src", {p.src_rows, p.cols}, dtype, src_values.data(), DType::kF32);
  const Tensor dst =
      s.InOut("dst", {p.dst_rows, p.cols}, dtype, rng.Normal(p.dst_rows * p.cols, 1.0f));
  s.backend().CopyRows(src, p.src_row, dst, p.dst_row, p.count);
  return Values(s.Read(dst), p.cols);
}

}  // namespace

OpOutput Execute(Session& s, const OpCase& c, Rng& rng) {
  return std::visit([&](const auto& params) { return Run(s, rng, c.dtype, params); }, c.params);
}

}  // namespace gemmeter::test
