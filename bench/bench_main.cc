// gemmeter_bench: Google Benchmark microbenchmarks of every op of a Gemma block at real
// model shapes, per backend, plus end-to-end prefill/decode of the default model and the
// machine peaks they are measured against. See bench/README.md.
//
//   gemmeter_bench [--threads N] [--no_calibration] [--profile quick|full] [--benchmark_* flags]
//
// --threads N (or GEMMETER_THREADS=N) sets the worker threads of the engine
// (SetParallelThreads) and of oneDNN's OpenMP runtime; default: all cores.
// --no_calibration skips the startup peak measurements (the *_frac counters then vanish).
// --profile quick: one benchmark of every CPU kernel family at decode sizes and the
// native block formats at the 270M model's shapes, 9 repetitions each (what a CI
// regression gate runs: minutes on 2 cores); --profile full: everything (the default).
// An explicit --benchmark_filter or --benchmark_repetitions overrides the profile's.
// --report FILE: also write gemmeter's benchmark report (reports/benchmark_report.h: the
// entries of Google Benchmark's JSON plus provenance and this run's peaks); the console
// shows the usual table.
#include <benchmark/benchmark.h>

#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <iostream>
#include <sstream>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include <fmt/format.h>

#include "bench/bench_common.h"
#include "engine/build_config.h"
#include "engine/core/parallel.h"
#include "engine/io/digest.h"
#include "engine/model/checkpoint.h"
#include "reports/benchmark_report.h"
#include "reports/provenance.h"
#include "reports/report_io.h"

#ifdef _OPENMP
#include <omp.h>
#endif
#if GEMMETER_HAVE_ONEDNN
#include <oneapi/dnnl/dnnl.hpp>
#endif

namespace gemmeter::bench {
namespace {

// The quick profile's benchmarks (also what tools/bench_instructions.py counts).
constexpr const char* kQuickFilter =
    "^(matmul/onednn/(f32|bf16|q8_0|q5_0|q4_k|q6_k)/gemma-3-270m/(attn_q|ffn_down)/T=1"
    "|(rms_norm|add|geglu|rope|embedding|copy_rows)/onednn/f32/gemma-3-270m/[a-z]+/T=1"
    "|attention/onednn/f32/gemma-3-270m/decode/ctx=512"
    "|log_softmax_gather/onednn/f32/gemma-3-270m/vocab/T=1)/";
constexpr int kQuickRepetitions = 9;  // the exact U test's smallest p: 2 / C(18, 9) = 4e-5

struct Options {
  int threads = 0;  // 0: the default (hardware concurrency)
  std::string profile = "full";
  bool calibrate = true;
  bool listing = false;  // --benchmark_list_tests: nothing runs, so nothing to calibrate
  std::string report;    // --report FILE
  std::string command;   // the command line, for the report's provenance
};

int ParseThreads(std::string_view text) {
  char* end = nullptr;
  const std::string s(text);
  const long n = std::strtol(s.c_str(), &end, 10);
  if (s.empty() || *end != '\0' || n < 1 || n > 4096) {
    fmt::print(stderr, "gemmeter_bench: --threads wants a positive integer, got '{}'\n", s);
    std::exit(2);
  }
  return static_cast<int>(n);
}

// Takes our own flags out of argv, leaving the rest for benchmark::Initialize.
Options ParseOwnFlags(int* argc, char** argv) {
  Options o;
  if (const char* env = std::getenv("GEMMETER_THREADS"); env != nullptr && *env != '\0') {
    o.threads = ParseThreads(env);
  }
  for (int i = 0; i < *argc; ++i) o.command += (i ? " " : "") + std::string(argv[i]);
  int kept = 1;
  for (int i = 1; i < *argc; ++i) {
    const std::string_view arg = argv[i];
    if (arg == "--threads" && i + 1 < *argc) {
      o.threads = ParseThreads(argv[++i]);
    } else if (arg.starts_with("--threads=")) {
      o.threads = ParseThreads(arg.substr(std::strlen("--threads=")));
    } else if (arg == "--report" && i + 1 < *argc) {
      o.report = argv[++i];
    } else if (arg.starts_with("--report=")) {
      o.report = std::string(arg.substr(std::strlen("--report=")));
    } else if (arg == "--no_calibration") {
      o.calibrate = false;
    } else if (arg == "--profile" && i + 1 < *argc) {
      o.profile = argv[++i];
    } else if (arg.starts_with("--profile=")) {
      o.profile = std::string(arg.substr(std::strlen("--profile=")));
    } else {
      if (arg.starts_with("--benchmark_list_tests") && !arg.ends_with("=false") &&
          !arg.ends_with("=0")) {
        o.listing = true;
      }
      argv[kept++] = argv[i];
    }
  }
  *argc = kept;
  argv[kept] = nullptr;
  if (o.profile != "quick" && o.profile != "full") {
    fmt::print(stderr, "gemmeter_bench: --profile wants quick or full, got '{}'\n", o.profile);
    std::exit(2);
  }
  return o;
}

// The quick profile's flags, unless the command line sets them: appended to argv.
std::vector<std::string> ProfileFlags(const Options& o, int argc, char** argv) {
  if (o.profile != "quick") return {};
  bool filter = false, repetitions = false;
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    filter |= arg.starts_with("--benchmark_filter");
    repetitions |= arg.starts_with("--benchmark_repetitions");
  }
  std::vector<std::string> flags;
  if (!filter) flags.push_back(std::string("--benchmark_filter=") + kQuickFilter);
  if (!repetitions) flags.push_back(fmt::format("--benchmark_repetitions={}", kQuickRepetitions));
  return flags;
}

void PrintHelp() {
  fmt::print(
      "gemmeter_bench [--threads N] [--no_calibration] [--profile quick|full] [--report FILE]\n"
      "               [benchmark flags]\n"
      "  --threads N        worker threads of the engine and oneDNN (also GEMMETER_THREADS)\n"
      "  --no_calibration   skip the startup peak measurements (no *_frac counters)\n"
      "  --profile quick    one benchmark per CPU kernel family and block format, 9\n"
      "                     repetitions each: a regression gate's run (minutes)\n"
      "  --profile full     every op, shape, dtype, backend and model benchmark (default)\n"
      "  --report FILE      also write gemmeter's JSON benchmark report (what `gemmeter\n"
      "                     compare bench` and `gemmeter report render` read)\n"
      "Names: <op>/<backend>/<dtype>/<model>/<site>/<size>, model/..., peak/...; see "
      "bench/README.md.\n\n");
  benchmark::PrintDefaultHelp();
}

void AddContext(const std::string& profile) {
  const MachinePeak& peak = Peak();
  auto gflops = [](double flops) {
    return flops > 0 ? fmt::format("{:.1f}", flops / 1e9) : std::string("n/a");
  };
  benchmark::AddCustomContext("gemmeter_version", GEMMETER_VERSION);
  benchmark::AddCustomContext("threads", std::to_string(ParallelThreads()));
  benchmark::AddCustomContext("profile", profile);
  benchmark::AddCustomContext("backends", fmt::format("{}", fmt::join(AvailableBackends(), ",")));
  benchmark::AddCustomContext("peak_f32_gflops", gflops(peak.f32_flops));
  benchmark::AddCustomContext("peak_f32_impl", peak.f32_impl);
  benchmark::AddCustomContext("peak_bf16_gflops", gflops(peak.bf16_flops));
  benchmark::AddCustomContext("peak_bf16_impl", peak.bf16_impl);
  benchmark::AddCustomContext("peak_for_bf16_weights_gflops", gflops(PeakFlops(DType::kBF16)));
  benchmark::AddCustomContext(
      "read_bandwidth_gbs",
      peak.read_bandwidth > 0 ? fmt::format("{:.1f}", peak.read_bandwidth / 1e9) : "n/a");
  if (peak.cuda_bf16_flops > 0) {
    benchmark::AddCustomContext("cuda_device", peak.cuda_device);
    benchmark::AddCustomContext("cuda_peak_bf16_gflops", gflops(peak.cuda_bf16_flops));
    benchmark::AddCustomContext("cuda_copy_bandwidth_gbs",
                                fmt::format("{:.1f}", peak.cuda_copy_bandwidth / 1e9));
  }
#if GEMMETER_HAVE_ONEDNN
  const dnnl_version_t* v = dnnl::version();
  benchmark::AddCustomContext("onednn_version",
                              fmt::format("{}.{}.{}", v->major, v->minor, v->patch));
#endif
}

// Shows the library's console table and records its JSON entries in the same run (a second,
// file reporter is only accepted together with --benchmark_out).
class TeeReporter : public benchmark::BenchmarkReporter {
 public:
  TeeReporter(benchmark::BenchmarkReporter& display, benchmark::BenchmarkReporter& json)
      : display_(display), json_(json) {}
  bool ReportContext(const Context& context) override {
    json_.ReportContext(context);
    return display_.ReportContext(context);
  }
  void ReportRuns(const std::vector<Run>& runs) override {
    display_.ReportRuns(runs);
    json_.ReportRuns(runs);
  }
  void Finalize() override {
    display_.Finalize();
    json_.Finalize();
  }

 private:
  benchmark::BenchmarkReporter& display_;
  benchmark::BenchmarkReporter& json_;
};

// Runs the benchmarks, writing gemmeter's benchmark report to options.report.
void RunWithReport(const Options& options, std::chrono::system_clock::time_point start) {
  benchmark::ConsoleReporter console(isatty(STDOUT_FILENO)
                                         ? benchmark::ConsoleReporter::OO_Defaults
                                         : benchmark::ConsoleReporter::OO_Tabular);
  benchmark::JSONReporter json;
  std::ostringstream json_text;
  json.SetOutputStream(&json_text);
  json.SetErrorStream(&std::cerr);
  TeeReporter tee(console, json);
  benchmark::RunSpecifiedBenchmarks(&tee);

  nlohmann::json gb = reports::ParseReportText(json_text.str(), "Google Benchmark's output");
  nlohmann::json provenance = reports::BuildAndMachine(start);
  nlohmann::json versions = nlohmann::json::object();
#if GEMMETER_HAVE_ONEDNN
  const dnnl_version_t* v = dnnl::version();
  versions["onednn"] = fmt::format("{}.{}.{}", v->major, v->minor, v->patch);
#endif
  std::vector<std::string> backends;
  for (std::string_view b : AvailableBackends()) backends.emplace_back(b);
  provenance.update({{"command", options.command},
                     {"threads", ParallelThreads()},
                     {"backends", backends},
                     {"backend_versions", versions}});
  bool uses_model = false;
  for (const auto& b : gb["benchmarks"]) {
    const std::string name = b.value("name", "");
    uses_model |= name.starts_with("model/") || name.starts_with("eval/");
  }
  if (uses_model) {
    try {
      const std::string model = DefaultModelPath();
      provenance.update({{"model", model}, {"model_sha256", Sha256File(model)}});
    } catch (const std::exception&) {
    }  // not installed: those benchmarks were skipped with the reason
  }
  const MachinePeak& p = Peak();
  const nlohmann::json report = reports::BenchmarkReportJson(
      provenance, options.profile,
      reports::CpuDevices({p.f32_flops, p.bf16_flops, p.read_bandwidth, p.f32_impl, p.bf16_impl}),
      gb["benchmarks"], gb["context"]);
  reports::WriteReport(report, options.report);
  fmt::print(stderr, "gemmeter_bench: report written to {}\n", options.report);
}

}  // namespace
}  // namespace gemmeter::bench

int main(int argc, char** argv) {
  using namespace gemmeter::bench;
  const auto start = std::chrono::system_clock::now();
  const Options options = ParseOwnFlags(&argc, argv);
  // argv plus the profile's flags (benchmark::Initialize parses them like any other).
  std::vector<std::string> extra = ProfileFlags(options, argc, argv);
  std::vector<char*> args(argv, argv + argc);
  for (std::string& flag : extra) args.push_back(flag.data());
  args.push_back(nullptr);
  argc = static_cast<int>(args.size()) - 1;
  argv = args.data();
  if (options.threads > 0) {
    gemmeter::SetParallelThreads(options.threads);
#ifdef _OPENMP
    omp_set_num_threads(options.threads);  // oneDNN's threads (its CPU runtime is OpenMP)
#endif
  }
  benchmark::Initialize(&argc, argv, PrintHelp);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  if (options.calibrate && !options.listing) {
    fmt::print(stderr, "gemmeter_bench: measuring peak matmul and read bandwidth...\n");
    Calibrate();
  }
  AddContext(options.profile);
  RegisterPeakBenchmarks();
  RegisterOpBenchmarks();
  RegisterModelBenchmarks();
  RegisterEvalBenchmarks();
  try {
    if (options.report.empty()) {
      benchmark::RunSpecifiedBenchmarks();
    } else {
      RunWithReport(options, start);
    }
  } catch (const std::exception& e) {
    fmt::print(stderr, "gemmeter_bench: error: {}\n", e.what());
    return 1;
  }
  benchmark::Shutdown();
  return 0;
}
