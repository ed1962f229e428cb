// Shared pieces of the microbenchmarks: the machine's measured peaks, the counters
// every benchmark reports, backends shared across benchmarks, and test data.
//
// Counters (all rates use wall-clock time; every benchmark calls UseRealTime()):
//   flops      FLOP/s of the work the op must do (its nominal FLOP count per call)
//   bytes      bytes/s of compulsory traffic: weights + inputs read + outputs written once
//   flop_frac  flops / measured matmul peak of the weight dtype (bench_peak.cc)
//   bw_frac    bytes / measured streaming-read bandwidth
//   peak_frac  max(flop_frac, bw_frac): the fraction of the roofline bound
//              min(peak, intensity * bandwidth) that was reached
// A fraction is absent when its peak is unknown (no oneDNN, or --no_calibration).
#pragma once

#include <benchmark/benchmark.h>

#include <chrono>
#include <cstdint>
#include <exception>
#include <string>
#include <string_view>

#include "engine/backend/backend.h"
#include "engine/core/dtype.h"
#include "engine/core/tensor.h"

namespace gemmeter::bench {

// Measured once by Calibrate() before any benchmark runs; 0 means not measured.
struct MachinePeak {
  double f32_flops = 0;       // oneDNN f32 matmul, M x N x K = 512 x 4096 x 4096
  double bf16_flops = 0;      // the same with bf16 operands (0: oneDNN has none for this CPU)
  double read_bandwidth = 0;  // bytes/s, streaming sum of a 1 GiB buffer on all threads
  std::string f32_impl;       // oneDNN implementation names, or why there is none
  std::string bf16_impl;
  // The GPU's, for the cuda backend's benchmarks (MeasureCudaPeaks); 0 without a device.
  std::string cuda_device;
  double cuda_bf16_flops = 0;      // cuBLASLt bf16 matmul, 8192^3
  double cuda_copy_bandwidth = 0;  // device-to-device copy, bytes read + written per second
};

// Runs the peak measurements (bench_peak.cc) and caches them for Peak().
void Calibrate();
const MachinePeak& Peak();
// The compute peak an op with weights of `dtype` is judged against. bf16 uses the bf16
// peak when oneDNN has a bf16 matmul here, else the f32 one: on such a CPU bf16 weights
// can only be computed after conversion to f32, so f32 speed is the reachable ceiling.
// On the cuda backend (`backend` == "cuda") the device's: its bf16 peak for every dtype
// (float32 matmuls cannot beat it), 0 when unmeasured.
double PeakFlops(DType weight_dtype, std::string_view backend = "");

// Registration, one function per benchmark family; main() calls them after Calibrate().
void RegisterPeakBenchmarks();   // bench_peak.cc
void RegisterOpBenchmarks();     // bench_ops.cc
void RegisterModelBenchmarks();  // bench_model.cc
void RegisterEvalBenchmarks();   // bench_eval.cc

// Nominal work of one call of the benchmarked operation.
struct Work {
  double flops = 0;
  double bytes = 0;
};

// The name of the benchmark running now: RegisterNamed sets it before each call.
std::string& RunningBenchmark();

// RegisterBenchmark, with the benchmark's name available to it (RunningBenchmark()) while
// it runs, for the instruction counts below.
template <typename Fn>
benchmark::internal::Benchmark* RegisterNamed(const std::string& name, Fn fn) {
  return benchmark::RegisterBenchmark(name.c_str(), [name, fn](benchmark::State& state) {
    RunningBenchmark() = name;
    fn(state);
  });
}

// Instruction counting (tools/bench_instructions.py): under valgrind's callgrind, started
// with --instr-atstart=no, the timed loop alone is instrumented and its count dumped as
// "gemmeter <benchmark> iterations=<n>"; everywhere else both do nothing.
void InstructionCountStart();
void InstructionCountStop(int64_t iterations);

// Runs the timed loop of `state`, calling fn() once per iteration, and returns its wall
// time: the span the library's real-time timer measures, which ReportWork needs because
// the library does not expose its own.
// The backend's queued work is waited for (Synchronize) before the clock stops: inside the
// last iteration, so that the library's own timer counts a device backend's queued work
// too (it stops when the loop ends; without this it timed the launches alone).
template <typename Fn>
double TimedLoop(benchmark::State& state, Backend& backend, Fn&& fn) {
  InstructionCountStart();
  const auto start = std::chrono::steady_clock::now();
  benchmark::IterationCount remaining = state.max_iterations;
  for (auto _ : state) {
    fn();
    if (--remaining == 0) backend.Synchronize();
  }
  backend.Synchronize();
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  InstructionCountStop(state.iterations());
  return seconds;
}

// Sets the counters described at the top of this file: flops and bytes as rates, the
// fractions as plain numbers from `loop_seconds` (TimedLoop's result).
void ReportWork(benchmark::State& state, const Work& work, DType weight_dtype,
                double loop_seconds);

// Whether `backend` is the scalar double-precision reference: its benchmarks are cut down
// to a few small cases so that a default run stays short.
inline bool IsSlowBackend(std::string_view backend) { return backend == "reference"; }

// One instance per backend name, created on first use and kept for the whole run, so
// backends with expensive setup (oneDNN engines, primitive caches) pay it once.
Backend& SharedBackend(std::string_view name);

// A tensor of deterministic pseudo-random values in [-scale, scale), uploaded as `dtype`.
Tensor RandomTensor(Backend& backend, const Shape& shape, DType dtype, uint32_t seed,
                    float scale = 1.0f);

// Runs body(); an exception (an engine Error, an unsupported shape) becomes
// SkipWithError with its message instead of ending the whole run.
template <typename Body>
void Guarded(benchmark::State& state, Body&& body) {
  try {
    body();
  } catch (const std::exception& e) {
    state.SkipWithError(e.what());
  }
}

}  // namespace gemmeter::bench
