// The machine's measured peaks, against which every op and model benchmark reports its
// fraction (bench_common.h):
//   compute:   oneDNN's own matmul, y[M, N] = x[M, K] w[K, N] with M x N x K = 512 x 4096
//              x 4096, weights in the layout oneDNN prefers (format_tag::any), f32 output;
//              once with f32 operands and once with bf16 operands. 2*M*N*K FLOPs per call.
//   bandwidth: a streaming read (integer sum) of a 1 GiB buffer split across all threads,
//              32x the 32 MiB L3 of the machine this was written on, so it comes from DRAM.
// Calibrate() takes the best of up to ten calls of each (at most ~3 s), once, before the
// benchmarks run: the best call is the one least disturbed by other work on the machine.
// The same measurements are also registered as the "peak/..." benchmarks.
#include <algorithm>
#include <chrono>
#include <cstring>
#include <memory>
#include <vector>

#include <fmt/core.h>

#include "bench/bench_common.h"
#include "engine/build_config.h"
#include "engine/core/parallel.h"

#if GEMMETER_HAVE_ONEDNN
#include <oneapi/dnnl/dnnl.hpp>
#endif
#if GEMMETER_HAVE_CUDA
#include "engine/backend/cuda/cuda_backend.h"
#endif

namespace gemmeter::bench {
namespace {

MachinePeak g_peak;

constexpr int64_t kPeakM = 512, kPeakN = 4096, kPeakK = 4096;
constexpr size_t kReadBytes = size_t{1} << 30;

double Seconds(std::chrono::steady_clock::duration d) {
  return std::chrono::duration<double>(d).count();
}

// Best time of up to `calls` calls of fn after one warm-up call; stops early once the
// calls have taken `budget` seconds, so a slow implementation cannot stall startup.
template <typename Fn>
double BestSeconds(Fn&& fn, int calls, double budget) {
  fn();
  double best = 1e30, total = 0;
  for (int i = 0; i < calls && total < budget; ++i) {
    const auto start = std::chrono::steady_clock::now();
    fn();
    const double s = Seconds(std::chrono::steady_clock::now() - start);
    best = std::min(best, s);
    total += s;
  }
  return best;
}

#if GEMMETER_HAVE_ONEDNN
// One oneDNN matmul primitive with its operands. The constructor throws dnnl::error when
// oneDNN has no implementation for this data type on this CPU.
class DnnlMatMul {
 public:
  DnnlMatMul(dnnl::memory::data_type type, int64_t M, int64_t N, int64_t K)
      : engine_(dnnl::engine::kind::cpu, 0), stream_(engine_) {
    using dnnl::memory;
    const memory::desc src({M, K}, type, memory::format_tag::ab);
    const memory::desc weights({K, N}, type, memory::format_tag::any);
    const memory::desc dst({M, N}, memory::data_type::f32, memory::format_tag::ab);
    const dnnl::matmul::primitive_desc pd(dnnl::matmul::desc(src, weights, dst), engine_);
    impl_ = pd.impl_info_str();
    primitive_ = dnnl::matmul(pd);
    src_ = memory(pd.src_desc(), engine_);
    weights_ = memory(pd.weights_desc(), engine_);
    dst_ = memory(pd.dst_desc(), engine_);
    // Zeros are as fast as any values and keep denormals out of the f32 path.
    for (memory* m : {&src_, &weights_, &dst_}) {
      std::memset(m->get_data_handle(), 0, m->get_desc().get_size());
    }
  }

  void Run() {
    primitive_.execute(stream_, {{DNNL_ARG_SRC, src_}, {DNNL_ARG_WEIGHTS, weights_},
                                 {DNNL_ARG_DST, dst_}});
    stream_.wait();
  }
  const std::string& impl() const { return impl_; }

 private:
  dnnl::engine engine_;
  dnnl::stream stream_;
  dnnl::matmul primitive_;
  dnnl::memory src_, weights_, dst_;
  std::string impl_;
};

dnnl::memory::data_type DnnlType(DType dtype) {
  return dtype == DType::kBF16 ? dnnl::memory::data_type::bf16 : dnnl::memory::data_type::f32;
}

// The matmul at the peak shape, or null with `why` set when oneDNN lacks it here.
std::unique_ptr<DnnlMatMul> MakePeakMatMul(DType dtype, std::string* why) {
  try {
    return std::make_unique<DnnlMatMul>(DnnlType(dtype), kPeakM, kPeakN, kPeakK);
  } catch (const dnnl::error& e) {
    *why = fmt::format("unsupported: oneDNN {}.{} has no {} matmul for this CPU ({})",
                       dnnl_version()->major, dnnl_version()->minor, DTypeName(dtype), e.what());
    return nullptr;
  }
}
#endif

// A buffer much larger than the caches, first touched by the threads that will read it.
class ReadBuffer {
 public:
  explicit ReadBuffer(size_t bytes) : words_(bytes / sizeof(uint64_t)) {
    data_.reset(new uint64_t[words_]);  // uninitialized: the pages are touched below
    ParallelFor(Blocks(), kCostPerBlock, [&](int64_t begin, int64_t end) {
      for (int64_t b = begin; b < end; ++b) {
        auto [first, last] = Block(b);
        for (size_t i = first; i < last; ++i) data_[i] = i;
      }
    });
  }

  size_t bytes() const { return words_ * sizeof(uint64_t); }

  // Sums every word. Eight independent accumulators keep each core limited by memory,
  // not by the latency of one chain of adds.
  uint64_t Sum() const {
    std::vector<uint64_t> partial(static_cast<size_t>(Blocks()), 0);
    ParallelFor(Blocks(), kCostPerBlock, [&](int64_t begin, int64_t end) {
      for (int64_t b = begin; b < end; ++b) {
        auto [first, last] = Block(b);
        uint64_t acc[8] = {};
        size_t i = first;
        for (; i + 8 <= last; i += 8) {
          for (int lane = 0; lane < 8; ++lane) acc[lane] += data_[i + lane];
        }
        for (; i < last; ++i) acc[0] += data_[i];
        uint64_t sum = 0;
        for (uint64_t a : acc) sum += a;
        partial[static_cast<size_t>(b)] = sum;
      }
    });
    uint64_t total = 0;
    for (uint64_t p : partial) total += p;
    return total;
  }

 private:
  static constexpr int64_t kCostPerBlock = int64_t{1} << 30;  // always worth a thread
  // One contiguous block per thread.
  static int64_t Blocks() { return ParallelThreads(); }
  std::pair<size_t, size_t> Block(int64_t b) const {
    const size_t per = (words_ + static_cast<size_t>(Blocks()) - 1) / static_cast<size_t>(Blocks());
    const size_t first = std::min(words_, per * static_cast<size_t>(b));
    return {first, std::min(words_, first + per)};
  }

  size_t words_;
  std::unique_ptr<uint64_t[]> data_;
};

double MeasureReadBandwidth() {
  const ReadBuffer buffer(kReadBytes);
  uint64_t sink = 0;
  const double s = BestSeconds([&] { sink += buffer.Sum(); }, 10, 2.0);
  benchmark::DoNotOptimize(sink);
  return static_cast<double>(buffer.bytes()) / s;
}

void BM_MemRead(benchmark::State& state) {
  const ReadBuffer buffer(kReadBytes);
  for (auto _ : state) benchmark::DoNotOptimize(buffer.Sum());
  state.counters["bytes"] = benchmark::Counter(static_cast<double>(buffer.bytes()),
                                               benchmark::Counter::kIsIterationInvariantRate);
}

#if GEMMETER_HAVE_ONEDNN
void BM_PeakMatMul(benchmark::State& state, DType dtype) {
  std::string why;
  const std::unique_ptr<DnnlMatMul> matmul = MakePeakMatMul(dtype, &why);
  if (!matmul) {
    state.SkipWithError(why.c_str());
    return;
  }
  matmul->Run();  // warm-up: first touch of the buffers, lazily generated kernels
  for (auto _ : state) matmul->Run();
  state.SetLabel(matmul->impl());
  state.counters["flops"] = benchmark::Counter(2.0 * kPeakM * kPeakN * kPeakK,
                                               benchmark::Counter::kIsIterationInvariantRate);
}
#endif

}  // namespace

const MachinePeak& Peak() { return g_peak; }

void Calibrate() {
  MachinePeak peak;
#if GEMMETER_HAVE_ONEDNN
  for (DType dtype : {DType::kF32, DType::kBF16}) {
    std::string why;
    const std::unique_ptr<DnnlMatMul> matmul = MakePeakMatMul(dtype, &why);
    double flops = 0;
    if (matmul) {
      why = matmul->impl();
      flops = 2.0 * kPeakM * kPeakN * kPeakK / BestSeconds([&] { matmul->Run(); }, 10, 3.0);
    }
    (dtype == DType::kF32 ? peak.f32_flops : peak.bf16_flops) = flops;
    (dtype == DType::kF32 ? peak.f32_impl : peak.bf16_impl) = why;
  }
#else
  peak.f32_impl = peak.bf16_impl = "not measured: built without oneDNN";
#endif
  peak.read_bandwidth = MeasureReadBandwidth();
#if GEMMETER_HAVE_CUDA
  if (CudaUnavailableReason().empty()) {
    const CudaPeaks cuda = MeasureCudaPeaks();
    peak.cuda_device = cuda.device;
    peak.cuda_bf16_flops = cuda.bf16_flops;
    peak.cuda_copy_bandwidth = cuda.copy_bandwidth;
  }
#endif
  g_peak = peak;
}

void RegisterPeakBenchmarks() {
#if GEMMETER_HAVE_ONEDNN
  for (DType dtype : {DType::kF32, DType::kBF16}) {
    const std::string name = fmt::format("peak/matmul/onednn/{}/M={},N={},K={}", DTypeName(dtype),
                                         kPeakM, kPeakN, kPeakK);
    benchmark::RegisterBenchmark(name.c_str(), BM_PeakMatMul, dtype)
        ->Unit(benchmark::kMillisecond)
        ->UseRealTime()
        ->MinTime(1.0);
  }
#endif
  benchmark::RegisterBenchmark("peak/mem_read/1GiB", BM_MemRead)
      ->Unit(benchmark::kMillisecond)
      ->UseRealTime()
      ->MinTime(1.0);
}

}  // namespace gemmeter::bench
