#include "reports/bench_compare.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>

#include "engine/core/error.h"
#include "reports/statistics.h"

namespace gemmeter::reports {
namespace {

using nlohmann::json;

double NanosecondsPer(const std::string& unit, const std::string& report, const std::string& entry) {
  if (unit == "ns") return 1;
  if (unit == "us") return 1e3;
  if (unit == "ms") return 1e6;
  if (unit == "s") return 1e9;
  Fail("{}: benchmark '{}': unknown time_unit \"{}\" (ns, us, ms or s)", report, entry, unit);
}

// The measure (ns per iteration, or instructions) of each benchmark's repetitions,
// benchmarks in first-seen order.
std::vector<std::pair<std::string, std::vector<double>>> Repetitions(const json& report,
                                                                      const std::string& name,
                                                                      BenchMetric metric) {
  Check(report.is_object() && report.contains("benchmarks") && report["benchmarks"].is_array(),
        "{}: not a Google Benchmark JSON report (no \"benchmarks\" array)", name);
  std::vector<std::pair<std::string, std::vector<double>>> out;
  std::map<std::string, size_t> index;
  for (const json& b : report["benchmarks"]) {
    const std::string entry = b.value("name", std::string("?"));
    if (b.value("run_type", std::string("iteration")) != "iteration") continue;  // aggregates
    if (b.value("error_occurred", false)) continue;  // a skipped or failed benchmark
    double ns = 0;
    if (metric == BenchMetric::kInstructions) {
      Check(b.contains("instructions") && b["instructions"].is_number(),
            "{}: benchmark '{}' has no instruction count (an instruction-count report comes from "
            "tools/bench_instructions.py)",
            name, entry);
      ns = b["instructions"].get<double>();
    } else {
      Check(b.contains("real_time") && b["real_time"].is_number() && b.contains("time_unit") &&
                b["time_unit"].is_string(),
            "{}: benchmark '{}' has no numeric real_time and time_unit", name, entry);
      ns = b["real_time"].get<double>() *
           NanosecondsPer(b["time_unit"].get<std::string>(), name, entry);
    }
    const std::string run = b.value("run_name", entry);
    Check(ns > 0 && std::isfinite(ns), "{}: benchmark '{}' measures {}", name, entry, ns);
    auto [it, added] = index.try_emplace(run, out.size());
    if (added) out.push_back({run, {}});
    out[it->second].second.push_back(ns);
  }
  return out;
}

double ThresholdFor(const std::string& name, const BenchCompareOptions& o) {
  double t = o.threshold;
  size_t best = 0;
  for (const auto& [prefix, value] : o.thresholds) {
    if (name.starts_with(prefix) && prefix.size() >= best) {
      best = prefix.size();
      t = value;
    }
  }
  return t;
}

}  // namespace

const char* VerdictName(Verdict v) {
  switch (v) {
    case Verdict::kSlower: return "slower";
    case Verdict::kFaster: return "faster";
    case Verdict::kSame: return "same";
    case Verdict::kTooFewRepetitions: return "too few repetitions";
  }
  return "?";
}

bool BenchComparison::Regressed() const {
  return std::any_of(rows.begin(), rows.end(),
                     [](const BenchDelta& d) { return d.verdict == Verdict::kSlower; });
}

BenchComparison CompareBench(const json& base, const std::string& base_name, const json& next,
                             const std::string& new_name, const BenchCompareOptions& options) {
  Check(options.alpha > 0 && options.alpha < 1, "alpha must be in (0, 1), got {}", options.alpha);
  BenchComparison c;
  c.options = options;
  const auto base_runs = Repetitions(base, base_name, options.metric);
  const auto new_runs = Repetitions(next, new_name, options.metric);
  std::map<std::string, const std::vector<double>*> in_new;
  for (const auto& [name, values] : new_runs) in_new[name] = &values;
  for (const auto& [name, a] : base_runs) {
    auto it = in_new.find(name);
    if (it == in_new.end()) {
      c.only_base.push_back(name);
      continue;
    }
    const std::vector<double>& b = *it->second;
    BenchDelta d;
    d.name = name;
    d.base_repetitions = static_cast<int>(a.size());
    d.new_repetitions = static_cast<int>(b.size());
    d.base_median = Median(a);
    d.new_median = Median(b);
    d.change = d.new_median / d.base_median - 1;
    d.threshold = ThresholdFor(name, options);
    if (options.metric == BenchMetric::kInstructions) {  // deterministic: no test needed
      d.p = std::numeric_limits<double>::quiet_NaN();
      d.exact = true;
      d.verdict = d.change > d.threshold    ? Verdict::kSlower
                  : d.change < -d.threshold ? Verdict::kFaster
                                            : Verdict::kSame;
      c.rows.push_back(std::move(d));
      in_new.erase(it);
      continue;
    }
    const MannWhitney test = MannWhitneyU(a, b);
    d.p = test.p;
    d.exact = test.exact;
    if (SmallestExactP(d.base_repetitions, d.new_repetitions) >= options.alpha) {
      d.verdict = Verdict::kTooFewRepetitions;
    } else if (d.p < options.alpha && d.change > d.threshold) {
      d.verdict = Verdict::kSlower;
    } else if (d.p < options.alpha && d.change < -d.threshold) {
      d.verdict = Verdict::kFaster;
    } else {
      d.verdict = Verdict::kSame;
    }
    c.rows.push_back(std::move(d));
    in_new.erase(it);
  }
  for (const auto& [name, values] : new_runs) {
    if (in_new.count(name)) c.only_new.push_back(name);
  }
  return c;
}

namespace {

// A median for the tables: a time, or an instruction count.
std::string Measure(double v, BenchMetric metric) {
  if (metric == BenchMetric::kInstructions) return fmt::format("{:.4g}", v);
  const double ns = v;
  if (ns >= 1e9) return fmt::format("{:.3g} s", ns / 1e9);
  if (ns >= 1e6) return fmt::format("{:.3g} ms", ns / 1e6);
  if (ns >= 1e3) return fmt::format("{:.3g} us", ns / 1e3);
  return fmt::format("{:.3g} ns", ns);
}

std::string PValue(double p) { return std::isnan(p) ? "-" : fmt::format("{:.3g}", p); }

std::string Summary(const BenchComparison& c) {
  int slower = 0, faster = 0, few = 0;
  for (const BenchDelta& d : c.rows) {
    slower += d.verdict == Verdict::kSlower;
    faster += d.verdict == Verdict::kFaster;
    few += d.verdict == Verdict::kTooFewRepetitions;
  }
  std::string s = fmt::format(
      "{} benchmarks compared by {}: {} slower, {} faster, {} with too few repetitions (alpha {}, "
      "default threshold {:.0f}%)",
      c.rows.size(), c.options.metric == BenchMetric::kInstructions ? "instructions" : "time",
      slower, faster, few, c.options.alpha, 100 * c.options.threshold);
  if (!c.only_base.empty()) s += fmt::format("; {} only in the base", c.only_base.size());
  if (!c.only_new.empty()) s += fmt::format("; {} only in the new report", c.only_new.size());
  return s;
}

}  // namespace

std::string BenchComparisonTable(const BenchComparison& c) {
  size_t width = 9;
  for (const BenchDelta& d : c.rows) width = std::max(width, d.name.size());
  std::string out = fmt::format("{:<{}}  {:>10} {:>10} {:>8} {:>9}  {}\n", "benchmark", width,
                                "base", "new", "change", "p", "verdict");
  for (const BenchDelta& d : c.rows) {
    out += fmt::format("{:<{}}  {:>10} {:>10} {:>+7.1f}% {:>9}  {}\n", d.name, width,
                       Measure(d.base_median, c.options.metric),
                       Measure(d.new_median, c.options.metric), 100 * d.change, PValue(d.p),
                       VerdictName(d.verdict));
  }
  return out + Summary(c) + "\n";
}

std::string BenchComparisonMarkdown(const BenchComparison& c) {
  std::string out = "| benchmark | base (median) | new (median) | change | p | verdict |\n"
                    "|---|---:|---:|---:|---:|---|\n";
  for (const BenchDelta& d : c.rows) {
    out += fmt::format("| `{}` | {} | {} | {:+.1f}% | {} | {}{}{} |\n", d.name,
                       Measure(d.base_median, c.options.metric),
                       Measure(d.new_median, c.options.metric), 100 * d.change, PValue(d.p),
                       d.verdict == Verdict::kSlower ? "**" : "", VerdictName(d.verdict),
                       d.verdict == Verdict::kSlower ? "**" : "");
  }
  return out + "\n" + Summary(c) + "\n";
}

nlohmann::json BenchComparisonJson(const BenchComparison& c, const nlohmann::json& provenance) {
  json rows = json::array();
  for (const BenchDelta& d : c.rows) {
    rows.push_back({{"name", d.name},
                    {"base_repetitions", d.base_repetitions},
                    {"new_repetitions", d.new_repetitions},
                    {"base_median", d.base_median},
                    {"new_median", d.new_median},
                    {"change", d.change},
                    {"p", std::isnan(d.p) ? json(nullptr) : json(d.p)},
                    {"exact", d.exact},
                    {"threshold", d.threshold},
                    {"verdict", VerdictName(d.verdict)}});
  }
  return {{"kind", "benchmark-comparison"},
          {"schema_version", kBenchComparisonSchemaVersion},
          {"provenance", provenance},
          {"metric", c.options.metric == BenchMetric::kInstructions ? "instructions" : "real_time_ns"},
          {"alpha", c.options.alpha},
          {"threshold", c.options.threshold},
          {"regressed", c.Regressed()},
          {"rows", rows},
          {"only_base", c.only_base},
          {"only_new", c.only_new}};
}

}  // namespace gemmeter::reports
