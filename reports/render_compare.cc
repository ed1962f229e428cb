// The two comparison kinds rendered. "evaluation-comparison": accuracy of A and B per
// task and metric, agreement and McNemar p, log-likelihood differences and the documents
// whose prediction flipped. "benchmark-comparison": every benchmark's change of median,
// coloured by the gate's verdict, regressions listed first.
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <map>

#include "engine/core/error.h"
#include "reports/render_charts.h"
#include "reports/render_doc.h"

namespace gemmeter::reports {
namespace {

using nlohmann::json;

constexpr size_t kMaxFlipped = 50;  // a long list says "many" as well as a full one

// The path of input `role` (a, b, base, new) as the comparison recorded it, or "".
std::string InputPath(const json& report, const char* role) {
  const json& inputs = Object(Object(report, "provenance", "report"), "inputs", "provenance");
  return String(Object(inputs, role, "provenance.inputs"), "path", "provenance.inputs");
}

// "A (ev_f32.json)" when the comparison recorded its inputs' paths, else "A".
std::string InputLabel(const json& report, const char* role, const char* fallback) {
  const std::string path = InputPath(report, role);
  return path.empty() ? fallback : fmt::format("{} ({})", fallback, FileName(path));
}

// One metric's flipped documents: key, A's and B's prediction (metrics.<m>.
// flipped_predictions) and the text (the task's flipped_text, when compare evals had the
// datasets).
void Flipped(const json& metric_json, const json& texts, const std::string& metric,
             const std::string& where, Document& doc) {
  const json& flipped = Array(metric_json, "flipped", where);
  if (flipped.empty()) return;
  const json* picks = Field(metric_json, "flipped_predictions");
  doc.Paragraph(fmt::format("{}: {} documents flipped{}.", metric, flipped.size(),
                            flipped.size() > kMaxFlipped ? fmt::format(" (the first {})", kMaxFlipped) : ""));
  const bool any_text = texts.is_object() && !texts.empty();
  Table t{{"document"}, {false}, {}};
  if (picks != nullptr) {
    t.header.insert(t.header.end(), {"A chose", "B chose"});
    t.numeric.insert(t.numeric.end(), {true, true});
  }
  if (any_text) {
    t.header.push_back("text");
    t.numeric.push_back(false);
  }
  for (size_t i = 0; i < flipped.size() && i < kMaxFlipped; ++i) {
    const std::string key = flipped[i].is_string() ? flipped[i].get<std::string>() : flipped[i].dump();
    std::vector<std::string> row{key};
    if (picks != nullptr) {
      const json pick = i < picks->size() ? (*picks)[i] : json::array();
      row.push_back(pick.size() == 2 ? pick[0].dump() : "");
      row.push_back(pick.size() == 2 ? pick[1].dump() : "");
    }
    if (any_text) row.push_back(texts.contains(key) && texts[key].is_string() ? texts[key].get<std::string>() : "");
    t.rows.push_back(std::move(row));
  }
  doc.AddTable(t);
}

// A positive number with its "+" (changes read better signed).
std::string Signed(const std::string& text, double v) { return v > 0 ? fmt::format("+{}", text) : text; }

const char* VerdictColor(const std::string& verdict) {
  if (verdict == "slower") return "#d62728";
  if (verdict == "faster") return "#2ca02c";
  if (verdict == "same") return "#9e9e9e";
  return "#d4d4d4";  // too few repetitions, or a verdict this renderer does not know
}

}  // namespace

void RenderEvalComparison(const json& report, Document& doc) {
  const std::string a = InputLabel(report, "a", "A"), b = InputLabel(report, "b", "B");
  const json* failed = Field(report, "failed");
  doc.Heading(2, "Summary");
  doc.Paragraph(fmt::format("A: {}; B: {}. Significance level {}; {}.", InputPath(report, "a"),
                            InputPath(report, "b"),
                            Significant(Number(report, "alpha", "report")),
                            !failed ? "verdict not recorded"
                            : *failed == true ? "FAILED: a significant accuracy change or a "
                                                "log-likelihood difference beyond the limit"
                                              : "no significant accuracy change"));
  const json& tasks = Object(report, "tasks", "report");
  if (tasks.empty()) doc.Note("The comparison holds no tasks.");
  for (const auto& [name, task] : tasks.items()) {
    const std::string where = "tasks." + name;
    doc.Heading(2, "Task " + name);
    const json& metrics = Object(task, "metrics", where);
    GroupedBarSpec chart{name + ": accuracy of A and B per metric", "accuracy (%)", 100, {}, {a, b},
                         {}, [](double v) { return Fixed(v, 1) + "%"; }};
    Table t{{"metric", "A %", "B %", "B - A", "identical", "McNemar p", "only A right",
             "only B right", "flipped"},
            {false, true, true, true, true, true, true, true, true}, {}};
    for (const auto& [metric, m] : metrics.items()) {
      const std::string mw = where + ".metrics." + metric;
      const double acc_a = Number(m, "acc_a", mw), acc_b = Number(m, "acc_b", mw);
      chart.groups.push_back(metric);
      chart.values.push_back({100 * acc_a, 100 * acc_b});
      t.rows.push_back({metric, Percent(acc_a, 2), Percent(acc_b, 2),
                        Signed(Percent(acc_b - acc_a, 2), acc_b - acc_a),
                        Percent(Number(m, "identical", mw), 2) + "%", Significant(Number(m, "mcnemar_p", mw)),
                        Fixed(Number(m, "only_a_right", mw), 0), Fixed(Number(m, "only_b_right", mw), 0),
                        std::to_string(Array(m, "flipped", mw).size())});
    }
    if (chart.groups.empty()) {
      doc.Note("No metrics compared for this task: no data to chart.");
    } else {
      doc.Chart(GroupedBarChart(chart));
      doc.AddTable(t);
    }
    const json& ll = Object(task, "loglikelihood_abs_diff", where);
    const std::string lw = where + ".loglikelihood_abs_diff";
    doc.Heading(3, name + ": |log-likelihood A - B| per choice");
    doc.AddTable({{"documents", "only in A", "only in B", "choices", "max", "p99", "mean"},
                  {true, true, true, true, true, true, true},
                  {{Fixed(Number(task, "docs", where), 0), Fixed(Number(task, "only_a", where), 0),
                    Fixed(Number(task, "only_b", where), 0), Fixed(Number(ll, "choices", lw), 0),
                    Significant(Number(ll, "max", lw)), Significant(Number(ll, "p99", lw)),
                    Significant(Number(ll, "mean", lw))}}});
    bool any_flipped = false;
    for (const auto& [metric, m] : metrics.items()) any_flipped |= !Array(m, "flipped", where).empty();
    doc.Heading(3, name + ": flipped documents");
    if (!any_flipped) doc.Note("No document's prediction differs between A and B.");
    const json* texts = Field(task, "flipped_text");
    for (const auto& [metric, m] : metrics.items()) {
      Flipped(m, texts != nullptr ? *texts : json(), metric, where + ".metrics." + metric, doc);
    }
  }
}

void RenderBenchComparison(const json& report, Document& doc) {
  const std::string metric = String(report, "metric", "report");
  const bool instructions = metric == "instructions";
  const double threshold = Number(report, "threshold", "report");
  const json& rows = Array(report, "rows", "report");
  std::map<std::string, int> counts;
  for (const json& r : rows) ++counts[String(r, "verdict", "rows")];
  const json* regressed = Field(report, "regressed");
  doc.Heading(2, "Summary");
  doc.Paragraph(fmt::format(
      "{} ({}): {} benchmarks: {} slower, {} faster, {} same, {} with too few repetitions. "
      "Base: {}; new: {}. Significance level {}, threshold {}%.",
      !regressed ? "No verdict recorded" : *regressed == true ? "REGRESSED" : "No regression",
      instructions ? "instruction counts" : "median real time", rows.size(), counts["slower"],
      counts["faster"], counts["same"], counts["too few repetitions"],
      InputPath(report, "base"), InputPath(report, "new"),
      Significant(Number(report, "alpha", "report")), Percent(threshold, 1)));

  if (doc.html()) doc.Heading(2, "Change per benchmark");  // a chart-only section
  if (rows.empty()) {
    doc.Note("No benchmark is in both reports: no data to chart.");
  } else {
    std::vector<const json*> sorted;
    for (const json& r : rows) sorted.push_back(&r);
    // Slowest first; the order of equal changes stays the report's.
    std::stable_sort(sorted.begin(), sorted.end(), [](const json* x, const json* y) {
      return Number(*x, "change", "rows") > Number(*y, "change", "rows");
    });
    double extent = std::isfinite(threshold) ? threshold * 100 : 0;
    for (const json* r : sorted) {
      if (const double c = Number(*r, "change", "rows"); std::isfinite(c)) extent = std::max(extent, std::fabs(c) * 100);
    }
    extent = NiceLimit(std::max(extent * 1.1, 1.0));
    HBarChartSpec chart{"Change of the median per benchmark (new / base - 1; > 0 is slower)",
                        "change (%)", -extent, extent, {}, {},
                        {{VerdictColor("slower"), "slower"}, {VerdictColor("faster"), "faster"},
                         {VerdictColor("same"), "same"}, {VerdictColor(""), "too few repetitions"}},
                        [](double v) { return fmt::format("{}%", Signed(TickLabel(v), v)); }};
    if (std::isfinite(threshold) && threshold > 0) {
      chart.lines = {{-100 * threshold, fmt::format("-{}%", Percent(threshold, 1)), "#555", Anchor::kEnd},
                     {100 * threshold, fmt::format("+{}%", Percent(threshold, 1)), "#555", Anchor::kStart}};
    }
    for (const json* r : sorted) {
      const double c = 100 * Number(*r, "change", "rows");
      const std::string verdict = String(*r, "verdict", "rows");
      const std::string name = DisplayName(String(*r, "name", "rows"));
      Bar bar{name, std::isfinite(c) ? c : 0, NAN, NAN, VerdictColor(verdict),
              fmt::format("{}%", Signed(Fixed(c, 1), c)), fmt::format("{}: {}%, {}", name, Fixed(c, 2), verdict)};
      chart.bars.push_back(bar);
    }
    doc.Chart(HBarChart(chart));
  }

  doc.Heading(2, "Benchmarks (regressions first)");
  Table t{{"benchmark", "base median", "new median", "change", "p", "threshold", "verdict",
           "repetitions"},
          {false, true, true, true, true, true, false, true}, {}};
  auto measure = [&](double v) { return instructions ? Fixed(v, 0) : Duration(v); };
  for (bool slower : {true, false}) {
    for (const json& r : rows) {
      const std::string verdict = String(r, "verdict", "rows");
      if ((verdict == "slower") != slower) continue;
      const double c = Number(r, "change", "rows");
      t.rows.push_back({DisplayName(String(r, "name", "rows")), measure(Number(r, "base_median", "rows")),
                        measure(Number(r, "new_median", "rows")), fmt::format("{}%", Signed(Percent(c, 2), c)),
                        Significant(Number(r, "p", "rows")), Percent(Number(r, "threshold", "rows"), 1) + "%",
                        slower ? "SLOWER" : verdict,
                        fmt::format("{} / {}", Fixed(Number(r, "base_repetitions", "rows"), 0),
                                    Fixed(Number(r, "new_repetitions", "rows"), 0))});
    }
  }
  if (!rows.empty()) doc.AddTable(t);
  for (const auto& [key, label] : {std::pair{"only_base", "Only in the base report"},
                                   std::pair{"only_new", "Only in the new report"}}) {
    const json& only = Array(report, key, "report");
    if (only.empty()) continue;
    doc.Heading(3, label);
    Table list{{"benchmark"}, {false}, {}};
    for (const json& n : only) list.rows.push_back({n.is_string() ? n.get<std::string>() : n.dump()});
    doc.AddTable(list);
  }
}

}  // namespace gemmeter::reports
