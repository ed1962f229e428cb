#include "suites/suite_report.h"

#include <fmt/format.h>

#include <filesystem>
#include <optional>
#include <utility>
#include <vector>

#include "engine/core/error.h"
#include "reports/bench_compare.h"
#include "reports/eval_compare.h"
#include "reports/report_io.h"

namespace gemmeter::suites {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

std::string Relative(const std::string& path, const std::string& out) {
  return fs::path(path).lexically_relative(out).generic_string();
}

// The report at `path`, or null when it is missing or incomplete.
json TryRead(const std::string& path, const char* kind) {
  return ReadCompleteReport(path, kind).value_or(json());
}

// `report`: the task's evaluation report (TryRead), null when missing.
json EvaluationEntry(const SuiteRun& run, const SuiteTask& task, const std::string& out,
                     const json& report) {
  json entry = {{"task", task.task}, {"limit", task.limit},
                {"report", Relative(EvalReportPath(out, run, task), out)}};
  if (report.is_null()) {
    entry["missing"] = true;
    return entry;
  }
  const json& t = report["tasks"][task.task];
  entry.update({{"missing", false},
                {"docs", t["docs"]},
                {"shots", t["shots"]},
                {"metrics", t["metrics"]},
                {"model_sha256", report["provenance"].value("model_sha256", "")},
                {"backend_description", report["provenance"].value("backend_description", "")},
                {"wall_seconds", report["provenance"].value("wall_seconds", 0.0)}});
  return entry;
}

json ThroughputEntry(const SuiteRun& run, const std::string& out) {
  const std::string path = BenchReportPath(out, run);
  json entry = {{"report", Relative(path, out)}};
  const json report = TryRead(path, "benchmark");
  if (report.is_null()) {
    entry["missing"] = true;
    return entry;
  }
  entry["missing"] = false;
  json tests = json::object();  // test name (pp128, tg32) -> mean tokens/s
  for (const json& b : report["benchmarks"]) {
    if (b.value("aggregate_name", "") != "mean") continue;
    const std::string name = b.value("run_name", "");
    tests[name.substr(name.rfind('/') + 1)] = b.value("tokens_per_second", 0.0);
  }
  entry["tokens_per_second"] = tests;
  return entry;
}

// The accuracy comparison of two runs' reports of one task, summarized; null when they are
// not comparable (another model, other data or prompts: CompareEvals says which).
json PairComparison(const std::string& task, const SuiteRun& a, const SuiteRun& b,
                    const json& report_a, const json& report_b) {
  reports::EvalComparison c;
  try {
    c = reports::CompareEvals(report_a, a.name, report_b, b.name, {});
  } catch (const Error&) {
    return json();
  }
  json metrics = json::array();
  json entry = {{"task", task}, {"a", a.name}, {"b", b.name}, {"failed", c.Failed()}};
  for (const reports::TaskComparison& t : c.tasks) {
    for (const reports::MetricComparison& m : t.metrics) {
      metrics.push_back({{"metric", m.metric}, {"a", m.acc_a}, {"b", m.acc_b},
                         {"identical", m.identical}, {"mcnemar_p", m.p}});
    }
    entry.update({{"documents", static_cast<int64_t>(t.keys.size())}, {"ll_max", t.ll_max},
                  {"ll_mean", t.ll_mean}});
  }
  entry["metrics"] = metrics;
  return entry;
}

}  // namespace

json SuiteReportJson(const Suite& suite, const std::string& out, json provenance) {
  // Every evaluation report, read once: [run][task], null where missing.
  std::vector<std::vector<json>> reports(suite.runs.size());
  for (size_t i = 0; i < suite.runs.size(); ++i) {
    for (const SuiteTask& task : suite.runs[i].tasks) {
      reports[i].push_back(TryRead(EvalReportPath(out, suite.runs[i], task), "evaluation"));
    }
  }
  json runs = json::array();
  for (size_t i = 0; i < suite.runs.size(); ++i) {
    const SuiteRun& run = suite.runs[i];
    json evaluations = json::array();
    for (size_t t = 0; t < run.tasks.size(); ++t) {
      evaluations.push_back(EvaluationEntry(run, run.tasks[t], out, reports[i][t]));
    }
    json entry = {{"name", run.name},     {"model", run.model},     {"backend", run.backend},
                  {"weights", run.weights}, {"threads", run.threads}, {"evaluations", evaluations}};
    entry["throughput"] = run.bench == "none" ? json() : ThroughputEntry(run, out);
    runs.push_back(entry);
  }
  // Every two runs that evaluated a task: compared where the reports allow it.
  json comparisons = json::array();
  for (size_t i = 0; i < suite.runs.size(); ++i) {
    for (size_t j = i + 1; j < suite.runs.size(); ++j) {
      for (size_t ta = 0; ta < suite.runs[i].tasks.size(); ++ta) {
        for (size_t tb = 0; tb < suite.runs[j].tasks.size(); ++tb) {
          const SuiteTask& task_a = suite.runs[i].tasks[ta];
          const SuiteTask& task_b = suite.runs[j].tasks[tb];
          if (task_a.task != task_b.task || task_a.limit != task_b.limit) continue;
          const json& a = reports[i][ta];
          const json& b = reports[j][tb];
          if (a.is_null() || b.is_null()) continue;
          if (json c = PairComparison(task_a.task, suite.runs[i], suite.runs[j], a, b);
              !c.is_null()) {
            comparisons.push_back(std::move(c));
          }
        }
      }
    }
  }
  json layers;
  if (suite.layer_benchmarks != "none") {
    const std::string path = LayerReportPath(out);
    layers = {{"report", Relative(path, out)}, {"profile", suite.layer_benchmarks},
              {"missing", !ReportComplete(path, "benchmark")}};
  }
  return {{"schema_version", kSuiteSchemaVersion},
          {"kind", "suite"},
          {"name", suite.name},
          {"provenance", std::move(provenance)},
          {"runs", runs},
          {"comparisons", comparisons},
          {"layer_benchmarks", layers}};
}

// ---------------------------------------------------------------- two suites compared

bool SuiteComparison::Failed() const {
  for (const SuiteComparisonLine& l : lines) {
    if (l.failing) return true;
  }
  return false;
}

namespace {

// Both reports, or nothing after a "missing" line: only a result the old suite had and the
// new one lacks counts against the new suite.
std::optional<std::pair<json, json>> ReadBoth(const std::string& what, const char* kind,
                                              const std::string& old_path,
                                              const std::string& new_path, SuiteComparison& c) {
  std::optional<json> a = ReadCompleteReport(old_path, kind);
  std::optional<json> b = ReadCompleteReport(new_path, kind);
  if (!a || !b) {
    c.lines.push_back({what, "missing", b ? old_path : new_path, !b && a});
    return std::nullopt;
  }
  return std::make_pair(std::move(*a), std::move(*b));
}

void CompareBenchReports(const std::string& what, const std::string& old_path,
                         const std::string& new_path, SuiteComparison& c) {
  const auto both = ReadBoth(what, "benchmark", old_path, new_path, c);
  if (!both) return;
  const reports::BenchComparison b =
      reports::CompareBench(both->first, old_path, both->second, new_path, {});
  int slower = 0, faster = 0;
  for (const reports::BenchDelta& d : b.rows) {
    slower += d.verdict == reports::Verdict::kSlower;
    faster += d.verdict == reports::Verdict::kFaster;
  }
  c.lines.push_back({what, b.Regressed() ? "regressed" : (faster > 0 ? "improved" : "same"),
                     fmt::format("{} benchmarks: {} slower, {} faster", b.rows.size(), slower, faster),
                     b.Regressed()});
  c.text += fmt::format("## {}\n{}\n", what, reports::BenchComparisonTable(b));
}

}  // namespace

SuiteComparison CompareSuites(const std::string& old_dir, const std::string& new_dir) {
  const json old_suite = reports::ReadReport((fs::path(old_dir) / "suite.json").string(), {"suite"});
  const json new_suite = reports::ReadReport((fs::path(new_dir) / "suite.json").string(), {"suite"});
  SuiteComparison c;
  auto find_run = [](const json& suite, const std::string& name) -> const json* {
    for (const json& r : suite["runs"]) {
      if (r["name"] == name) return &r;
    }
    return nullptr;
  };
  for (const json& new_run : new_suite["runs"]) {
    const std::string name = new_run["name"];
    const json* old_run = find_run(old_suite, name);
    if (old_run == nullptr) {
      c.lines.push_back({name, "missing", "only in " + new_dir, false});
      continue;
    }
    for (const json& e : new_run["evaluations"]) {
      const std::string what = name + "/" + e["task"].get<std::string>();
      const std::string old_path = (fs::path(old_dir) / e["report"].get<std::string>()).string();
      const std::string new_path = (fs::path(new_dir) / e["report"].get<std::string>()).string();
      const auto both = ReadBoth(what, "evaluation", old_path, new_path, c);
      if (!both) continue;
      const reports::EvalComparison ec =
          reports::CompareEvals(both->first, old_path, both->second, new_path, {});
      std::string detail;
      for (const reports::TaskComparison& t : ec.tasks) {
        for (const reports::MetricComparison& m : t.metrics) {
          detail += fmt::format("{}{} {:.2f} -> {:.2f} (p {:.2g})", detail.empty() ? "" : ", ",
                                m.metric, 100 * m.acc_a, 100 * m.acc_b, m.p);
        }
      }
      c.lines.push_back({what, ec.Failed() ? "failed" : "same", detail, ec.Failed()});
      c.text += fmt::format("## {}\n{}\n", what, reports::EvalComparisonTable(ec, false));
    }
    if (!new_run["throughput"].is_null()) {
      const std::string report = new_run["throughput"]["report"];
      CompareBenchReports(name + "/bench", (fs::path(old_dir) / report).string(),
                          (fs::path(new_dir) / report).string(), c);
    }
  }
  for (const json& old_run : old_suite["runs"]) {
    if (find_run(new_suite, old_run["name"]) == nullptr) {
      c.lines.push_back({old_run["name"], "missing", "only in " + old_dir, false});
    }
  }
  if (!new_suite["layer_benchmarks"].is_null()) {
    const std::string report = new_suite["layer_benchmarks"]["report"];
    CompareBenchReports("layers", (fs::path(old_dir) / report).string(),
                        (fs::path(new_dir) / report).string(), c);
  }
  return c;
}

std::string SuiteComparisonTable(const SuiteComparison& c) {
  size_t width = 4;
  for (const SuiteComparisonLine& l : c.lines) width = std::max(width, l.what.size());
  std::string out = fmt::format("{:<{}}  {:<9}  {}\n", "what", width, "verdict", "detail");
  for (const SuiteComparisonLine& l : c.lines) {
    out += fmt::format("{:<{}}  {:<9}  {}\n", l.what, width, l.verdict, l.detail);
  }
  out += c.Failed() ? "suite comparison: FAILED (a regression, an accuracy change or a missing "
                      "result of the new suite)\n"
                    : "suite comparison: passed\n";
  return out;
}

}  // namespace gemmeter::suites
