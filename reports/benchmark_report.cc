#include "reports/benchmark_report.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <thread>

#include "reports/provenance.h"
#include "reports/statistics.h"

namespace gemmeter::reports {

using nlohmann::json;

namespace {

json OrNull(double v, double scale) { return v > 0 ? json(v / scale) : json(nullptr); }

double Mean(const std::vector<double>& v) {
  return v.empty() ? 0 : std::accumulate(v.begin(), v.end(), 0.0) / double(v.size());
}

// Sample standard deviation (n - 1), as llama-bench and Google Benchmark report it.
double StdDev(const std::vector<double>& v) {
  if (v.size() < 2) return 0;
  const double m = Mean(v);
  double ss = 0;
  for (double x : v) ss += (x - m) * (x - m);
  return std::sqrt(ss / double(v.size() - 1));
}

std::string SizeText(int64_t bytes) {
  return bytes >= (int64_t(1) << 30) ? fmt::format("{:.2f} GiB", double(bytes) / (1 << 30))
                                     : fmt::format("{:.2f} MiB", double(bytes) / (1 << 20));
}

std::string ParamsText(int64_t n) {
  return n >= 1'000'000'000 ? fmt::format("{:.2f} B", double(n) / 1e9)
                            : fmt::format("{:.2f} M", double(n) / 1e6);
}

}  // namespace

std::vector<int32_t> BenchmarkTokens(int32_t bos_id, int64_t vocab_size, int64_t count) {
  const int64_t skip = std::min<int64_t>(1000, vocab_size / 4);
  std::vector<int32_t> tokens(static_cast<size_t>(std::max<int64_t>(0, count)));
  for (int64_t i = 0; i < count; ++i) {
    tokens[static_cast<size_t>(i)] =
        i == 0 ? bos_id : static_cast<int32_t>(skip + (i * 7919) % (vocab_size - skip));
  }
  return tokens;
}

json CpuDevices(const DevicePeaks& p) {
  return {{"cpu",
           {{"name", CpuModel()},
            {"cores", std::thread::hardware_concurrency()},
            {"peaks",
             {{"f32_gflops", OrNull(p.f32_flops, 1e9)},
              {"f32_impl", p.f32_impl},
              {"bf16_gflops", OrNull(p.bf16_flops, 1e9)},
              {"bf16_impl", p.bf16_impl},
              {"read_bandwidth_gbs", OrNull(p.read_bandwidth, 1e9)}}}}}};
}

json BenchmarkReportJson(json provenance, const std::string& profile, json devices, json benchmarks,
                         json google_benchmark) {
  json report = {{"schema_version", kBenchmarkSchemaVersion},
                 {"kind", "benchmark"},
                 {"provenance", std::move(provenance)},
                 {"profile", profile},
                 {"devices", std::move(devices)},
                 {"benchmarks", std::move(benchmarks)}};
  if (!google_benchmark.is_null()) report["google_benchmark"] = std::move(google_benchmark);
  return report;
}

std::vector<double> ThroughputTest::TokensPerSecond() const {
  std::vector<double> out;
  for (double s : seconds) out.push_back(s > 0 ? double(tokens) / s : 0.0);
  return out;
}

std::string ThroughputTable(const ThroughputRun& run, ThroughputFormat format) {
  if (format == ThroughputFormat::kCsv) {
    std::string out =
        "model,model_bytes,parameters,backend,weights,threads,test,tokens,repetitions,"
        "avg_ts,stddev_ts,median_ts,samples_ts\n";
    for (const ThroughputTest& t : run.tests) {
      const std::vector<double> ts = t.TokensPerSecond();
      out += fmt::format("{},{},{},{},{},{},{},{},{},{:.3f},{:.3f},{:.3f},\"{:.3f}\"\n", run.model,
                         run.model_bytes, run.parameters, run.backend, run.weights, run.threads,
                         t.name, t.tokens, ts.size(), Mean(ts), StdDev(ts), Median(ts),
                         fmt::join(ts, ";"));
    }
    return out;
  }
  const std::vector<std::string> header = {"model", "size", "params", "backend", "weights",
                                           "threads", "test", "t/s"};
  std::vector<std::vector<std::string>> rows;
  for (const ThroughputTest& t : run.tests) {
    const std::vector<double> ts = t.TokensPerSecond();
    rows.push_back({run.model, SizeText(run.model_bytes), ParamsText(run.parameters), run.backend,
                    run.weights, std::to_string(run.threads), t.name,
                    fmt::format("{:.2f} ± {:.2f}", Mean(ts), StdDev(ts))});
  }
  // Columns left-aligned except the numbers (size, params, threads, t/s), as llama-bench.
  const std::vector<bool> right = {false, true, true, false, false, true, true, true};
  std::vector<size_t> width(header.size());
  auto text_width = [](const std::string& s) {  // code points: "±" is one column
    size_t n = 0;
    for (unsigned char c : s) n += (c & 0xC0) != 0x80;
    return n;
  };
  for (size_t c = 0; c < header.size(); ++c) {
    width[c] = text_width(header[c]);
    for (const auto& r : rows) width[c] = std::max(width[c], text_width(r[c]));
  }
  auto cell = [&](const std::string& s, size_t c) {
    const std::string pad(width[c] - text_width(s), ' ');
    return right[c] ? pad + s : s + pad;
  };
  const bool md = format == ThroughputFormat::kMarkdown;
  auto line = [&](const std::vector<std::string>& r) {
    std::string out = md ? "|" : "";
    for (size_t c = 0; c < r.size(); ++c) out += (md ? " " : c ? "  " : "") + cell(r[c], c) + (md ? " |" : "");
    return out + "\n";
  };
  std::string out = line(header);
  if (md) {
    out += "|";
    for (size_t c = 0; c < header.size(); ++c) {
      out += " " + std::string(width[c] - (right[c] ? 1 : 0), '-') + (right[c] ? ":" : "") + " |";
    }
    out += "\n";
  }
  for (const auto& r : rows) out += line(r);
  return out;
}

json ThroughputBenchmarks(const ThroughputRun& run) {
  json entries = json::array();
  for (const ThroughputTest& t : run.tests) {
    const std::string name = fmt::format("{}/{}/{}/{}", run.backend, run.weights, run.model, t.name);
    const std::vector<double> ts = t.TokensPerSecond();
    const int n = static_cast<int>(t.seconds.size());
    for (int i = 0; i < n; ++i) {
      entries.push_back({{"name", name}, {"run_name", name}, {"run_type", "iteration"},
                         {"repetitions", n}, {"repetition_index", i}, {"iterations", 1},
                         {"real_time", 1e3 * t.seconds[size_t(i)]}, {"time_unit", "ms"},
                         {"tokens", t.tokens}, {"tokens_per_second", ts[size_t(i)]}});
    }
    if (n == 0) continue;
    // Aggregates of the time and of tokens/s each (the mean of rates is not the rate of
    // the mean time; llama-bench averages the rates).
    const std::vector<std::pair<std::string, std::pair<double, double>>> aggregates = {
        {"mean", {Mean(t.seconds), Mean(ts)}},
        {"median", {Median(t.seconds), Median(ts)}},
        {"stddev", {StdDev(t.seconds), StdDev(ts)}}};
    for (const auto& [aggregate, values] : aggregates) {
      entries.push_back({{"name", name + "_" + aggregate}, {"run_name", name},
                         {"run_type", "aggregate"}, {"aggregate_name", aggregate},
                         {"repetitions", n}, {"iterations", n},
                         {"real_time", 1e3 * values.first}, {"time_unit", "ms"},
                         {"tokens", t.tokens}, {"tokens_per_second", values.second}});
    }
  }
  return entries;
}

}  // namespace gemmeter::reports
