// The cross-backend op test cases: one list of (op, shapes, dtype, parameters, error
// budget), run by op_runner on every backend against the reference backend.
//
// Layout, after ggml's test-backend-ops: this header declares one parameter record per op
// and the OpCase that carries it; op_cases.cc holds the error budgets (each with its
// reasoning) and the list itself, AllOpCases(). To add a case, append it to the op's
// section of AllOpCases(); its name is built from its parameters and also seeds its random
// inputs, so names must be unique (a test checks that).
#pragma once

#include <cstdint>
#include <string>
#include <variant>
#include <vector>

#include "engine/backend/backend.h"
#include "engine/core/dtype.h"

namespace gemmeter::test {

// out[T, D] = table[tokens] * scale; the table has `vocab` rows.
struct EmbeddingCase {
  int64_t vocab = 0, hidden = 0, tokens = 0;
  float scale = 1.0f;
};

// rows x cols input; with heads > 0 the input is [rows, heads, cols] (per-head q/k norm of
// a [T, H * Dh] tensor, seen as a rank-3 view) and each head is normalized separately.
struct RmsNormCase {
  int64_t rows = 0, cols = 0;
  int64_t heads = 0;
  float eps = 1e-6f;
  float input_std = 1.0f;  // Gemma's residual stream reaches O(100..1000)
  bool in_place = false;   // out aliases x
};

// out[M, N] = epilogue(x[M, K] W[N, K]^T).
struct MatMulCase {
  int64_t m = 0, k = 0, n = 0;
  bool gelu_tanh = false, multiply = false, accumulate = false;
};

struct AddCase {
  int64_t rows = 0, cols = 0;
  bool in_place = false;  // out aliases a
};

struct GeGluCase {
  int64_t rows = 0, cols = 0;
  float gate_std = 2.0f;  // wide enough to reach gelu's flat negative tail and linear part
};

struct SoftcapCase {
  int64_t rows = 0, cols = 0;
  float cap = 30.0f;
  float input_std = 30.0f;  // comparable to cap, so tanh is used well into saturation
  bool infinities = false;  // every 7th input +inf, every 11th -inf: capped to +-cap
};

// x [tokens, heads * head_dim]; positions drawn uniformly from [min_position, max_position].
struct RopeCase {
  int64_t tokens = 0, heads = 0, head_dim = 0;
  float theta = 10000.0f, scaling = 1.0f;
  int32_t min_position = 0, max_position = 0;
};

struct AttentionSeqSpec {
  int64_t count = 0;  // new tokens (query rows)
  int64_t start = 0;  // tokens already in the cache
  // Lengths of the shared read-only segments that hold the first cached positions (a
  // shared prefix, AttentionSequence::shared); the sequence's own rows hold the rest.
  std::vector<int64_t> shared = {};
};

// q, k, v ~ N(0, 1); scale = score_std / sqrt(head_dim), so raw scores are ~N(0, score_std^2).
// Each sequence's cache has `spare_rows` rows past start + count, filled with large values
// that a backend attending past the causal limit would not miss.
struct AttentionCase {
  int heads = 0, kv_heads = 0, head_dim = 0;
  int window = 0;
  float softcap = 0.0f;
  float score_std = 3.0f;
  std::vector<AttentionSeqSpec> sequences;
  bool shared_cache = false;  // every sequence's cache is a row range of one tensor
  // Every sequence reads the same segment tensors (those of the first sequence's
  // `shared` lengths): one prefix, several continuations.
  bool common_prefix = false;
  int64_t spare_rows = 5;
};

// logits [rows, vocab] ~ offset + N(0, logit_std^2). With ties, every other row has its
// maximum at two indices (the contract picks the lower one). Each row has `targets`
// targets; with mixed_counts, row r has r % (targets + 1) of them (some rows none). With
// all_equal, every logit of a row is the same value (log p = -log V exactly; argmax 0).
struct LogSoftmaxCase {
  int64_t rows = 0, vocab = 0;
  float logit_std = 4.0f;
  bool ties = false;
  int targets = 1;
  bool mixed_counts = false;
  float offset = 0.0f;  // very large or very negative logits: the maximum must be taken out
  bool all_equal = false;
};

// dst rows [dst_row, dst_row + count) = src rows [src_row, src_row + count); src is
// uploaded from f32 host data, so a bf16 case also checks the backend's f32 -> bf16 upload.
struct CopyRowsCase {
  int64_t src_rows = 0, dst_rows = 0, cols = 0;
  int64_t src_row = 0, dst_row = 0, count = 0;
};

using OpParams = std::variant<EmbeddingCase, RmsNormCase, MatMulCase, AddCase, GeGluCase,
                              SoftcapCase, RopeCase, AttentionCase, LogSoftmaxCase, CopyRowsCase>;

enum class Metric {
  kNmse,    // sum (a - b)^2 / sum b^2 over the output, b the reference
  kExact,   // bit-identical output
  kMaxAbs,  // max |a - b| (log_softmax_gather's log-probs), plus the argmax check
};

struct Budget {
  Metric metric = Metric::kNmse;
  double limit = 0.0;
};

struct OpCase {
  Op op = Op::kAdd;
  DType dtype = DType::kF32;  // what Supports() is asked: weight/table/copy dtype, else f32
  OpParams params;
  Budget budget;
  std::string name;  // e.g. "attention T=33 start=0 H=8 KV=1 Dh=256 window=16 softcap=50"
};

// Every case of the suite. Built once; the order is the order of the report.
const std::vector<OpCase>& AllOpCases();

// The seed of a case's random inputs: a hash of its name (stable when cases are added).
uint64_t CaseSeed(const OpCase& c);

std::string_view MetricName(Metric metric);

}  // namespace gemmeter::test
