#include "engine/model/model.h"

#include <algorithm>
#include <cmath>
#include <set>

#include "engine/core/error.h"

namespace gemmeter {

AttentionParams LayerAttentionParams(const ModelConfig& c, int sliding_window) {
  AttentionParams params;
  params.num_heads = c.num_heads;
  params.num_kv_heads = c.num_kv_heads;
  params.head_dim = c.head_dim;
  params.scale = c.query_scale;
  params.softcap = c.attn_softcap;
  params.window = sliding_window;
  return params;
}

Model::Model(ModelConfig config, ModelWeights weights, Backend& backend)
    : config_(std::move(config)), weights_(std::move(weights)), backend_(&backend) {
  config_.Validate();
  Check(static_cast<int>(weights_.layers.size()) == config_.num_layers,
        "model has {} layers of weights for {} configured layers", weights_.layers.size(),
        config_.num_layers);
  const DType matrix = weights_.embedding.dtype();
  for (const OpInfo& op : AllOps()) {
    const DType dtype = op.reads_weights ? matrix : DType::kF32;
    Check(backend.Supports(op.op, dtype), "backend '{}' does not support {} with {} operands",
          backend.name(), op.name, DTypeName(dtype));
  }
}

Tensor Model::RunLayers(std::span<const SequenceInput> batch) {
  Backend& b = *backend_;
  const ModelConfig& c = config_;
  Check(!batch.empty(), "forward: empty batch");
  std::vector<int32_t> tokens;
  std::vector<int32_t> positions;
  std::set<const KvCache*> caches;
  for (const SequenceInput& s : batch) {
    Check(s.cache != nullptr, "forward: a sequence has no KV cache");
    Check(!s.tokens.empty(), "forward: a sequence has no new tokens");
    Check(caches.insert(s.cache).second, "forward: one KV cache appears twice in a batch");
    Check(s.cache->length() + static_cast<int64_t>(s.tokens.size()) <= s.cache->capacity(),
          "forward: {} cached + {} new tokens exceed the KV cache capacity {}",
          s.cache->length(), s.tokens.size(), s.cache->capacity());
    for (size_t t = 0; t < s.tokens.size(); ++t) {
      const int32_t id = s.tokens[t];
      Check(id >= 0 && id < c.vocab_size, "forward: token id {} is outside the vocabulary of {}",
            id, c.vocab_size);
      tokens.push_back(id);
      positions.push_back(static_cast<int32_t>(s.cache->length() + static_cast<int64_t>(t)));
    }
  }
  const auto rows = static_cast<int64_t>(tokens.size());

  // h = E[ids] * sqrt(hidden): transformers forms the normalizer as a float32 tensor of
  // hidden**0.5 (engine-facts 1.1); the LM head uses the unscaled E.
  const auto normalizer = static_cast<float>(std::sqrt(static_cast<double>(c.hidden_size)));
  Tensor hidden = b.Allocate({rows, c.hidden_size}, DType::kF32);
  b.Embedding(weights_.embedding, tokens, normalizer, hidden);

  // One set of activation buffers serves every layer (the shapes are the same), so a
  // forward allocates them once instead of once per layer.
  const LayerBuffers buffers{b.Allocate({rows, c.hidden_size}, DType::kF32),
                             b.Allocate({rows, c.q_width()}, DType::kF32),
                             b.Allocate({rows, c.kv_width()}, DType::kF32),
                             b.Allocate({rows, c.kv_width()}, DType::kF32),
                             b.Allocate({rows, c.q_width()}, DType::kF32),
                             b.Allocate({rows, c.hidden_size}, DType::kF32),
                             b.Allocate({rows, c.intermediate_size}, DType::kF32),
                             b.Allocate({rows, c.intermediate_size}, DType::kF32)};
  for (int i = 0; i < c.num_layers; ++i) Layer(i, hidden, batch, positions, buffers);
  for (const SequenceInput& s : batch) s.cache->Advance(static_cast<int64_t>(s.tokens.size()));
  return hidden;
}

Tensor Model::Head(const Tensor& hidden_rows, const Tensor* logits_buffer) {
  Backend& b = *backend_;
  Tensor normed = b.Allocate(hidden_rows.shape(), DType::kF32);
  b.RmsNorm(hidden_rows, weights_.final_norm, config_.rms_norm_eps, normed);
  const Tensor logits = logits_buffer != nullptr
                            ? logits_buffer->Rows(0, hidden_rows.rows())
                            : b.Allocate({hidden_rows.rows(), config_.vocab_size}, DType::kF32);
  b.MatMul(normed, weights_.embedding, logits, {});  // tied LM head
  if (config_.final_softcap > 0) b.Softcap(logits, config_.final_softcap);
  return logits;
}

Tensor Model::Forward(std::span<const SequenceInput> batch, LogitsFor which) {
  Backend& b = *backend_;
  Tensor hidden = RunLayers(batch);
  if (which == LogitsFor::kAllPositions) return Head(hidden);
  Tensor last = b.Allocate({static_cast<int64_t>(batch.size()), config_.hidden_size}, DType::kF32);
  int64_t row = 0;
  for (size_t s = 0; s < batch.size(); ++s) {
    row += static_cast<int64_t>(batch[s].tokens.size());
    b.CopyRows(hidden, row - 1, last, static_cast<int64_t>(s), 1);
  }
  return Head(last);
}

void ScoreTargets::Add(int64_t row, std::span<const int32_t> ids) {
  rows.push_back(row);
  targets.insert(targets.end(), ids.begin(), ids.end());
  offsets.push_back(static_cast<int64_t>(targets.size()));
}

std::vector<TokenScore> Model::ForwardScores(std::span<const SequenceInput> batch,
                                             std::span<const int32_t> targets) {
  int64_t total = 0;
  for (const SequenceInput& s : batch) total += static_cast<int64_t>(s.tokens.size());
  Check(static_cast<int64_t>(targets.size()) == total, "score: {} targets for {} input tokens",
        targets.size(), total);
  ScoreTargets wanted;
  for (int64_t r = 0; r < total; ++r) {
    Check(targets[r] >= -1, "score: target {} is negative", targets[r]);
    if (targets[r] >= 0) wanted.Add(r, std::span(&targets[r], 1));
  }
  return ForwardScores(batch, wanted);
}

std::vector<TokenScore> Model::ForwardScores(std::span<const SequenceInput> batch,
                                             const ScoreTargets& wanted) {
  Backend& b = *backend_;
  int64_t total = 0;
  for (const SequenceInput& s : batch) total += static_cast<int64_t>(s.tokens.size());
  Check(wanted.offsets.size() == wanted.rows.size() + 1 && wanted.offsets.front() == 0 &&
            wanted.offsets.back() == static_cast<int64_t>(wanted.targets.size()),
        "score: malformed targets ({} rows, {} offsets, {} targets)", wanted.rows.size(),
        wanted.offsets.size(), wanted.targets.size());
  for (int64_t r : wanted.rows) {
    Check(r >= 0 && r < total, "score: row {} is outside the {} input tokens", r, total);
  }
  for (int32_t t : wanted.targets) {
    Check(t >= 0 && t < config_.vocab_size, "score: target {} is outside the vocabulary of {}", t,
          config_.vocab_size);
  }
  Tensor hidden = RunLayers(batch);
  std::vector<TokenScore> scores(wanted.targets.size());
  // kHeadChunk rows of logits at a time: 128 MiB for Gemma's 262k vocabulary, and an LM
  // head GEMM with M = 128, large enough to run near the matmul peak.
  constexpr int64_t kHeadChunk = 128;
  const auto n_rows = static_cast<int64_t>(wanted.rows.size());
  std::vector<float> log_probs;
  std::vector<int32_t> argmax;
  std::vector<int64_t> offsets;
  // One logits buffer for every chunk (up to 128 MiB): allocating and zeroing it per chunk
  // cost more than the log-softmax that reads it.
  const Tensor logits_buffer =
      n_rows > 0 ? b.Allocate({std::min(kHeadChunk, n_rows), config_.vocab_size}, DType::kF32)
                 : Tensor();
  for (int64_t begin = 0; begin < n_rows; begin += kHeadChunk) {
    const int64_t n = std::min(kHeadChunk, n_rows - begin);
    Tensor selected = b.Allocate({n, config_.hidden_size}, DType::kF32);
    for (int64_t i = 0; i < n; ++i) b.CopyRows(hidden, wanted.rows[begin + i], selected, i, 1);
    const Tensor logits = Head(selected, &logits_buffer);
    const int64_t first = wanted.offsets[begin], last = wanted.offsets[begin + n];
    offsets.resize(static_cast<size_t>(n + 1));
    for (int64_t i = 0; i <= n; ++i) offsets[i] = wanted.offsets[begin + i] - first;
    log_probs.resize(static_cast<size_t>(last - first));
    argmax.resize(static_cast<size_t>(n));
    b.LogSoftmaxGather(logits, offsets, std::span(wanted.targets).subspan(first, last - first),
                       log_probs, argmax);
    for (int64_t i = 0; i < n; ++i) {
      for (int64_t t = wanted.offsets[begin + i]; t < wanted.offsets[begin + i + 1]; ++t) {
        scores[t] = {log_probs[t - first], argmax[i]};
      }
    }
  }
  return scores;
}

std::vector<float> Model::ForwardToHost(std::span<const SequenceInput> batch, LogitsFor which) {
  Tensor logits = Forward(batch, which);
  std::vector<float> host(static_cast<size_t>(logits.numel()));
  backend_->Download(logits, host.data());
  return host;
}

// One decoder block (engine-facts 1.6):
//   Gemma 1:   h += Attn(Norm(h));              h += MLP(Norm(h))
//   Gemma 2/3: h += PostNorm(Attn(Norm(h)));    h += PostNorm(MLP(PreNorm(h)))
// Gemma 3 also normalizes q and k per head before RoPE.
void Model::Layer(int index, const Tensor& hidden, std::span<const SequenceInput> batch,
                  std::span<const int32_t> positions, const LayerBuffers& buffers) {
  Backend& b = *backend_;
  const ModelConfig& c = config_;
  const LayerWeights& w = weights_.layers[static_cast<size_t>(index)];
  const LayerConfig& layer = c.layers[static_cast<size_t>(index)];
  const int64_t T = hidden.rows();
  const float eps = c.rms_norm_eps;

  // ---- attention
  const Tensor& x = buffers.x;
  b.RmsNorm(hidden, w.attn_norm, eps, x);
  const Tensor& q = buffers.q;
  const Tensor& k = buffers.k;
  const Tensor& v = buffers.v;
  b.MatMul(x, w.q, q, {});
  b.MatMul(x, w.k, k, {});
  b.MatMul(x, w.v, v, {});
  if (c.qk_norm) {
    const Tensor q_heads = q.Reshaped({T * c.num_heads, c.head_dim});
    const Tensor k_heads = k.Reshaped({T * c.num_kv_heads, c.head_dim});
    b.RmsNorm(q_heads, w.q_norm, eps, q_heads);
    b.RmsNorm(k_heads, w.k_norm, eps, k_heads);
  }
  b.Rope(q, c.head_dim, positions, layer.rope_theta, layer.rope_scaling_factor);
  b.Rope(k, c.head_dim, positions, layer.rope_theta, layer.rope_scaling_factor);

  std::vector<AttentionSequence> sequences;
  int64_t row = 0;
  for (const SequenceInput& s : batch) {
    const auto n = static_cast<int64_t>(s.tokens.size());
    const int64_t start = s.cache->length();
    const int64_t own_row = start - s.cache->first_own_position();
    b.CopyRows(k, row, s.cache->keys(index), own_row, n);
    b.CopyRows(v, row, s.cache->values(index), own_row, n);
    sequences.push_back({row, n, start, s.cache->keys(index), s.cache->values(index),
                         s.cache->first_own_position(), s.cache->shared(index)});
    row += n;
  }
  const Tensor& attended = buffers.attended;
  b.Attention(q, sequences, LayerAttentionParams(c, layer.sliding_window), attended);
  const Tensor& out = buffers.out;
  if (c.sandwich_norms) {
    b.MatMul(attended, w.o, out, {});
    b.RmsNorm(out, w.post_attn_norm, eps, out);
    b.Add(hidden, out, hidden);
  } else {
    b.MatMul(attended, w.o, hidden, {.accumulate = true});  // residual add fused
  }

  // ---- feed-forward (GeGLU)
  b.RmsNorm(hidden, w.pre_ffn_norm, eps, x);
  const Tensor& gate = buffers.gate;
  const Tensor& up = buffers.up;
  b.MatMul(x, w.up, up, {});
  b.MatMul(x, w.gate, gate, {.gelu_tanh = true, .multiply = &up});  // GeGLU fused
  if (c.sandwich_norms) {
    b.MatMul(gate, w.down, out, {});
    b.RmsNorm(out, w.post_ffn_norm, eps, out);
    b.Add(hidden, out, hidden);
  } else {
    b.MatMul(gate, w.down, hidden, {.accumulate = true});
  }
}

}  // namespace gemmeter
