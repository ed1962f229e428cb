// The "evaluation" report rendered: every task's metrics with their standard errors (a
// table, and one chart across tasks), and for MMLU accuracy per subject and per category
// against the 25% of guessing among four letters.
#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "engine/core/error.h"
#include "reports/render_charts.h"
#include "reports/render_doc.h"

namespace gemmeter::reports {
namespace {

using nlohmann::json;

std::string PercentLabel(double v) { return TickLabel(v) + "%"; }

// A bar of an accuracy in percent with a whisker of one standard error either side.
Bar AccuracyBar(const std::string& label, double acc, double stderr_, size_t docs) {
  Bar b;
  b.label = label;
  b.value = 100 * acc;
  if (std::isfinite(stderr_)) {
    b.lo = std::max(0.0, 100 * (acc - stderr_));
    b.hi = std::min(100.0, 100 * (acc + stderr_));
  }
  b.value_label = Percent(acc) + "%";
  b.tooltip = fmt::format("{}: {}% ± {} ({} documents)", label, Percent(acc), Percent(stderr_), docs);
  return b;
}

// Subjects or categories: a table, and a chart sorted from the best to the worst.
void Subsets(const json& list, const std::string& task, const std::string& what, Document& doc) {
  const std::string where = "tasks." + task + "." + what;
  doc.Heading(3, fmt::format("{}: accuracy per {}", task, what == "subjects" ? "subject" : "category"));
  if (list.empty()) {
    doc.Note("No " + what + " in this report: no data to chart.");
    return;
  }
  struct Row {
    std::string name;
    double acc, stderr_;
    size_t docs;
  };
  std::vector<Row> rows;
  for (const json& s : list) {
    Check(s.is_object(), "{}: an entry is not an object", where);
    const double docs = Number(s, "docs", where);
    rows.push_back({String(s, "name", where), Number(s, "acc", where), Number(s, "stderr", where),
                    std::isfinite(docs) ? size_t(docs) : 0});
  }
  // Best first; ties by name so the order never depends on the input's.
  std::stable_sort(rows.begin(), rows.end(), [](const Row& a, const Row& b) {
    return a.acc != b.acc ? a.acc > b.acc : a.name < b.name;
  });
  HBarChartSpec chart{fmt::format("{} accuracy per {} (whiskers: ± 1 standard error)", task,
                                  what == "subjects" ? "subject" : "category"),
                      "accuracy (%)", 0, 100, {}, {{25, "chance 25%", "#c0392b"}}, {}, PercentLabel};
  Table t{{what == "subjects" ? "subject" : "category", "docs", "acc %", "± stderr"},
          {false, true, true, true}, {}};
  for (const Row& r : rows) {
    chart.bars.push_back(AccuracyBar(r.name, r.acc, r.stderr_, r.docs));
    t.rows.push_back({r.name, std::to_string(r.docs), Percent(r.acc, 2), Percent(r.stderr_, 2)});
  }
  doc.Chart(HBarChart(chart));
  doc.AddTable(t);
}

}  // namespace

void RenderEvaluation(const json& report, Document& doc) {
  const json& tasks = Object(report, "tasks", "report");
  doc.Heading(2, "Results");
  if (tasks.empty()) {
    doc.Note("The report holds no tasks.");
    return;
  }
  Table summary{{"task", "metric", "value %", "± stderr", "docs", "shots"},
                {false, false, true, true, true, true}, {}};
  HBarChartSpec overview{"Accuracy per task and metric (whiskers: ± 1 standard error)",
                         "accuracy (%)", 0, 100, {}, {}, {}, PercentLabel};
  for (const auto& [name, task] : tasks.items()) {
    const std::string where = "tasks." + name;
    const double docs = Number(task, "docs", where);
    for (const auto& [metric, m] : Object(task, "metrics", where).items()) {
      const double value = Number(m, "value", where + ".metrics." + metric);
      const double stderr_ = Number(m, "stderr", where + ".metrics." + metric);
      summary.rows.push_back({name, metric, Percent(value, 2), Percent(stderr_, 2), Fixed(docs, 0),
                              Fixed(Number(task, "shots", where), 0)});
      // Only shares fit a percent axis (every metric gemmeter computes today is one).
      if (value >= 0 && value <= 1) {
        overview.bars.push_back(AccuracyBar(name + " " + metric, value, stderr_,
                                            std::isfinite(docs) ? size_t(docs) : 0));
      }
    }
  }
  if (overview.bars.empty()) {
    doc.Note("No metric values in this report: no data to chart.");
  } else {
    doc.Chart(HBarChart(overview));
  }
  doc.AddTable(summary);

  for (const auto& [name, task] : tasks.items()) {
    const std::string where = "tasks." + name;
    doc.Heading(2, "Task " + name);
    if (const std::string s = String(task, "summary", where); !s.empty()) doc.Paragraph(s);
    if (const std::string p = String(task, "protocol", where); !p.empty()) doc.Paragraph("Protocol: " + p);
    const json& work = Object(task, "work", where);
    if (!work.empty()) {
      doc.Paragraph(fmt::format("{} documents ({} resumed) in {} s: {} documents/s, {} GFLOP/s.",
                                Fixed(Number(task, "docs", where), 0),
                                Fixed(Number(task, "resumed_docs", where), 0),
                                Fixed(Number(work, "seconds", where + ".work"), 1),
                                Fixed(Number(work, "docs_per_second", where + ".work"), 2),
                                Fixed(Number(work, "gflops_per_second", where + ".work"), 1)));
    }
    // Tasks scored per subject (MMLU) carry both lists; others carry neither.
    if (Field(task, "subjects") || Field(task, "categories")) {
      Subsets(Array(task, "subjects", where), name, "subjects", doc);
      Subsets(Array(task, "categories", where), name, "categories", doc);
    }
  }
}

}  // namespace gemmeter::reports
