#include "cli/compare_command.h"

#include <fmt/core.h>

#include <charconv>
#include <fstream>
#include <regex>
#include <sstream>

#include "engine/core/error.h"
#include "reports/bench_compare.h"
#include "reports/eval_compare.h"

namespace gemmeter::cli {
namespace {

// A report, with the NaN and infinity literals Google Benchmark writes for undefined
// aggregates (a coefficient of variation of zeros) read as null: they are not JSON.
nlohmann::json ReadJson(const std::string& path) {
  std::ifstream in(path);
  Check(in.good(), "{}: cannot open", path);
  std::stringstream buffer;
  buffer << in.rdbuf();
  const std::string text = std::regex_replace(
      buffer.str(), std::regex(R"((:\s*)-?(NaN|nan|inf|Infinity)\b)"), "$1null");
  try {
    return nlohmann::json::parse(text);
  } catch (const nlohmann::json::exception& e) {
    Fail("{}: not valid JSON: {}", path, e.what());
  }
}

double Percent(const std::string& text, const std::string& option) {
  double v = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  Check(ec == std::errc() && end == text.data() + text.size() && v >= 0,
        "{}: \"{}\" is not a non-negative percentage", option, text);
  return v / 100;
}

}  // namespace

int RunCompareBench(const CompareBenchOptions& o) {
  reports::BenchCompareOptions options;
  Check(o.metric == "time" || o.metric == "instructions",
        "--metric: \"{}\" is not one of time, instructions", o.metric);
  options.metric = o.metric == "instructions" ? reports::BenchMetric::kInstructions
                                               : reports::BenchMetric::kRealTime;
  options.alpha = o.alpha;
  options.threshold = o.threshold_percent / 100;
  for (const std::string& entry : o.per_prefix) {
    const size_t eq = entry.rfind('=');
    Check(eq != std::string::npos && eq > 0,
          "--threshold-for: \"{}\" is not PREFIX=PERCENT (e.g. matmul/onednn=10)", entry);
    options.thresholds.push_back(
        {entry.substr(0, eq), Percent(entry.substr(eq + 1), "--threshold-for")});
  }
  const reports::BenchComparison c =
      reports::CompareBench(ReadJson(o.base), o.base, ReadJson(o.next), o.next, options);
  fmt::print("{}", o.markdown ? reports::BenchComparisonMarkdown(c)
                              : reports::BenchComparisonTable(c));
  if (!o.json_out.empty()) {
    std::ofstream out(o.json_out);
    Check(out.good(), "{}: cannot write", o.json_out);
    out << reports::BenchComparisonJson(c).dump(1) << "\n";
  }
  return c.Regressed() ? kRegressionExitStatus : 0;
}

int RunCompareEvals(const CompareEvalsOptions& o) {
  reports::EvalCompareOptions options;
  options.alpha = o.alpha;
  options.max_ll_diff = o.max_ll_diff;
  const reports::EvalComparison c =
      reports::CompareEvals(ReadJson(o.a), o.a, ReadJson(o.b), o.b, options);
  fmt::print("{}", reports::EvalComparisonTable(c, o.markdown));
  if (!o.json_out.empty()) {
    std::ofstream out(o.json_out);
    Check(out.good(), "{}: cannot write", o.json_out);
    out << reports::EvalComparisonJson(c).dump(1) << "\n";
  }
  return c.Failed() ? kRegressionExitStatus : 0;
}

}  // namespace gemmeter::cli
