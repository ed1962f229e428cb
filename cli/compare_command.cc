#include "cli/compare_command.h"

#include <fmt/core.h>

#include <charconv>
#include <filesystem>
#include <fstream>
#include <set>

#include "cli/model_loading.h"
#include "engine/core/error.h"
#include "evals/task.h"
#include "reports/bench_compare.h"
#include "reports/eval_compare.h"
#include "reports/provenance.h"
#include "reports/report_io.h"

namespace gemmeter::cli {
namespace {

std::string Shorten(const std::string& text, size_t limit) {
  if (text.size() <= limit) return text;
  size_t cut = limit;
  while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;  // UTF-8
  return text.substr(0, cut) + "...";
}

// A document as one line: its context and its numbered choices. Choices that share a long
// beginning (PIQA's solutions often differ in one word past the 80th character) are shown
// from shortly before they part, so the difference stays visible.
std::string DocText(const datasets::MultipleChoiceDoc& d) {
  std::string text = Shorten(d.context, 160);
  size_t common = d.choices.empty() ? 0 : d.choices[0].size();
  for (const std::string& c : d.choices) {
    size_t n = 0;
    while (n < common && n < c.size() && c[n] == d.choices[0][n]) ++n;
    common = n;
  }
  size_t skip = common > 60 ? common - 30 : 0;
  while (skip > 0 && (static_cast<unsigned char>(d.choices[0][skip]) & 0xC0) == 0x80) --skip;
  for (size_t i = 0; i < d.choices.size(); ++i) {
    text += fmt::format(" [{}] {}{}", i, skip > 0 ? "..." : "", Shorten(d.choices[i].substr(skip), 80));
  }
  for (char& c : text) c = c == '\n' ? ' ' : c;
  return text;
}

// The text of every flipped document, from the datasets. Best effort: without them the
// comparison is complete, only without text.
void AttachFlippedText(reports::EvalComparison& c, const nlohmann::json& a, const std::string& flag) {
  std::string dir = flag;
  if (dir.empty()) dir = a["provenance"].value("data_dir", "");
  try {
    dir = ResolveDataDir(std::filesystem::is_directory(dir) ? dir : flag);
  } catch (const Error& e) {
    fmt::print(stderr, "note: flipped documents without text: {}\n", e.what());
    return;
  }
  for (reports::TaskComparison& t : c.tasks) {
    std::set<std::string> wanted;
    for (const auto& m : t.metrics) {
      for (int64_t i : m.flipped) wanted.insert(t.keys[static_cast<size_t>(i)]);
    }
    if (wanted.empty()) continue;
    try {
      for (const datasets::MultipleChoiceDoc& d : evals::FindTask(t.task).load(dir)) {
        const std::string key =
            d.subject.empty() ? std::to_string(d.index) : d.subject + "/" + std::to_string(d.index);
        if (wanted.contains(key)) t.texts[key] = DocText(d);
      }
    } catch (const Error& e) {
      fmt::print(stderr, "note: {} flips without text: {}\n", t.task, e.what());
    }
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

int RunCompareBench(const CompareBenchOptions& o, const std::string& command_line) {
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
  const nlohmann::json base = reports::ReadReport(o.base, {"benchmark"});
  const nlohmann::json next = reports::ReadReport(o.next, {"benchmark"});
  const reports::BenchComparison c = reports::CompareBench(base, o.base, next, o.next, options);
  fmt::print("{}", o.markdown ? reports::BenchComparisonMarkdown(c)
                              : reports::BenchComparisonTable(c));
  if (!o.json_out.empty()) {
    std::ofstream out(o.json_out);
    Check(out.good(), "{}: cannot write", o.json_out);
    out << reports::BenchComparisonJson(
               c, reports::ComparisonProvenance(command_line, {{"base", o.base}, {"new", o.next}},
                                                {&base, &next}))
               .dump(1)
        << "\n";
  }
  return c.Regressed() ? kRegressionExitStatus : 0;
}

int RunCompareEvals(const CompareEvalsOptions& o, const std::string& command_line) {
  reports::EvalCompareOptions options;
  options.alpha = o.alpha;
  options.max_ll_diff = o.max_ll_diff;
  const nlohmann::json a = reports::ReadReport(o.a, {"evaluation"});
  const nlohmann::json b = reports::ReadReport(o.b, {"evaluation"});
  reports::EvalComparison c = reports::CompareEvals(a, o.a, b, o.b, options);
  if (!o.no_text) AttachFlippedText(c, a, o.data_dir);
  fmt::print("{}", reports::EvalComparisonTable(c, o.markdown));
  if (!o.json_out.empty()) {
    std::ofstream out(o.json_out);
    Check(out.good(), "{}: cannot write", o.json_out);
    out << reports::EvalComparisonJson(
               c, reports::ComparisonProvenance(command_line, {{"a", o.a}, {"b", o.b}}, {&a, &b}))
               .dump(1)
        << "\n";
  }
  return c.Failed() ? kRegressionExitStatus : 0;
}

}  // namespace gemmeter::cli
