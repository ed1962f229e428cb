// The backend interface: the only way the model touches memory or computes.
//
// A backend owns its tensors (host or device memory) and implements each op of a Gemma
// block as one call. Before the model (or the op test suite) uses an op with a given
// weight type it asks Supports(); a backend never has to fail halfway through a forward.
//
// Conventions shared by every op:
// - Activations are float32 and row-major. A tensor is read as a matrix [rows, cols]
//   with cols = its last dimension, so tokens of several sequences are simply rows.
// - Weight matrices are [out, in] as in PyTorch (a row is one output channel); they
//   may be f32, bf16 or a GGUF block format (dtype.h; blocks run along `in`), as the
//   backend's Supports() says. Activations are never quantized: a block-format matmul
//   equals the float32 matmul with the dequantized weights, up to float32 summation.
// - Outputs are preallocated by the caller with the documented shape.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "engine/core/tensor.h"

namespace gemmeter {

enum class Op {
  kEmbedding,  // gather rows of the embedding table and scale them
  kRmsNorm,    // y = x / sqrt(mean(x^2) + eps) * gain, per row
  kMatMul,     // y = x W^T
  kAdd,        // y = a + b
  kGeGlu,      // y = gelu_tanh(gate) * up
  kSoftcap,    // x = cap * tanh(x / cap)
  kRope,       // rotate-half rotary position embedding, in place
  kAttention,  // causal (optionally sliding-window, soft-capped) attention over a KV cache
  kCopyRows,   // copy rows between tensors of the same dtype and width
  kLogSoftmaxGather,  // per row: log_softmax(row)[t] for each of its targets t, and argmax(row)
  kCount,      // the number of ops (not an op)
};

// One row per op, in enum order: the single list that OpName, the model's support check,
// the op suite's coverage test and the benchmarks' registration read.
struct OpInfo {
  Op op;
  std::string_view name;
  bool reads_weights;  // Supports(op, dtype) is asked with the weights' dtype, else f32
};
std::span<const OpInfo> AllOps();

std::string_view OpName(Op op);

// Cached keys and values of the consecutive positions [first_position, first_position +
// length) of a sequence, held in rows [0, length) of `keys` and `values`.
struct KvSegment {
  Tensor keys;    // [>= length, kv_heads * head_dim]
  Tensor values;  // same shape as keys
  int64_t first_position = 0;
  int64_t length = 0;
};

// One sequence of a batched attention call. Its keys and values live in its own tensors
// and, for a sequence that continues a prefix shared with other sequences (a few-shot
// header, a multiple-choice context), in read-only segments of that prefix: positions
// [0, own_first_position) are in `shared` (in order, back to back), positions
// [own_first_position, start + count) in rows [0, ...) of keys/values. Nothing is copied
// per sequence; the attention kernel walks the segments.
struct AttentionSequence {
  int64_t query_row = 0;     // first row of this sequence in q and out
  int64_t query_count = 0;   // number of new tokens (rows)
  int64_t start_position = 0;  // position of the first new token = tokens already cached
  Tensor keys;    // [capacity, kv_heads * head_dim]; position p in row p - own_first_position
  Tensor values;  // same shape as keys
  int64_t own_first_position = 0;  // positions before this are in `shared`
  std::vector<KvSegment> shared;   // covers [0, own_first_position) exactly
};

struct AttentionParams {
  int num_heads = 0;
  int num_kv_heads = 0;  // query head h reads kv head h / (num_heads / num_kv_heads)
  int head_dim = 0;
  float scale = 1.0f;    // multiplies q.k
  float softcap = 0.0f;  // 0: none; else s = softcap * tanh(s / softcap), before masking
  int window = 0;        // 0: full causal; else key j visible to query i iff i - j < window
};

// What MatMul does with y = x W^T before storing it, so backends can fuse it:
//   y = gelu_tanh(y)  if gelu_tanh         (GeGLU's gate)
//   y = y * multiply  if multiply          (GeGLU: gelu(gate) * up), same shape as out
//   out = out + y     if accumulate, else out = y   (a residual add)
struct MatMulEpilogue {
  bool gelu_tanh = false;
  const Tensor* multiply = nullptr;
  bool accumulate = false;
};

// Choices made when a backend is created.
struct BackendOptions {
  int threads = 0;  // worker threads of this backend's ops; 0: ParallelThreads() (--threads)
  int device = 0;   // device index, for backends that run on a device (ignored on the CPU)
};

class Backend {
 public:
  virtual ~Backend() = default;

  virtual std::string_view name() const = 0;
  // One line for reports: the backend and the libraries it runs on, with versions.
  virtual std::string Describe() const { return std::string(name()); }
  // Whether `op` is implemented when its weight operand has type `weight_dtype`
  // (for ops without weights, the activation type, f32).
  virtual bool Supports(Op op, DType weight_dtype) const = 0;
  // Whether `--weights auto` keeps a GGUF file's blocks as stored ("native") on this
  // backend rather than widening them to bf16: by default, wherever it multiplies every
  // block format (MultipliesBlockFormats).
  virtual bool PrefersBlockFormats() const;

  // ---- memory
  virtual Tensor Allocate(const Shape& shape, DType dtype) = 0;
  // Writes host data of `host_dtype` (f32, bf16 or f16) into `dst`, converting to dst's dtype.
  virtual void Upload(const Tensor& dst, const void* host, DType host_dtype) = 0;
  // A read-only weight tensor over `host` bytes (already in `dtype`) that `keep_alive`
  // keeps valid, such as a memory-mapped file: host backends use the bytes in place, so
  // resident memory holds the weights once (as llama.cpp's mmap does); device backends
  // copy them. Ops never write weights. The default allocates and uploads.
  // A backend that copies calls `release` (when set) on each stretch of `host` it has
  // copied, so that the source can let those pages go and memory holds one copy.
  using ReleaseHostBytes = std::function<void(const void* bytes, size_t count)>;
  virtual Tensor ImportWeights(const Shape& shape, DType dtype, const void* host,
                               std::shared_ptr<const void> keep_alive,
                               const ReleaseHostBytes& release = nullptr);
  // Reads `src` into host float32 (src may be f32 or bf16), after the work queued before it.
  virtual void Download(const Tensor& src, float* host) = 0;
  // Returns when every op issued so far has finished. Device backends queue work on a
  // stream; host backends run each op to completion, so theirs returns at once. Benchmarks
  // stop their clocks after it.
  virtual void Synchronize() {}

  // ---- ops (shapes: T = rows, D = hidden, V = vocab)
  // Each op checks its operands' shapes and dtypes once, here in the base class, and then
  // calls the backend's protected Do<Op>; a backend implements arithmetic only. Check
  // messages are formatted only when a check fails.
  // out[T, D] = table[tokens[t], :] * scale. table [V, D] (f32, bf16 or a block format).
  void Embedding(const Tensor& table, std::span<const int32_t> tokens, float scale,
                 const Tensor& out);
  // out[r, :] = x[r, :] / sqrt(mean(x[r, :]^2) + eps) * gain, gain [cols] (f32). `out` may
  // alias `x` (in-place normalization).
  // Gemma's (1 + w) is folded into `gain` when weights are loaded.
  void RmsNorm(const Tensor& x, const Tensor& gain, float eps, const Tensor& out);
  // out[M, N] = epilogue(x[M, K] * weight[N, K]^T).
  void MatMul(const Tensor& x, const Tensor& weight, const Tensor& out,
              const MatMulEpilogue& epilogue);
  // out = a + b, same shapes. `out` may alias `a`.
  void Add(const Tensor& a, const Tensor& b, const Tensor& out);
  // out = gelu_tanh(gate) * up, same shapes.
  void GeGlu(const Tensor& gate, const Tensor& up, const Tensor& out);
  // x = cap * tanh(x / cap), in place.
  void Softcap(const Tensor& x, float cap);
  // x [T, heads * head_dim], rotated in place; token t has position positions[t].
  // inv_freq[i] = theta^(-2i / head_dim) / scaling_factor.
  void Rope(const Tensor& x, int head_dim, std::span<const int32_t> positions, float theta,
            float scaling_factor);
  // q [T, H * Dh] -> out [T, H * Dh], one entry per sequence of the batch.
  void Attention(const Tensor& q, std::span<const AttentionSequence> sequences,
                 const AttentionParams& params, const Tensor& out);
  // Row r of logits [R, V] has the targets targets[offsets[r] .. offsets[r + 1]) (offsets:
  // R + 1 ascending entries from 0 to targets.size(); a row may have none, or several: one
  // position scores all of MMLU's answer letters). For each target i of row r:
  // log_probs[i] = row[targets[i]] - log(sum_j exp(row[j])) (with max subtraction), and
  // argmax[r] = the index of the row's largest logit (lowest on ties). Results go to host
  // memory. Scoring needs only these, not the full logits.
  void LogSoftmaxGather(const Tensor& logits, std::span<const int64_t> offsets,
                        std::span<const int32_t> targets, std::span<float> log_probs,
                        std::span<int32_t> argmax);
  // dst rows [dst_row, dst_row + count) = src rows [src_row, src_row + count).
  void CopyRows(const Tensor& src, int64_t src_row, const Tensor& dst, int64_t dst_row,
                int64_t count);

 protected:
  // Throws Error unless Supports(op, weight.dtype()).
  void CheckWeightSupported(Op op, const Tensor& weight) const;
  // Implementations of the ops above; their arguments have passed the checks.
  virtual void DoEmbedding(const Tensor& table, std::span<const int32_t> tokens, float scale,
                           const Tensor& out) = 0;
  virtual void DoRmsNorm(const Tensor& x, const Tensor& gain, float eps, const Tensor& out) = 0;
  virtual void DoMatMul(const Tensor& x, const Tensor& weight, const Tensor& out,
                        const MatMulEpilogue& epilogue) = 0;
  virtual void DoAdd(const Tensor& a, const Tensor& b, const Tensor& out) = 0;
  virtual void DoGeGlu(const Tensor& gate, const Tensor& up, const Tensor& out) = 0;
  virtual void DoSoftcap(const Tensor& x, float cap) = 0;
  virtual void DoRope(const Tensor& x, int head_dim, std::span<const int32_t> positions,
                      float theta, float scaling_factor) = 0;
  virtual void DoAttention(const Tensor& q, std::span<const AttentionSequence> sequences,
                           const AttentionParams& params, const Tensor& out) = 0;
  virtual void DoLogSoftmaxGather(const Tensor& logits, std::span<const int64_t> offsets,
                                  std::span<const int32_t> targets, std::span<float> log_probs,
                                  std::span<int32_t> argmax) = 0;
  virtual void DoCopyRows(const Tensor& src, int64_t src_row, const Tensor& dst,
                          int64_t dst_row, int64_t count) = 0;
};

// Whether `backend` multiplies, and looks up embedding rows in, every GGUF block format:
// what native weights (blocks kept as stored) need of it.
bool MultipliesBlockFormats(const Backend& backend);

// Names of the backends compiled into this build, default first.
std::span<const std::string_view> AvailableBackends();
// Creates a backend by name; throws Error for an unknown or unavailable one.
std::unique_ptr<Backend> MakeBackend(std::string_view name, const BackendOptions& options = {});

}  // namespace gemmeter
