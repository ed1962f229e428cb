// Renderer of suite reports (kind "suite", suites/suite_report.h): one table of accuracy
// and speed across the runs, a chart of each task's accuracy per run, and the
// cross-run comparisons.
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <set>
#include <utility>

#include "reports/render_charts.h"
#include "reports/render_doc.h"

namespace gemmeter::reports {

using nlohmann::json;

namespace {

// "task metric" columns in first-seen order, and the throughput tests likewise.
struct Columns {
  std::vector<std::pair<std::string, std::string>> metrics;  // (task, metric)
  std::vector<std::string> tests;
};

Columns ColumnsOf(const json& runs) {
  Columns c;
  std::set<std::pair<std::string, std::string>> seen_metrics;
  std::set<std::string> seen_tests;
  for (const json& run : runs) {
    for (const json& e : Array(run, "evaluations", "run")) {
      for (const auto& [metric, value] : Object(e, "metrics", "evaluation").items()) {
        const auto key = std::make_pair(String(e, "task", "evaluation"), metric);
        if (seen_metrics.insert(key).second) c.metrics.push_back(key);
      }
    }
    if (const json* t = Field(run, "throughput"); t != nullptr && t->is_object()) {
      for (const auto& [test, value] : Object(*t, "tokens_per_second", "throughput").items()) {
        if (seen_tests.insert(test).second) c.tests.push_back(test);
      }
    }
  }
  return c;
}

// The run's value of (task, metric) and its standard error, NaN where it has none.
std::pair<double, double> MetricAndError(const json& run, const std::string& task,
                                         const std::string& metric) {
  for (const json& e : Array(run, "evaluations", "run")) {
    if (String(e, "task", "evaluation") != task) continue;
    const json& metrics = Object(e, "metrics", "evaluation");
    if (const json* m = Field(metrics, metric)) {
      return {Number(*m, "value", "metric"), Number(*m, "stderr", "metric")};
    }
  }
  return {NAN, NAN};
}

double MetricOf(const json& run, const std::string& task, const std::string& metric) {
  return MetricAndError(run, task, metric).first;
}

std::string RunLabel(const json& run) {
  const std::string backend = String(run, "backend", "run");
  return fmt::format("{} ({} {})", String(run, "name", "run"), backend.empty() ? "default" : backend,
                     String(run, "weights", "run"));
}

}  // namespace

void RenderSuite(const json& report, Document& doc) {
  const json& runs = Array(report, "runs", "report");
  const Columns columns = ColumnsOf(runs);
  doc.Heading(2, fmt::format("Suite {}: {} runs", String(report, "name", "report"), runs.size()));

  Table table;
  table.header = {"run", "backend", "weights", "model"};
  table.numeric = {false, false, false, false};
  for (const auto& [task, metric] : columns.metrics) {
    table.header.push_back(fmt::format("{} {} %", task, metric));
    table.numeric.push_back(true);
  }
  for (const std::string& test : columns.tests) {
    table.header.push_back(test + " t/s");
    table.numeric.push_back(true);
  }
  std::vector<std::string> missing;
  for (const json& run : runs) {
    const std::string model = String(run, "model", "run");
    std::vector<std::string> row = {String(run, "name", "run"), String(run, "backend", "run"),
                                    String(run, "weights", "run"),
                                    model.empty() ? "default" : FileName(model)};
    for (const auto& [task, metric] : columns.metrics) {
      row.push_back(Percent(MetricOf(run, task, metric), 2));
    }
    const json* t = Field(run, "throughput");
    for (const std::string& test : columns.tests) {
      const json* v = t != nullptr && t->is_object()
                          ? Field(Object(*t, "tokens_per_second", "throughput"), test)
                          : nullptr;
      row.push_back(v != nullptr ? Fixed(v->get<double>(), 1) : "-");
    }
    table.rows.push_back(row);
    for (const json& e : Array(run, "evaluations", "run")) {
      if (const json* m = Field(e, "missing"); m && m->get<bool>()) {
        missing.push_back(String(e, "report", "evaluation"));
      }
    }
    if (t != nullptr && t->is_object() && Field(*t, "missing") && (*t)["missing"].get<bool>()) {
      missing.push_back(String(*t, "report", "throughput"));
    }
  }
  doc.AddTable(table);
  if (!missing.empty()) {
    doc.Note(fmt::format("Missing or incomplete (not yet run, or failed): {}.",
                         fmt::join(missing, ", ")));
  }

  // One chart per (task, metric): accuracy of each run, whiskers at +- one standard error.
  for (const auto& [task, metric] : columns.metrics) {
    HBarChartSpec chart;
    chart.title = fmt::format("{} {}", task, metric);
    chart.axis_label = "accuracy";
    chart.tick_format = [](double v) { return Percent(v, 0) + "%"; };
    for (const json& run : runs) {
      const auto [v, stderr_] = MetricAndError(run, task, metric);
      if (std::isnan(v)) continue;
      const double e = std::isnan(stderr_) ? 0 : stderr_;
      chart.bars.push_back({RunLabel(run), v, std::max(0.0, v - e), std::min(1.0, v + e), "#4e79a7",
                            Percent(v, 2) + "%", fmt::format("± {}", Percent(e, 2))});
    }
    if (!chart.bars.empty()) doc.Chart(HBarChart(chart));
  }

  doc.Heading(2, "Comparisons across runs");
  const json& comparisons = Array(report, "comparisons", "report");
  if (comparisons.empty()) {
    doc.Note("No two runs evaluated the same model on the same data.");
  } else {
    Table c;
    c.header = {"task", "A", "B", "metric", "A %", "B %", "same prediction %", "McNemar p",
                "max |ll diff|", "verdict"};
    c.numeric = {false, false, false, false, true, true, true, true, true, false};
    for (const json& comparison : comparisons) {
      for (const json& m : Array(comparison, "metrics", "comparison")) {
        const json* ll = Field(comparison, "ll_max");
        c.rows.push_back({String(comparison, "task", "comparison"), String(comparison, "a", "comparison"),
                          String(comparison, "b", "comparison"), String(m, "metric", "metric"),
                          Percent(Number(m, "a", "metric"), 2), Percent(Number(m, "b", "metric"), 2),
                          Percent(Number(m, "identical", "metric"), 1),
                          Significant(Number(m, "mcnemar_p", "metric")),
                          ll != nullptr ? Significant(ll->get<double>()) : "-",
                          Number(m, "mcnemar_p", "metric") < 0.05 ? "differs" : "same"});
      }
    }
    doc.AddTable(c);
  }

  if (const json* layers = Field(report, "layer_benchmarks"); layers != nullptr && layers->is_object()) {
    doc.Heading(2, "Layer benchmarks");
    doc.Paragraph(fmt::format("gemmeter_bench --profile {}: {}{}", String(*layers, "profile", "layer_benchmarks"),
                              String(*layers, "report", "layer_benchmarks"),
                              (*layers)["missing"].get<bool>() ? " (missing)" : " (render it for its roofline and tables)"));
  }
}

}  // namespace gemmeter::reports
