// Per-op benchmarks of one Gemma block, at the shapes of real Gemma models, for every
// backend of this build and every weight type it supports.
//
// Names: <op>/<backend>/<weight dtype>/<model preset>/<site>/<size>, e.g.
//   matmul/onednn/bf16/gemma-3-270m/ffn_up/T=512
//   attention/reference/f32/gemma-2b/decode/ctx=2048
// T is the number of token rows of the call (1: decode, 128 and 512: prefill chunks).
// Names are the join key of saved JSON reports: keep them stable.
//
// Nominal FLOPs per call (what the counters in bench_common.h divide by time):
//   matmul              2*T*N*K (epilogues not counted)
//   rms_norm            4 per element (square, sum, scale, gain)
//   rope                3 per element (x*cos - y*sin); the sin/cos are not counted
//   geglu               10 per element: gelu_tanh(g)*u counting tanh as one
//   attention           4*Dh*H per visible (query, key) pair: q.k and p*v
//   log_softmax_gather  4 per logit (max, subtract, exp, sum)
// Bytes: each input read once and each output written once (f32 activations, weights
// in their own dtype); an accumulate or multiply epilogue reads one more [T, N].
#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include <fmt/core.h>

#include "bench/bench_common.h"
#include "engine/model/config.h"
#include "engine/model/model.h"

namespace gemmeter::bench {
namespace {

constexpr double kMinTime = 0.2;  // seconds per benchmark; one call if a call is slower

// Registers `fn(state)` under `name` with the settings every op benchmark shares.
template <typename Fn>
void Register(const std::string& name, Fn fn) {
  RegisterNamed(name, std::move(fn))
      ->Unit(benchmark::kMicrosecond)
      ->UseRealTime()  // backends run threads of their own: CPU time of main is not the cost
      ->MinTime(kMinTime);
}

// The weight matrix of the last matmul benchmark. The library calls a benchmark function
// several times while it sizes the iteration count, and filling a 256k-row LM head takes
// seconds, so consecutive calls share it; holding one at a time bounds the memory.
const Tensor& CachedWeight(Backend& backend, const Shape& shape, DType dtype) {
  static Backend* cached_backend = nullptr;
  static Shape cached_shape;
  static DType cached_dtype = DType::kF32;
  static Tensor cached;
  if (cached_backend != &backend || cached_shape != shape || cached_dtype != dtype) {
    cached = Tensor();  // free the previous one before making the next
    // Scale 1/sqrt(K) keeps outputs O(1), like trained weights on normalized inputs.
    cached = RandomTensor(backend, shape, dtype, 7,
                          1.0f / std::sqrt(static_cast<float>(shape[1])));
    cached_backend = &backend;
    cached_shape = shape;
    cached_dtype = dtype;
  }
  return cached;
}

// ---------------------------------------------------------------- matmul

enum class Epilogue { kNone, kGeGlu, kResidual };

struct MatMulSite {
  std::string name;
  int64_t N, K;  // out[T, N] = x[T, K] * W[N, K]^T
  Epilogue epilogue;
};

// The matmuls of a block and the LM head, with the epilogues the model fuses into them.
std::vector<MatMulSite> MatMulSites(const ModelConfig& c) {
  const int64_t D = c.hidden_size, I = c.intermediate_size;
  // Gemma 1 adds the residual inside the o and down matmuls; Gemma 2/3 normalize first.
  const Epilogue residual = c.sandwich_norms ? Epilogue::kNone : Epilogue::kResidual;
  return {
      {"attn_q", c.q_width(), D, Epilogue::kNone},
      {"attn_k", c.kv_width(), D, Epilogue::kNone},
      {"attn_v", c.kv_width(), D, Epilogue::kNone},
      {"attn_o", D, c.q_width(), residual},
      {"ffn_gate", I, D, Epilogue::kGeGlu},  // gelu_tanh(x Wg^T) * up
      {"ffn_up", I, D, Epilogue::kNone},
      {"ffn_down", D, I, residual},
      {"lm_head", c.vocab_size, D, Epilogue::kNone},
  };
}

void BM_MatMul(benchmark::State& state, const std::string& backend_name, DType dtype,
               const MatMulSite& site, int64_t T) {
  Guarded(state, [&] {
    Backend& b = SharedBackend(backend_name);
    const Tensor& w = CachedWeight(b, {site.N, site.K}, dtype);
    const Tensor x = RandomTensor(b, {T, site.K}, DType::kF32, 1);
    const Tensor out = RandomTensor(b, {T, site.N}, DType::kF32, 2);  // accumulate reads it
    Tensor multiply;
    MatMulEpilogue epilogue;
    if (site.epilogue == Epilogue::kGeGlu) {
      multiply = RandomTensor(b, {T, site.N}, DType::kF32, 3);
      epilogue = {.gelu_tanh = true, .multiply = &multiply};
    } else if (site.epilogue == Epilogue::kResidual) {
      epilogue.accumulate = true;
    }
    b.MatMul(x, w, out, epilogue);  // warm-up: lazy primitive creation, first touch
    const double seconds = TimedLoop(state, b, [&] { b.MatMul(x, w, out, epilogue); });

    const double activations = static_cast<double>(T * site.K + T * site.N) +
                               (site.epilogue == Epilogue::kNone ? 0.0 : double(T * site.N));
    ReportWork(state,
               {.flops = 2.0 * double(T) * double(site.N) * double(site.K),
                .bytes = double(site.N) * double(RowBytes(dtype, site.K)) + 4.0 * activations},
               dtype, seconds);
    state.SetLabel(fmt::format("M={} N={} K={}", T, site.N, site.K));
  });
}

void RegisterMatMuls(const std::string& backend, const ModelConfig& c) {
  const bool slow = IsSlowBackend(backend);
  const Backend& b = SharedBackend(backend);
  std::vector<DType> dtypes = {DType::kF32, DType::kBF16};
  // GGUF block formats (native weights) on the smallest model, at the sites whose K is
  // whole blocks: decode rows and a prefill.
  if (c.name == "gemma-3-270m") dtypes.insert(dtypes.end(), std::begin(kBlockDTypes), std::end(kBlockDTypes));
  for (DType dtype : dtypes) {
    if (!b.Supports(Op::kMatMul, dtype)) continue;
    for (const MatMulSite& site : MatMulSites(c)) {
      if (site.K % BlockValues(dtype) != 0) continue;
      // A GPU fills its tensor cores only with more rows: 4096 (a batch of evaluation
      // requests, --batch-tokens 4096) on the cuda backend.
      std::vector<int64_t> rows = {1, 128, 512};
      if (backend == "cuda") rows.push_back(4096);
      for (int64_t T : rows) {
        if (IsBlockFormat(dtype) && (T == 128 || slow)) continue;
        // The reference backend: decode rows everywhere, one 128-row prefill chunk on the
        // smallest model, no batched LM head (2*128*262k*640 FLOPs in scalar double).
        if (slow && T > 1 && !(T == 128 && c.name == "gemma-3-270m" && site.name != "lm_head")) {
          continue;
        }
        Register(fmt::format("matmul/{}/{}/{}/{}/T={}", backend, DTypeName(dtype), c.name,
                             site.name, T),
                 [=](benchmark::State& state) { BM_MatMul(state, backend, dtype, site, T); });
      }
    }
  }
}

// ---------------------------------------------------------------- elementwise and norms

void BM_RmsNorm(benchmark::State& state, const std::string& backend_name, int64_t T, int64_t D,
                float eps) {
  Guarded(state, [&] {
    Backend& b = SharedBackend(backend_name);
    const Tensor x = RandomTensor(b, {T, D}, DType::kF32, 1);
    const Tensor gain = RandomTensor(b, {D}, DType::kF32, 2);
    const Tensor out = b.Allocate({T, D}, DType::kF32);
    b.RmsNorm(x, gain, eps, out);
    const double seconds = TimedLoop(state, b, [&] { b.RmsNorm(x, gain, eps, out); });
    ReportWork(state, {.flops = 4.0 * T * D, .bytes = 4.0 * (2 * T * D + D)}, DType::kF32,
               seconds);
  });
}

void BM_Rope(benchmark::State& state, const std::string& backend_name, int64_t T,
             const ModelConfig& c) {
  Guarded(state, [&] {
    Backend& b = SharedBackend(backend_name);
    const int64_t W = c.q_width();
    const Tensor x = RandomTensor(b, {T, W}, DType::kF32, 1);
    std::vector<int32_t> positions(static_cast<size_t>(T));
    for (int64_t t = 0; t < T; ++t) positions[static_cast<size_t>(t)] = static_cast<int32_t>(t);
    const LayerConfig& layer = c.layers.back();
    // Rotating the same buffer again and again is the same work as rotating fresh data.
    auto run = [&] {
      b.Rope(x, c.head_dim, positions, layer.rope_theta, layer.rope_scaling_factor);
    };
    run();
    const double seconds = TimedLoop(state, b, run);
    ReportWork(state, {.flops = 3.0 * T * W, .bytes = 4.0 * 2 * T * W}, DType::kF32, seconds);
  });
}

void BM_GeGlu(benchmark::State& state, const std::string& backend_name, int64_t T, int64_t I) {
  Guarded(state, [&] {
    Backend& b = SharedBackend(backend_name);
    const Tensor gate = RandomTensor(b, {T, I}, DType::kF32, 1);
    const Tensor up = RandomTensor(b, {T, I}, DType::kF32, 2);
    const Tensor out = b.Allocate({T, I}, DType::kF32);
    b.GeGlu(gate, up, out);
    const double seconds = TimedLoop(state, b, [&] { b.GeGlu(gate, up, out); });
    ReportWork(state, {.flops = 10.0 * T * I, .bytes = 4.0 * 3 * T * I}, DType::kF32, seconds);
  });
}

void BM_Add(benchmark::State& state, const std::string& backend_name, int64_t T, int64_t D) {
  Guarded(state, [&] {
    Backend& b = SharedBackend(backend_name);
    const Tensor a = RandomTensor(b, {T, D}, DType::kF32, 1);
    const Tensor x = RandomTensor(b, {T, D}, DType::kF32, 2);
    const Tensor out = b.Allocate({T, D}, DType::kF32);
    b.Add(a, x, out);
    const double seconds = TimedLoop(state, b, [&] { b.Add(a, x, out); });
    ReportWork(state, {.flops = 1.0 * T * D, .bytes = 4.0 * 3 * T * D}, DType::kF32, seconds);
  });
}

// Soft-capping of a logits row block, in place (the same buffer each time: the same work).
void BM_Softcap(benchmark::State& state, const std::string& backend_name, int64_t T, int64_t V) {
  Guarded(state, [&] {
    Backend& b = SharedBackend(backend_name);
    const Tensor x = RandomTensor(b, {T, V}, DType::kF32, 1, 30.0f);
    b.Softcap(x, 30.0f);
    const double seconds = TimedLoop(state, b, [&] { b.Softcap(x, 30.0f); });
    ReportWork(state, {.flops = 10.0 * T * V, .bytes = 4.0 * 2 * T * V}, DType::kF32, seconds);
  });
}

void BM_Embedding(benchmark::State& state, const std::string& backend_name, int64_t T,
                  const ModelConfig& c) {
  Guarded(state, [&] {
    Backend& b = SharedBackend(backend_name);
    const Tensor table = RandomTensor(b, {c.vocab_size, c.hidden_size}, DType::kF32, 1);
    std::vector<int32_t> tokens(static_cast<size_t>(T));
    for (int64_t t = 0; t < T; ++t) tokens[t] = static_cast<int32_t>((t * 7919) % c.vocab_size);
    const Tensor out = b.Allocate({T, c.hidden_size}, DType::kF32);
    b.Embedding(table, tokens, 1.0f, out);
    const double seconds = TimedLoop(state, b, [&] { b.Embedding(table, tokens, 1.0f, out); });
    ReportWork(state, {.flops = 1.0 * T * c.hidden_size, .bytes = 4.0 * 2 * T * c.hidden_size},
               DType::kF32, seconds);
  });
}

// T rows of keys or values appended to a KV cache (what every layer does per forward).
void BM_CopyRows(benchmark::State& state, const std::string& backend_name, int64_t T,
                 int64_t width) {
  Guarded(state, [&] {
    Backend& b = SharedBackend(backend_name);
    const Tensor src = RandomTensor(b, {T, width}, DType::kF32, 1);
    const Tensor dst = b.Allocate({2 * T, width}, DType::kF32);
    const double seconds = TimedLoop(state, b, [&] { b.CopyRows(src, 0, dst, T, T); });
    ReportWork(state, {.flops = 0, .bytes = 4.0 * 2 * T * width}, DType::kF32, seconds);
  });
}

void BM_LogSoftmaxGather(benchmark::State& state, const std::string& backend_name, int64_t T,
                         int64_t V) {
  Guarded(state, [&] {
    Backend& b = SharedBackend(backend_name);
    const Tensor logits = RandomTensor(b, {T, V}, DType::kF32, 1, 10.0f);
    std::vector<int32_t> targets(static_cast<size_t>(T));
    for (int64_t t = 0; t < T; ++t) {
      targets[static_cast<size_t>(t)] = static_cast<int32_t>((t * 7919) % V);
    }
    std::vector<int64_t> offsets(static_cast<size_t>(T + 1));
    for (int64_t t = 0; t <= T; ++t) offsets[static_cast<size_t>(t)] = t;
    std::vector<float> log_probs(static_cast<size_t>(T));
    std::vector<int32_t> argmax(static_cast<size_t>(T));
    b.LogSoftmaxGather(logits, offsets, targets, log_probs, argmax);
    const double seconds = TimedLoop(state, b, [&] {
      b.LogSoftmaxGather(logits, offsets, targets, log_probs, argmax);
      benchmark::DoNotOptimize(log_probs.data());
    });
    ReportWork(state, {.flops = 4.0 * T * V, .bytes = 4.0 * T * V}, DType::kF32, seconds);
  });
}

// ---------------------------------------------------------------- attention

struct AttentionCase {
  std::string name;  // "prefill/T=512", "decode/ctx=2048"
  int64_t start;     // positions already cached
  int64_t count;     // new query rows
  int window;        // 0: global layer
};

void BM_Attention(benchmark::State& state, const std::string& backend_name, const ModelConfig& c,
                  const AttentionCase& a) {
  Guarded(state, [&] {
    Backend& b = SharedBackend(backend_name);
    const int64_t rows = a.start + a.count;
    const Tensor q = RandomTensor(b, {a.count, c.q_width()}, DType::kF32, 1);
    const Tensor keys = RandomTensor(b, {rows, c.kv_width()}, DType::kF32, 2);
    const Tensor values = RandomTensor(b, {rows, c.kv_width()}, DType::kF32, 3);
    const Tensor out = b.Allocate({a.count, c.q_width()}, DType::kF32);
    const AttentionSequence sequence{0, a.count, a.start, keys, values, 0, {}};
    const AttentionParams params = LayerAttentionParams(c, a.window);
    b.Attention(q, {&sequence, 1}, params, out);
    const double seconds = TimedLoop(state, b, [&] { b.Attention(q, {&sequence, 1}, params, out); });

    // Query at position p sees keys max(0, p - window + 1) .. p.
    double pairs = 0;
    for (int64_t p = a.start; p < rows; ++p) {
      pairs += static_cast<double>(a.window > 0 ? std::min<int64_t>(p + 1, a.window) : p + 1);
    }
    const int64_t first_key = a.window > 0 ? std::max<int64_t>(0, a.start - a.window + 1) : 0;
    const double kv_bytes = 4.0 * 2 * double(rows - first_key) * double(c.kv_width());
    ReportWork(state,
               {.flops = 4.0 * c.head_dim * c.num_heads * pairs,
                .bytes = kv_bytes + 4.0 * 2 * double(a.count * c.q_width())},
               DType::kF32, seconds);
  });
}

std::vector<AttentionCase> AttentionCases(const ModelConfig& c, bool slow) {
  std::vector<AttentionCase> cases;
  if (!slow || c.name == "gemma-3-270m") cases.push_back({"prefill/T=512", 0, 512, 0});
  cases.push_back({"decode/ctx=512", 512, 1, 0});
  cases.push_back({"decode/ctx=2048", 2048, 1, 0});
  // Sliding-window layers narrower than the context read only their window.
  int window = 0;
  for (const LayerConfig& layer : c.layers) {
    if (layer.sliding_window > 0) window = layer.sliding_window;
  }
  if (window > 0 && window < 2048) cases.push_back({"decode_local/ctx=2048", 2048, 1, window});
  return cases;
}

// ---------------------------------------------------------------- registration

// The ops that run once per token row, at T rows of the model's widths.
template <typename Name>
void RegisterRowOp(Op op, const std::string& backend, const ModelConfig& c, int64_t T,
                   const Name& name) {
  const std::string size = fmt::format("T={}", T);
  switch (op) {
    case Op::kEmbedding:
      Register(name("embedding", "hidden", size),
               [=](benchmark::State& state) { BM_Embedding(state, backend, T, c); });
      break;
    case Op::kRmsNorm:
      Register(name("rms_norm", "hidden", size), [=](benchmark::State& state) {
        BM_RmsNorm(state, backend, T, c.hidden_size, c.rms_norm_eps);
      });
      break;
    case Op::kAdd:
      Register(name("add", "hidden", size),
               [=](benchmark::State& state) { BM_Add(state, backend, T, c.hidden_size); });
      break;
    case Op::kGeGlu:
      Register(name("geglu", "ffn", size), [=](benchmark::State& state) {
        BM_GeGlu(state, backend, T, c.intermediate_size);
      });
      break;
    case Op::kRope:
      Register(name("rope", "q", size),
               [=](benchmark::State& state) { BM_Rope(state, backend, T, c); });
      break;
    case Op::kCopyRows:
      Register(name("copy_rows", "kv", size),
               [=](benchmark::State& state) { BM_CopyRows(state, backend, T, c.kv_width()); });
      break;
    default:
      break;
  }
}

void RegisterBlockOps(const std::string& backend, const ModelConfig& c) {
  const bool slow = IsSlowBackend(backend);
  const Backend& b = SharedBackend(backend);
  const std::vector<int64_t> rows = slow ? std::vector<int64_t>{1, 128}
                                         : std::vector<int64_t>{1, 128, 512};
  auto name = [&](std::string_view op, std::string_view site, std::string_view size) {
    return fmt::format("{}/{}/f32/{}/{}/{}", op, backend, c.name, site, size);
  };
  // Every op of the table: a new op without a case here draws a -Wswitch warning.
  for (const OpInfo& op : AllOps()) {
    if (!b.Supports(op.op, DType::kF32)) continue;
    switch (op.op) {
      case Op::kMatMul:  // RegisterMatMuls: every projection of the block, f32 and bf16
      case Op::kCount:
        break;
      case Op::kEmbedding:
      case Op::kRmsNorm:
      case Op::kAdd:
      case Op::kGeGlu:
      case Op::kRope:
      case Op::kCopyRows:
        for (int64_t T : rows) RegisterRowOp(op.op, backend, c, T, name);
        break;
      case Op::kSoftcap:  // the final logits of Gemma 2 (a row of the vocabulary)
        Register(name("softcap", "vocab", "T=1"),
                 [=](benchmark::State& state) { BM_Softcap(state, backend, 1, c.vocab_size); });
        break;
      case Op::kAttention:
        for (const AttentionCase& a : AttentionCases(c, slow)) {
          const auto slash = a.name.find('/');
          Register(name("attention", a.name.substr(0, slash), a.name.substr(slash + 1)),
                   [=](benchmark::State& state) { BM_Attention(state, backend, c, a); });
        }
        break;
      case Op::kLogSoftmaxGather:
        // 128 rows: the chunk Model::ForwardScores reduces at once.
        for (int64_t T : {1, 128}) {
          Register(name("log_softmax_gather", "vocab", fmt::format("T={}", T)),
                   [=](benchmark::State& state) {
                     BM_LogSoftmaxGather(state, backend, T, c.vocab_size);
                   });
        }
        break;
    }
  }
}

}  // namespace

void RegisterOpBenchmarks() {
  for (std::string_view name : AvailableBackends()) {
    const std::string backend(name);
    try {
      SharedBackend(backend);
    } catch (const std::exception& e) {
      fmt::print(stderr, "gemmeter_bench: skipping backend {}: {}\n", backend, e.what());
      continue;
    }
    // Every preset (the full profile's "every op, shape and preset"; a new preset is
    // benchmarked without touching this file).
    for (const std::string& preset : PresetNames()) {
      const ModelConfig c = Preset(preset);
      RegisterMatMuls(backend, c);
      RegisterBlockOps(backend, c);
    }
  }
}

}  // namespace gemmeter::bench
