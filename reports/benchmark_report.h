// The benchmark report (kind "benchmark", reports/schemas/benchmark.schema.json): Google
// Benchmark's entries plus provenance and the peaks measured in the same run, keyed by
// device. Written by gemmeter_bench --report, `gemmeter bench`, tools/bench_instructions.py
// and tools/bench_vs_llamacpp.py; read by `gemmeter compare bench` and `report render`.
//
// Also the record of `gemmeter bench` (llama-bench's pp512 / tg128 figures) and its
// printers: a console table, markdown, CSV, and benchmark entries for the JSON report.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace gemmeter::reports {

inline constexpr int kBenchmarkSchemaVersion = 1;

// A device's measured peaks; 0 = not measured (the JSON then holds null).
struct DevicePeaks {
  double f32_flops = 0;       // FLOP/s of the f32 matmul probe
  double bf16_flops = 0;      // FLOP/s with bf16 operands
  double read_bandwidth = 0;  // bytes/s of a streaming read
  std::string f32_impl, bf16_impl;  // which kernels the probes ran, or why none
};

// {"cpu": {name, cores, peaks}} for this machine's CPU.
nlohmann::json CpuDevices(const DevicePeaks& peaks);

// The whole report. `benchmarks` is an array of Google Benchmark JSON entries;
// `google_benchmark` its context object (or null).
nlohmann::json BenchmarkReportJson(nlohmann::json provenance, const std::string& profile,
                                   nlohmann::json devices, nlohmann::json benchmarks,
                                   nlohmann::json google_benchmark = nullptr);

// llama-bench's tests: ppN = one forward of N prompt tokens from an empty cache, tgN = N
// tokens decoded one at a time from an empty cache; each timed `seconds.size()` times.
// The token ids every throughput benchmark feeds a model (gemmeter bench, gemmeter_bench's
// model benchmarks; tools/bench_vs_llamacpp.py writes the same): `bos_id`, then
// skip + (i * 7919) mod (vocab - skip) with skip = min(1000, vocab / 4): ids spread over
// the vocabulary past its special pieces, the same in every run.
std::vector<int32_t> BenchmarkTokens(int32_t bos_id, int64_t vocab_size, int64_t count);

struct ThroughputTest {
  std::string name;             // "pp512", "tg128"
  int64_t tokens = 0;           // tokens per repetition
  std::vector<double> seconds;  // wall time of each repetition
  std::vector<double> TokensPerSecond() const;
};

struct ThroughputRun {
  std::string model;        // the file's name
  int64_t model_bytes = 0;  // the file's size
  int64_t parameters = 0;
  std::string backend, weights;
  int threads = 0;
  std::vector<ThroughputTest> tests;
};

enum class ThroughputFormat { kTable, kMarkdown, kCsv };

// One row per test: model, size, params, backend, weights, threads, test, tokens/s as
// mean ± standard deviation over repetitions (as llama-bench prints it); CSV adds the
// median and every repetition.
std::string ThroughputTable(const ThroughputRun& run, ThroughputFormat format);

// Entries for the JSON report, named <backend>/<weights>/<model>/<test>: one per
// repetition (real_time = the repetition's milliseconds, counter tokens_per_second) and the
// mean, median and stddev aggregates.
nlohmann::json ThroughputBenchmarks(const ThroughputRun& run);

}  // namespace gemmeter::reports
