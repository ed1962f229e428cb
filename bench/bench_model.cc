// End-to-end benchmarks of the default model (DefaultModelPath(): $GEMMETER_MODEL or the
// Gemma 3 270M GGUF of tools/setup.sh), per backend and weight dtype:
//   model/<backend>/<weights>/<model>/prefill/T=512 one forward of 512 prompt tokens from
//                                                   an empty cache to the last token's
//                                                   logits on the host (as Generate does)
//   model/<backend>/<weights>/<model>/decode/ctx=128 one token after a 128-token context,
//                                                   logits on the host; the cache is cut
//                                                   back to 128 after every step
//   model/<backend>/<weights>/<model>/tg128          128 tokens decoded one at a time from
//                                                   an empty cache, logits of each on the
//                                                   host: llama-bench's tg128
// prefill/T=512 is llama-bench's pp512 (one batch of 512 tokens, last logits only).
// The reference backend (~24 tokens/s prefill, ~5 decode on 2 cores) runs a 32-token
// prefill and a fixed, small number of iterations instead.
//
// Model FLOPs of a forward of tokens at positions P (what the flops counter counts):
//   sum over p in P of  2 * W_layers                   (the block matmuls)
//                     + sum over layers l of 4 * H * Dh * n_l(p)   (q.k and p*v)
//   + 2 * D * V per row of logits                      (the tied LM head, one row here)
// where W_layers = L * (D*(H + 2*KV)*Dh + H*Dh*D + 3*D*I) are the matmul weights of all
// blocks and n_l(p) = min(p + 1, window_l) is the number of keys position p attends to.
// The embedding lookup (a gather), norms, RoPE and activations are left out (< 1%).
// Bytes: every matmul weight (blocks + LM head) as held (MatrixBytes), plus the KV rows read and
// written, once per forward; for decode this is the memory a token must stream, so
// bw_frac = (weight + KV bytes per token) * tokens/s / measured read bandwidth.
#include <algorithm>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <fmt/core.h>

#include "bench/bench_common.h"
#include "engine/model/checkpoint.h"
#include "engine/model/model.h"
#include "reports/benchmark_report.h"

namespace gemmeter::bench {
namespace {

// The model of the last model benchmark: consecutive calls (and the prefill and decode
// benchmarks of one backend and dtype, registered next to each other) share one load.
Model& CachedModel(const std::string& backend, std::optional<DType> dtype) {
  static std::string cached_backend;
  static std::optional<DType> cached_dtype;
  static std::unique_ptr<Model> cached;
  if (!cached || cached_backend != backend || cached_dtype != dtype) {
    cached.reset();  // free the previous weights first
    LoadOptions options;
    options.weight_dtype = dtype;
    cached = LoadModel(DefaultModelPath(), SharedBackend(backend), options);
    cached_backend = backend;
    cached_dtype = dtype;
  }
  return *cached;
}

// The token ids of every throughput benchmark (reports/benchmark_report.h).
std::vector<int32_t> Tokens(const ModelConfig& c, int64_t count) {
  return reports::BenchmarkTokens(c.bos_id, c.vocab_size, count);
}

// FLOPs and bytes of one forward of `count` tokens after `start` cached ones, producing
// one row of logits (see the top of this file).
Work ForwardWork(const Model& model, int64_t start, int64_t count) {
  const ModelConfig& c = model.config();
  const double D = double(c.hidden_size), I = double(c.intermediate_size);
  const double q = double(c.q_width()), kv = double(c.kv_width());
  const double block_weights = D * q + 2 * D * kv + q * D + 3 * D * I;
  const double layer_weights = c.num_layers * block_weights;
  const double head_weights = D * double(c.vocab_size);
  double pairs = 0;     // (query, key) pairs over all layers
  double kv_rows = 0;   // KV rows read over all layers
  for (const LayerConfig& layer : c.layers) {
    for (int64_t p = start; p < start + count; ++p) {
      pairs += double(layer.sliding_window > 0 ? std::min<int64_t>(p + 1, layer.sliding_window)
                                               : p + 1);
    }
    // The union of the keys the new positions see: from the first one's window start.
    const int64_t first_key =
        layer.sliding_window > 0 ? std::max<int64_t>(0, start - layer.sliding_window + 1) : 0;
    kv_rows += double(start + count - first_key);
  }
  Work w;
  w.flops = 2 * layer_weights * double(count) + 4.0 * c.num_heads * c.head_dim * pairs +
            2 * head_weights;
  w.bytes = double(MatrixBytes(model.weights())) +
            4.0 * 2 * kv * (kv_rows + double(c.num_layers) * double(count));
  return w;
}

// Activations are float32 whatever the weights, so native block weights count against the
// f32 peak.
void ReportModelWork(benchmark::State& state, const Model& model, std::optional<DType> dtype,
                     int64_t start, int64_t count, double seconds) {
  ReportWork(state, ForwardWork(model, start, count), dtype.value_or(DType::kF32), seconds);
  state.counters["tokens"] =
      benchmark::Counter(double(count), benchmark::Counter::kIsIterationInvariantRate);
}

void BM_Prefill(benchmark::State& state, const std::string& backend, std::optional<DType> dtype,
                int64_t T) {
  Guarded(state, [&] {
    Model& model = CachedModel(backend, dtype);
    const std::vector<int32_t> prompt = Tokens(model.config(), T);
    KvCache cache = model.NewCache(T);
    const SequenceInput input{&cache, prompt};
    auto run = [&] {
      cache.Truncate(0);
      benchmark::DoNotOptimize(model.ForwardToHost({&input, 1}, LogitsFor::kLastPosition));
    };
    run();  // warm-up
    const double seconds = TimedLoop(state, model.backend(), run);
    ReportModelWork(state, model, dtype, 0, T, seconds);
  });
}

void BM_Decode(benchmark::State& state, const std::string& backend, std::optional<DType> dtype,
               int64_t ctx) {
  Guarded(state, [&] {
    Model& model = CachedModel(backend, dtype);
    const std::vector<int32_t> tokens = Tokens(model.config(), ctx + 1);
    KvCache cache = model.NewCache(ctx + 1);
    const SequenceInput context{&cache, std::span(tokens).first(static_cast<size_t>(ctx))};
    model.Forward({&context, 1}, LogitsFor::kLastPosition);
    const SequenceInput next{&cache, std::span(tokens).subspan(static_cast<size_t>(ctx), 1)};
    auto step = [&] {
      benchmark::DoNotOptimize(model.ForwardToHost({&next, 1}, LogitsFor::kLastPosition));
      cache.Truncate(ctx);
    };
    step();  // warm-up
    const double seconds = TimedLoop(state, model.backend(), step);
    ReportModelWork(state, model, dtype, ctx, 1, seconds);
  });
}

void BM_Generate(benchmark::State& state, const std::string& backend,
                 std::optional<DType> dtype, int64_t count) {
  Guarded(state, [&] {
    Model& model = CachedModel(backend, dtype);
    const std::vector<int32_t> tokens = Tokens(model.config(), count);
    KvCache cache = model.NewCache(count);
    auto run = [&] {
      cache.Truncate(0);
      for (int64_t i = 0; i < count; ++i) {
        const SequenceInput next{&cache, std::span(tokens).subspan(static_cast<size_t>(i), 1)};
        benchmark::DoNotOptimize(model.ForwardToHost({&next, 1}, LogitsFor::kLastPosition));
      }
    };
    run();  // warm-up
    const double seconds = TimedLoop(state, model.backend(), run);
    // Work of the whole run: each step is a one-token forward at its position.
    Work total;
    for (int64_t i = 0; i < count; ++i) {
      const Work w = ForwardWork(model, i, 1);
      total.flops += w.flops;
      total.bytes += w.bytes;
    }
    ReportWork(state, total, dtype.value_or(DType::kF32), seconds);
    state.counters["tokens"] =
        benchmark::Counter(double(count), benchmark::Counter::kIsIterationInvariantRate);
  });
}

}  // namespace

void RegisterModelBenchmarks() {
  // The label is the checkpoint's file name; when there is none every benchmark reports
  // DefaultModelPath()'s message (how to install it) through SkipWithError.
  std::string label = "default";
  try {
    label = std::filesystem::path(DefaultModelPath()).stem().string();
  } catch (const std::exception&) {
  }
  for (std::string_view name : AvailableBackends()) {
    const std::string backend(name);
    const bool slow = IsSlowBackend(backend);
    // native: the file's block formats as stored (--weights native, the default).
    for (std::optional<DType> dtype :
         {std::optional<DType>(), std::optional(DType::kF32), std::optional(DType::kBF16)}) {
      try {
        const Backend& b = SharedBackend(backend);
        if (dtype ? !b.Supports(Op::kMatMul, *dtype) : !MultipliesBlockFormats(b)) continue;
      } catch (const std::exception&) {
        continue;  // RegisterOpBenchmarks has said why
      }
      const std::string prefix = fmt::format("model/{}/{}/{}", backend,
                                             dtype ? DTypeName(*dtype) : "native", label);
      const int64_t prompt = slow ? 32 : 512;
      auto* prefill = RegisterNamed(
          fmt::format("{}/prefill/T={}", prefix, prompt),
          [=](benchmark::State& state) { BM_Prefill(state, backend, dtype, prompt); });
      auto* decode = RegisterNamed(
          fmt::format("{}/decode/ctx={}", prefix, 128),
          [=](benchmark::State& state) { BM_Decode(state, backend, dtype, 128); });
      auto* generate = RegisterNamed(
          fmt::format("{}/tg{}", prefix, slow ? 8 : 128),
          [=](benchmark::State& state) { BM_Generate(state, backend, dtype, slow ? 8 : 128); });
      for (auto* b : {prefill, decode, generate}) b->Unit(benchmark::kMillisecond)->UseRealTime();
      if (slow) {
        // Fixed counts: the library then calls each function once, so the 128-token
        // context (~5 s here) is prefilled once rather than once per sizing round.
        prefill->Iterations(2);
        decode->Iterations(8);
        generate->Iterations(1);
      } else {
        prefill->MinTime(2.0);
        decode->MinTime(2.0);
        generate->MinTime(4.0);
      }
    }
  }
}

}  // namespace gemmeter::bench
