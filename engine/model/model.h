// The Gemma forward pass, one implementation for Gemma 1, 2 and 3 over any backend.
#pragma once

#include <span>
#include <vector>

#include "engine/backend/backend.h"
#include "engine/model/config.h"
#include "engine/model/kv_cache.h"
#include "engine/model/weights.h"

namespace gemmeter {

// New tokens of one sequence, appended after what its cache already holds.
struct SequenceInput {
  KvCache* cache = nullptr;
  std::span<const int32_t> tokens;
};

enum class LogitsFor {
  kAllPositions,  // one row per input token, in input order
  kLastPosition,  // one row per sequence: its last new token
};

// The model's verdict on one target token: log p(target | preceding tokens) and the
// token it would have chosen greedily.
struct TokenScore {
  float log_prob = 0;
  int32_t argmax = 0;
};

// Which input rows to score, and against which next tokens: input row rows[i] scores the
// targets targets[offsets[i] .. offsets[i + 1]) (several per row: one position scores all
// of MMLU's answer letters).
struct ScoreTargets {
  std::vector<int64_t> rows;
  std::vector<int64_t> offsets = {0};
  std::vector<int32_t> targets;
  void Add(int64_t row, std::span<const int32_t> ids);
};

// The attention op's parameters for a layer of `config` with the given sliding window.
AttentionParams LayerAttentionParams(const ModelConfig& config, int sliding_window);

class Model {
 public:
  Model(ModelConfig config, ModelWeights weights, Backend& backend);

  const ModelConfig& config() const { return config_; }
  const ModelWeights& weights() const { return weights_; }
  Backend& backend() const { return *backend_; }

  KvCache NewCache(int64_t capacity) const { return KvCache(*backend_, config_, capacity); }

  // Runs the new tokens of every sequence through the model as one batch (their rows
  // are stacked), appends their keys/values to each sequence's cache, and returns the
  // logits [rows, vocab] on the backend.
  Tensor Forward(std::span<const SequenceInput> batch, LogitsFor which);

  // Forward, then the logits copied to host memory (row-major [rows, vocab]).
  std::vector<float> ForwardToHost(std::span<const SequenceInput> batch, LogitsFor which);

  // Runs the batch like Forward and scores, for every input row r (in input order) with
  // targets[r] >= 0, the token targets[r] as the next token after row r; rows with -1
  // are skipped. The LM head runs in chunks of rows that are reduced to their
  // log-normalizer at once, so full logits are never held for every position.
  std::vector<TokenScore> ForwardScores(std::span<const SequenceInput> batch,
                                        std::span<const int32_t> targets);
  // The same with any number of targets per scored row; one score per target, in the
  // order of `wanted.targets`.
  std::vector<TokenScore> ForwardScores(std::span<const SequenceInput> batch,
                                        const ScoreTargets& wanted);

 private:
  // Embedding and every layer; appends to the caches. Returns the hidden states [rows, D].
  Tensor RunLayers(std::span<const SequenceInput> batch);
  // Activations of one layer, [rows, width] each; RunLayers allocates them once for all.
  struct LayerBuffers {
    Tensor x, q, k, v, attended, out, gate, up;
  };
  // Final norm, tied LM head and soft-cap of the given hidden rows; the logits go to the
  // first rows of `logits_buffer` when given, else to a new tensor.
  Tensor Head(const Tensor& hidden_rows, const Tensor* logits_buffer = nullptr);
  void Layer(int index, const Tensor& hidden, std::span<const SequenceInput> batch,
             std::span<const int32_t> positions, const LayerBuffers& buffers);

  ModelConfig config_;
  ModelWeights weights_;
  Backend* backend_;
};

}  // namespace gemmeter
