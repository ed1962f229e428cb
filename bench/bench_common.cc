#include "bench/bench_common.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstring>
#include <map>
#include <memory>
#include <vector>

#include "engine/core/parallel.h"
#include "engine/core/quant_blocks.h"

#if __has_include(<valgrind/callgrind.h>)
#include <valgrind/callgrind.h>
#define GEMMETER_HAVE_CALLGRIND 1
#else
#define GEMMETER_HAVE_CALLGRIND 0
#endif

namespace gemmeter::bench {

std::string& RunningBenchmark() {
  static std::string name;
  return name;
}

void InstructionCountStart() {
#if GEMMETER_HAVE_CALLGRIND
  if (RUNNING_ON_VALGRIND) {
    CALLGRIND_ZERO_STATS;
    CALLGRIND_START_INSTRUMENTATION;
  }
#endif
}

void InstructionCountStop(int64_t iterations) {
#if GEMMETER_HAVE_CALLGRIND
  if (RUNNING_ON_VALGRIND) {
    CALLGRIND_STOP_INSTRUMENTATION;
    const std::string label = fmt::format("gemmeter {} iterations={}", RunningBenchmark(), iterations);
    CALLGRIND_DUMP_STATS_AT(label.c_str());
  }
#else
  (void)iterations;
#endif
}

double PeakFlops(DType weight_dtype, std::string_view backend) {
  const MachinePeak& peak = Peak();
  if (backend == "cuda") return peak.cuda_bf16_flops;
  if (weight_dtype == DType::kBF16 && peak.bf16_flops > 0) return peak.bf16_flops;
  return peak.f32_flops;
}

void ReportWork(benchmark::State& state, const Work& work, DType weight_dtype,
                double loop_seconds) {
  using benchmark::Counter;
  // A rate counter holds the per-call amount; the library multiplies it by the iteration
  // count and divides by its elapsed time.
  // Only nonzero counters: a zero one (copy_rows has no FLOPs) would make the library's
  // coefficient-of-variation aggregate 0 / 0, written as NaN, which is not JSON.
  if (work.flops > 0) state.counters["flops"] = Counter(work.flops, Counter::kIsIterationInvariantRate);
  if (work.bytes > 0) state.counters["bytes"] = Counter(work.bytes, Counter::kIsIterationInvariantRate);
  if (loop_seconds <= 0 || state.iterations() == 0) return;
  const double calls_per_second = static_cast<double>(state.iterations()) / loop_seconds;
  // The backend is the second part of the benchmark's name (<op>/<backend>/..., model/<backend>/...).
  const std::string& name = RunningBenchmark();
  const size_t slash = name.find('/');
  const std::string_view backend =
      slash == std::string::npos
          ? std::string_view()
          : std::string_view(name).substr(slash + 1, name.find('/', slash + 1) - slash - 1);
  const double peak_flops = PeakFlops(weight_dtype, backend);
  const double bandwidth = backend == "cuda" ? Peak().cuda_copy_bandwidth : Peak().read_bandwidth;
  double roofline = 0;  // the larger fraction
  if (peak_flops > 0 && work.flops > 0) {
    const double f = work.flops * calls_per_second / peak_flops;
    state.counters["flop_frac"] = f;
    roofline = std::max(roofline, f);
  }
  if (bandwidth > 0 && work.bytes > 0) {
    const double f = work.bytes * calls_per_second / bandwidth;
    state.counters["bw_frac"] = f;
    roofline = std::max(roofline, f);
  }
  if (roofline > 0) state.counters["peak_frac"] = roofline;
}

Backend& SharedBackend(std::string_view name) {
  // The benchmark library runs benchmarks one at a time on the main thread, so this
  // registry needs no lock; it lives until exit like the registered benchmarks.
  static std::map<std::string, std::unique_ptr<Backend>, std::less<>> backends;
  auto it = backends.find(name);
  if (it == backends.end()) it = backends.emplace(std::string(name), MakeBackend(name)).first;
  return *it->second;
}

namespace {

uint64_t SplitMix(uint32_t seed, int64_t index) {
  uint64_t z = (static_cast<uint64_t>(seed) << 40) + static_cast<uint64_t>(index) +
               0x9e3779b97f4a7c15ull;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

// Random bits with every binary16 scale set to `scale` / 64: values of order `scale`.
// Imported as the model loader imports a GGUF file's blocks (a backend may rearrange them:
// the onednn backend's row groups).
Tensor RandomBlocks(Backend& backend, const Shape& shape, DType dtype, uint32_t seed,
                    float scale) {
  const size_t bytes = StorageBytes(shape, dtype);
  auto owner = std::make_shared<std::vector<uint8_t>>(bytes);
  std::vector<uint8_t>& host = *owner;
  for (size_t i = 0; i < bytes; i += 8) {
    const uint64_t r = SplitMix(seed, static_cast<int64_t>(i));
    std::memcpy(host.data() + i, &r, std::min<size_t>(8, bytes - i));
  }
  const uint16_t half = FloatToF16(scale / 64);
  for (size_t block = 0; block < bytes; block += BlockBytes(dtype)) {
    for (size_t offset : HalfScaleOffsets(dtype)) std::memcpy(&host[block + offset], &half, 2);
  }
  return backend.ImportWeights(shape, dtype, host.data(), owner);
}

}  // namespace

Tensor RandomTensor(Backend& backend, const Shape& shape, DType dtype, uint32_t seed,
                    float scale) {
  if (IsBlockFormat(dtype)) return RandomBlocks(backend, shape, dtype, seed, scale);
  // Values are made as bf16 whatever `dtype` is: half the host memory for the largest
  // tables (a 256k x 2048 LM head), and exactly representable in every target type.
  const int64_t count = NumElements(shape);
  std::vector<uint16_t> host(static_cast<size_t>(count));
  ParallelFor(count, 8, [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i) {
      // splitmix64 of (seed, index): independent of the thread split.
      const uint64_t z = SplitMix(seed, i);
      const float unit = static_cast<float>(z >> 40) * (1.0f / 16777216.0f);  // [0, 1)
      host[static_cast<size_t>(i)] = FloatToBF16((2.0f * unit - 1.0f) * scale);
    }
  });
  Tensor t = backend.Allocate(shape, dtype);
  backend.Upload(t, host.data(), DType::kBF16);
  return t;
}

}  // namespace gemmeter::bench
