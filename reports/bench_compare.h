// The kernel regression gate: two Google Benchmark JSON reports (gemmeter_bench's, or
// tools/bench_vs_llamacpp.py's) compared benchmark by benchmark over their repetitions.
#pragma once

#include <nlohmann/json.hpp>

#include <string>
#include <utility>
#include <vector>

namespace gemmeter::reports {

// What is compared: wall time over repetitions (statistics decide), or instruction counts
// (tools/bench_instructions.py: deterministic for a binary and its input, so any change
// beyond the threshold counts).
enum class BenchMetric { kRealTime, kInstructions };

struct BenchCompareOptions {
  BenchMetric metric = BenchMetric::kRealTime;
  double alpha = 0.05;      // significance level of the Mann-Whitney U test
  double threshold = 0.05;  // a slowdown counts only beyond this change of the median
  // Per-benchmark thresholds: (name prefix, threshold); the longest matching prefix wins.
  std::vector<std::pair<std::string, double>> thresholds;
};

enum class Verdict {
  kSlower,              // significant and beyond the threshold: a regression
  kFaster,              // significant and beyond the threshold the other way
  kSame,                // not significant, or within the threshold
  kTooFewRepetitions,   // these sample sizes cannot reach the significance level
};
const char* VerdictName(Verdict v);

struct BenchDelta {
  std::string name;
  int base_repetitions = 0, new_repetitions = 0;
  double base_median = 0, new_median = 0;  // ns per iteration, or instructions
  double change = 0;      // new median / base median - 1 (> 0 is slower)
  double p = 1;           // two-sided Mann-Whitney U p-value of the repetitions; NaN for
                          // instruction counts (no test: they are deterministic)
  bool exact = false;     // exact null distribution (else the normal approximation)
  double threshold = 0;
  Verdict verdict = Verdict::kSame;
};

struct BenchComparison {
  BenchCompareOptions options;
  std::vector<BenchDelta> rows;        // benchmarks in both reports, in the base's order
  std::vector<std::string> only_base;  // benchmarks missing from the new report
  std::vector<std::string> only_new;
  bool Regressed() const;              // any row kSlower
};

// Compares the repetitions (run_type "iteration" entries, grouped by run_name) of each
// benchmark in both reports by their real time (or their "instructions" field). Throws Error naming `base_name` or
// `new_name` and the entry for a report that is not a Google Benchmark JSON report.
BenchComparison CompareBench(const nlohmann::json& base, const std::string& base_name,
                             const nlohmann::json& next, const std::string& new_name,
                             const BenchCompareOptions& options);

// Printers: an aligned console table, a markdown table (a CI job summary), and JSON
// (kind "benchmark-comparison", reports/schemas/benchmark-comparison.schema.json);
// `provenance` is ComparisonProvenance's.
std::string BenchComparisonTable(const BenchComparison& c);
std::string BenchComparisonMarkdown(const BenchComparison& c);
inline constexpr int kBenchComparisonSchemaVersion = 1;
nlohmann::json BenchComparisonJson(const BenchComparison& c, const nlohmann::json& provenance);

}  // namespace gemmeter::reports
