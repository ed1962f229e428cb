// `gemmeter bench`: times llama-bench's tests on a loaded model and prints them as a
// table, markdown, CSV or the JSON benchmark report.
//
//   ppN: one forward of N prompt tokens from an empty cache, the last position's logits
//        copied to the host (llama-bench's pp512);
//   tgN: N tokens decoded one at a time from an empty cache, each token's logits copied to
//        the host (llama-bench's tg128).
// Token ids are fixed and avoid the special tokens; sampling is not timed (llama-bench
// feeds token ids too), so the figures are the engine's forward passes alone.
#include "cli/bench_command.h"

#include <fmt/core.h>

#include <algorithm>
#include <charconv>
#include <functional>
#include <chrono>
#include <filesystem>
#include <span>
#include <vector>

#include "cli/activity.h"
#include "cli/model_loading.h"
#include "engine/core/error.h"
#include "engine/core/parallel.h"
#include "reports/benchmark_report.h"
#include "reports/provenance.h"
#include "reports/report_io.h"

namespace gemmeter::cli {
namespace {

namespace fs = std::filesystem;

std::vector<int64_t> ParseSizes(const std::string& text, const char* flag) {
  std::vector<int64_t> sizes;
  size_t start = 0;
  while (start <= text.size()) {
    const size_t comma = std::min(text.find(',', start), text.size());
    int64_t v = -1;
    const auto [end, ec] = std::from_chars(text.data() + start, text.data() + comma, v);
    Check(ec == std::errc() && end == text.data() + comma && v >= 0 && v <= 1'000'000,
          "{}: \"{}\" is not a comma-separated list of token counts (0 = skip)", flag, text);
    if (v > 0) sizes.push_back(v);
    start = comma + 1;
  }
  return sizes;
}

// Deterministic ids after <bos>, away from the special tokens at the start of the
// vocabulary: the ids gemmeter_bench's model benchmarks and tools/bench_vs_llamacpp.py use
// (1000 + i * 7919 mod (vocab - 1000)); tiny test vocabularies skip their first quarter.
double Seconds(const std::function<void()>& fn) {
  const auto start = std::chrono::steady_clock::now();
  fn();
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

reports::ThroughputTest Measure(Model& model, const std::string& name, int64_t tokens, bool prompt,
                                const BenchCliOptions& o) {
  const Activity step(fmt::format("timing {}", name));
  const std::vector<int32_t> ids =
      reports::BenchmarkTokens(model.config().bos_id, model.config().vocab_size, tokens);
  KvCache cache = model.NewCache(tokens);
  auto run = [&] {
    cache.Truncate(0);
    if (prompt) {
      const SequenceInput input{&cache, ids};
      model.ForwardToHost({&input, 1}, LogitsFor::kLastPosition);
      return;
    }
    for (int64_t i = 0; i < tokens; ++i) {
      const SequenceInput next{&cache, std::span(ids).subspan(size_t(i), 1)};
      model.ForwardToHost({&next, 1}, LogitsFor::kLastPosition);
    }
  };
  for (int i = 0; i < o.warmup; ++i) run();
  reports::ThroughputTest test{name, tokens, {}};
  for (int r = 0; r < o.repetitions; ++r) {
    test.seconds.push_back(Seconds(run));
    fmt::print(stderr, "\r{}: {}/{}, {:.1f} tokens/s   ", name, r + 1, o.repetitions,
               double(tokens) / test.seconds.back());
  }
  fmt::print(stderr, "\n");
  return test;
}

}  // namespace

void RunBench(const BenchCliOptions& o, const std::string& command_line) {
  const std::vector<int64_t> prompts = ParseSizes(o.prompt_tokens, "--prompt-tokens");
  const std::vector<int64_t> gens = ParseSizes(o.gen_tokens, "--gen-tokens");
  Check(!prompts.empty() || !gens.empty(), "nothing to run: --prompt-tokens and --gen-tokens are both 0");
  Check(o.repetitions >= 1, "--repetitions must be at least 1, got {}", o.repetitions);
  Check(o.warmup >= 0, "--warmup must be 0 or more, got {}", o.warmup);
  reports::ThroughputFormat format = reports::ThroughputFormat::kTable;
  if (o.format == "md") {
    format = reports::ThroughputFormat::kMarkdown;
  } else if (o.format == "csv") {
    format = reports::ThroughputFormat::kCsv;
  } else {
    Check(o.format == "table" || o.format == "json",
          "--format: \"{}\" is not one of table, md, csv, json", o.format);
  }

  const auto start = std::chrono::system_clock::now();
  Loaded l = Load(o.model);
  reports::ThroughputRun run;
  run.model = fs::path(l.path).filename().string();
  if (fs::is_directory(l.path)) {  // a checkpoint folder: all its files
    for (const auto& e : fs::directory_iterator(l.path)) {
      if (e.is_regular_file()) run.model_bytes += static_cast<int64_t>(e.file_size());
    }
  } else {
    run.model_bytes = static_cast<int64_t>(fs::file_size(l.path));
  }
  run.parameters = l.model->config().ParameterCount();
  run.backend = l.backend->name();
  run.weights = l.weights;
  run.threads = ParallelThreads();
  for (int64_t n : prompts) run.tests.push_back(Measure(*l.model, fmt::format("pp{}", n), n, true, o));
  for (int64_t n : gens) run.tests.push_back(Measure(*l.model, fmt::format("tg{}", n), n, false, o));

  if (o.format == "json" || !o.out.empty()) {
    nlohmann::json provenance = reports::BuildAndMachine(start);
    provenance.update({{"command", command_line},
                       {"threads", run.threads},
                       {"backends", {run.backend}},
                       {"backend_versions", {{run.backend, l.backend->Describe()}}},
                       {"model", l.path},
                       {"model_sha256", ModelDigest(l.path)},
                       {"weights", run.weights}});
    const nlohmann::json report = reports::BenchmarkReportJson(
        provenance, "llama-bench", reports::CpuDevices({}), reports::ThroughputBenchmarks(run));
    if (!o.out.empty()) reports::WriteReport(report, o.out);
    if (o.format == "json") reports::WriteReport(report, "-");
  }
  if (o.format != "json") fmt::print("{}", reports::ThroughputTable(run, format));
}

}  // namespace gemmeter::cli
