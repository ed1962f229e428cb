// Rendered reports (reports/render.h) on small hand-written reports with known numbers:
// how many charts each kind draws, that bars and points land where the axis formulas put
// them, escaping, self-containment, the markdown tables, errors and determinism.
#include <catch2/catch.hpp>

#include <regex>
#include <string>

#include "engine/core/error.h"
#include "reports/render.h"
#include "reports/render_charts.h"
#include "reports/svg.h"

namespace gemmeter::reports {
namespace {

using Catch::Matchers::Contains;
using nlohmann::json;

size_t Count(const std::string& text, const std::string& what) {
  size_t n = 0;
  for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

std::string Html(const json& r) { return RenderReport(r, RenderFormat::kHtml); }
std::string Markdown(const json& r) { return RenderReport(r, RenderFormat::kMarkdown); }

// The value of attribute `attr` of the first `<tag class="cls" ...><title>` whose title
// starts with `title`.
double Attribute(const std::string& page, const std::string& tag, const std::string& cls,
                 const std::string& title, const std::string& attr) {
  const std::string start = "<" + tag + " class=\"" + cls + "\"";
  for (size_t at = page.find(start); at != std::string::npos; at = page.find(start, at + 1)) {
    const size_t end = page.find("</" + tag + ">", at);
    const std::string element = page.substr(at, end - at);
    if (element.find("<title>" + title) == std::string::npos) continue;
    std::smatch m;
    if (std::regex_search(element, m, std::regex(" " + attr + "=\"([-0-9.]+)\""))) return std::stod(m[1]);
  }
  FAIL("no <" << tag << " class=" << cls << "> titled " << title);
  return 0;
}

json Subject(const std::string& name, double acc, int docs = 100) {
  return {{"name", name}, {"docs", docs}, {"acc", acc}, {"stderr", 0.05}};
}

json Evaluation(const json& subjects) {
  return {{"schema_version", 1},
          {"kind", "evaluation"},
          {"provenance", {{"git_commit", "feedc0de"}, {"cpu_model", "Test CPU"}, {"cpu_cores", 2},
                          {"backend", "onednn"}, {"weights", "bf16"},
                          {"model_sha256", std::string(64, 'a')}}},
          {"tasks",
           {{"piqa", {{"docs", 200}, {"shots", 0},
                      {"metrics", {{"acc", {{"value", 0.7}, {"stderr", 0.0324}}},
                                   {"acc_norm", {{"value", 0.685}, {"stderr", 0.0329}}}}}}},
            {"mmlu", {{"docs", 300}, {"shots", 5},
                      {"metrics", {{"acc", {{"value", 0.5}, {"stderr", 0.03}}}}},
                      {"subjects", subjects},
                      {"categories", json::array({Subject("stem", 0.4), Subject("other", 0.6)})}}}}}};
}

json Benchmark() {
  auto entry = [](const std::string& name, double time, double flops, double bytes) {
    json e = {{"name", name}, {"run_name", name}, {"run_type", "iteration"}, {"repetitions", 1},
              {"iterations", 10}, {"real_time", time}, {"time_unit", "us"}};
    if (flops > 0) e["flops"] = flops, e["bytes"] = bytes, e["peak_frac"] = 0.25;
    return e;
  };
  json tg = entry("onednn/native/tiny/tg128", 2e6, 0, 0);
  tg["tokens_per_second"] = 64.0;
  return {{"schema_version", 1},
          {"kind", "benchmark"},
          {"provenance", {{"git_commit", "feedc0de"}}},
          {"devices", {{"cpu", {{"name", "Test CPU"}, {"cores", 2},
                                {"peaks", {{"f32_gflops", 1000.0}, {"bf16_gflops", nullptr},
                                           {"read_bandwidth_gbs", 100.0}}}}}}},
          {"benchmarks", json::array({entry("matmul/onednn/f32/m/a/T=1/min_time:0.200/real_time", 1.5, 100e9, 10e9),
                                      entry("rms_norm/onednn/f32/m/b/T=1", 2.5, 1e9, 10e9),
                                      entry("copy_rows/onednn/f32/m/c/T=1", 0.5, 0, 0), tg})}};
}

json BenchComparison(const json& rows) {
  return {{"schema_version", 1}, {"kind", "benchmark-comparison"}, {"metric", "real_time_ns"},
          {"alpha", 0.05}, {"threshold", 0.05}, {"regressed", true}, {"rows", rows},
          {"only_base", json::array()}, {"only_new", json::array()}};
}

json Row(const std::string& name, double change, const std::string& verdict) {
  return {{"name", name}, {"base_repetitions", 9}, {"new_repetitions", 9}, {"base_median", 1000.0},
          {"new_median", 1000.0 * (1 + change)}, {"change", change}, {"p", 0.001}, {"exact", false},
          {"threshold", 0.05}, {"verdict", verdict}};
}

json EvalComparison() {
  return {{"schema_version", 1}, {"kind", "evaluation-comparison"}, {"alpha", 0.05}, {"failed", false},
          {"provenance", {{"inputs", {{"a", {{"path", "/runs/f32.json"}}}, {"b", {{"path", "/runs/bf16.json"}}}}}}},
          {"tasks", {{"piqa", {{"docs", 4}, {"only_a", 0}, {"only_b", 0},
                               {"loglikelihood_abs_diff", {{"choices", 8}, {"max", 0.5}, {"p99", 0.4}, {"mean", 0.125}}},
                               {"metrics", {{"acc", {{"acc_a", 0.5}, {"acc_b", 0.75}, {"only_a_right", 0},
                                                     {"only_b_right", 1}, {"mcnemar_p", 1.0}, {"identical", 0.75},
                                                     {"flipped", json::array({"3", "7"})},
                                                     {"flipped_predictions", json::array({json::array({0, 1}), json::array({1, 0})})}}}}},
                               {"flipped_text", {{"7", "open <the> jar"}}}}}}}};
}

TEST_CASE("each kind draws its charts, and notes where there is no data", "[render]") {
  const json three = json::array({Subject("a", 0.5), Subject("b", 0.25), Subject("c", 1.0)});
  CHECK(Count(Html(Evaluation(three)), "<svg class=\"chart\"") == 3);  // tasks, subjects, categories
  json no_mmlu = Evaluation(three);
  no_mmlu["tasks"].erase("mmlu");
  CHECK(Count(Html(no_mmlu), "<svg class=\"chart\"") == 1);
  json empty_subjects = Evaluation(json::array());
  const std::string page = Html(empty_subjects);
  CHECK(Count(page, "<svg class=\"chart\"") == 2);
  CHECK_THAT(page, Contains("No subjects in this report"));

  CHECK(Count(Html(Benchmark()), "<svg class=\"chart\"") == 2);  // roofline, tokens/s
  json no_counters = Benchmark();
  no_counters["benchmarks"] = json::array({no_counters["benchmarks"][2]});
  CHECK(Count(Html(no_counters), "<svg class=\"chart\"") == 0);
  CHECK_THAT(Html(no_counters), Contains("no roofline"));

  CHECK(Count(Html(EvalComparison()), "<svg class=\"chart\"") == 1);
  CHECK(Count(Html(BenchComparison(json::array({Row("x", 0.1, "slower")}))), "<svg class=\"chart\"") == 1);
  const std::string none = Html(BenchComparison(json::array()));
  CHECK(Count(none, "<svg class=\"chart\"") == 0);
  CHECK_THAT(none, Contains("no data to chart"));
  // Every chart is sized and titled.
  const std::string html = Html(Evaluation(three));
  CHECK(std::regex_search(html, std::regex("<svg class=\"chart\" width=\"[0-9.]+\" height=\"[0-9.]+\"[^>]*>\\n<title>")));
}

TEST_CASE("bar lengths and point positions follow the axes", "[render]") {
  const json subjects = json::array({Subject("half", 0.5), Subject("quarter", 0.25), Subject("full", 1.0)});
  const std::string page = Html(Evaluation(subjects));
  // Subject chart: 0..100% over [label column + pads, width - right margin].
  const double x0 = kHBarLeftPad + kHBarCharWidth * double(std::string("quarter").size()) + 8;
  const double plot = kChartWidth - kHBarRight - x0;
  CHECK(Attribute(page, "rect", "bar", "half: 50.0%", "width") == Approx(0.5 * plot).margin(0.006));
  CHECK(Attribute(page, "rect", "bar", "quarter: 25.0%", "width") == Approx(0.25 * plot).margin(0.006));
  CHECK(Attribute(page, "rect", "bar", "full: 100.0%", "width") == Approx(plot).margin(0.006));
  CHECK(Attribute(page, "rect", "bar", "half: 50.0%", "x") == Approx(x0).margin(0.006));
  // Sorted best first: "full" in the first row.
  CHECK(Attribute(page, "rect", "bar", "full: 100.0%", "y") == Approx(kHBarTop + (kHBarRow - kHBarThickness) / 2).margin(0.006));

  // Roofline: points at (10 FLOP/byte, 100 GFLOP/s) and (0.1, 1); roofs at 1000 GFLOP/s
  // and 100 GB/s put the ridge at 10. Decades: x [0.1, 100] (a decade past the ridge),
  // y [1, 1000].
  const std::string roof = Html(Benchmark());
  const double rx0 = kRoofLeft, rx1 = kChartWidth - kRoofRight;
  const double ry0 = kRoofHeight - kRoofBottom, ry1 = kRoofTop;
  CHECK(Attribute(roof, "circle", "point", "matmul/onednn/f32/m/a/T=1:", "cx") == Approx(rx0 + 2.0 / 3 * (rx1 - rx0)).margin(0.006));
  CHECK(Attribute(roof, "circle", "point", "matmul/onednn/f32/m/a/T=1:", "cy") == Approx(ry0 + 2.0 / 3 * (ry1 - ry0)).margin(0.006));
  CHECK(Attribute(roof, "circle", "point", "rms_norm/onednn/f32/m/b/T=1:", "cx") == Approx(rx0).margin(0.006));
  CHECK(Attribute(roof, "circle", "point", "rms_norm/onednn/f32/m/b/T=1:", "cy") == Approx(ry0).margin(0.006));

  // Diverging bars: changes +10% and -20%, axis +-NiceLimit(22) = +-30%.
  const std::string change = Html(BenchComparison(json::array({Row("up", 0.1, "slower"), Row("down", -0.2, "faster")})));
  const double cx0 = kHBarLeftPad + kHBarCharWidth * 4 + 8, cx1 = kChartWidth - kHBarRight;
  const double zero = (cx0 + cx1) / 2;
  CHECK(Attribute(change, "rect", "bar", "up:", "x") == Approx(zero).margin(0.006));
  CHECK(Attribute(change, "rect", "bar", "up:", "width") == Approx(10.0 / 60 * (cx1 - cx0)).margin(0.006));
  CHECK(Attribute(change, "rect", "bar", "down:", "x") == Approx(zero - 20.0 / 60 * (cx1 - cx0)).margin(0.006));
  // The legend's row moves the plot down: the slowest bar in the first row under it.
  CHECK(Attribute(change, "rect", "bar", "up:", "y") ==
        Approx(kHBarTop + kHBarLegend + (kHBarRow - kHBarThickness) / 2).margin(0.006));
  CHECK_THAT(change, Contains("fill=\"#d62728\"><title>up:"));    // slower: red
  CHECK_THAT(change, Contains("fill=\"#2ca02c\"><title>down:"));  // faster: green

  // Grouped bars: 50% is half the axis height, 75% three quarters.
  const std::string evc = Html(EvalComparison());
  const double axis = (kGroupedHeight - kGroupedBottom) - kGroupedTop;
  CHECK(Attribute(evc, "rect", "bar", "acc, A (f32.json)", "height") == Approx(0.5 * axis).margin(0.006));
  CHECK(Attribute(evc, "rect", "bar", "acc, B (bf16.json)", "height") == Approx(0.75 * axis).margin(0.006));
}

TEST_CASE("text from reports is escaped, and the page is self-contained", "[render]") {
  const json r = Evaluation(json::array({Subject("a<b&c>\"d\"", 0.5)}));
  const std::string html = Html(r);
  CHECK_THAT(html, Contains("a&lt;b&amp;c&gt;&quot;d&quot;"));
  CHECK(html.find("a<b&c>") == std::string::npos);
  CHECK_THAT(Markdown(r), Contains("a&lt;b&amp;c&gt;\"d\""));
  CHECK_THAT(Html(EvalComparison()), Contains("open &lt;the&gt; jar"));
  for (const json& report : {r, Benchmark(), EvalComparison(), BenchComparison(json::array({Row("x", 0.1, "slower")}))}) {
    const std::string page = Html(report);
    CHECK(page.find("http://") == std::string::npos);
    CHECK(page.find("https://") == std::string::npos);
    CHECK(page.find("<script") == std::string::npos);
    CHECK(page.find("<link") == std::string::npos);
    CHECK_FALSE(std::regex_search(page, std::regex("(src|href)\\s*=")));
  }
}

TEST_CASE("markdown holds the tables and no charts", "[render]") {
  const std::string eval = Markdown(Evaluation(json::array({Subject("anatomy", 0.4567, 135)})));
  CHECK_THAT(eval, Contains("| piqa | acc | 70.00 | 3.24 | 200 | 0 |"));
  CHECK_THAT(eval, Contains("| anatomy | 135 | 45.67 | 5.00 |"));
  CHECK_THAT(eval, Contains("| commit | feedc0de |"));
  CHECK_THAT(eval, Contains("| model sha256 | aaaaaaaaaaaaaaaa... |"));
  CHECK(eval.find("<svg") == std::string::npos);

  const std::string bench = Markdown(Benchmark());
  CHECK_THAT(bench, Contains("| matmul/onednn/f32/m/a/T=1 | 1.500 us | 100.00 | 10.00 | 25.0 | 1 |"));
  CHECK_THAT(bench, Contains("| onednn/native/tiny/tg128 | 64.0 |"));
  CHECK_THAT(bench, Contains("| cpu | Test CPU | 2 | 1000.0 | - | 100.0 |"));

  const std::string change = Markdown(BenchComparison(
      json::array({Row("fast", -0.2, "faster"), Row("slow", 0.1, "slower")})));
  CHECK_THAT(change, Contains("| slow | 1.000 us | 1.100 us | +10.00% |"));
  CHECK(change.find("| slow |") < change.find("| fast |"));  // regressions first

  const std::string evc = Markdown(EvalComparison());
  CHECK_THAT(evc, Contains("| acc | 50.00 | 75.00 | +25.00 | 75.00% | 1 | 0 | 1 | 2 |"));
  CHECK_THAT(evc, Contains("| 7 | 1 | 0 | open &lt;the&gt; jar |"));
}

TEST_CASE("unknown kinds and wrong field types throw, naming them", "[render]") {
  CHECK_THROWS_WITH(Html({{"kind", "mystery"}}), Contains("\"mystery\""));
  CHECK_THROWS_WITH(Html({{"schema_version", 1}}), Contains("no \"kind\""));
  CHECK_THROWS_AS(Html(json::array()), Error);
  json bad = Evaluation(json::array());
  bad["tasks"]["piqa"]["metrics"]["acc"]["value"] = "high";
  CHECK_THROWS_WITH(Html(bad), Contains("tasks.piqa.metrics.acc") && Contains("\"value\""));
}

TEST_CASE("rendering is deterministic", "[render]") {
  for (const json& r : {Evaluation(json::array({Subject("a", 0.5), Subject("b", 0.5)})), Benchmark(),
                        EvalComparison(), BenchComparison(json::array({Row("x", 0.1, "slower")}))}) {
    CHECK(Html(r) == Html(r));
    CHECK(Markdown(r) == Markdown(r));
  }
}

TEST_CASE("SVG scales, ticks and labels", "[render][svg]") {
  const Scale lin = Scale::Linear(0, 100, 10, 110);
  CHECK(lin(50) == Approx(60));
  CHECK(lin.Ticks(5) == std::vector<double>{0, 20, 40, 60, 80, 100});
  const Scale log = Scale::Log(0.1, 1000, 0, 400);
  CHECK(log(10) == Approx(200));
  CHECK(log.Ticks() == std::vector<double>{0.1, 1, 10, 100, 1000});
  CHECK(NiceCeil(22) == 50);
  CHECK(NiceCeil(0.3) == Approx(0.5));
  CHECK(NiceLimit(22) == 30);
  CHECK(NiceLimit(0.7) == Approx(0.8));
  CHECK(NiceLimit(100) == 100);
  CHECK(TickLabel(20000) == "20k");
  CHECK(TickLabel(0.25) == "0.25");
  CHECK(SvgNum(-0.001) == "0.00");
  CHECK(EscapeXml("<a href='x'>&\"") == "&lt;a href=&#39;x&#39;&gt;&amp;&quot;");
  CHECK_THROWS_AS(Scale::Log(0, 10, 0, 1), Error);
}

}  // namespace
}  // namespace gemmeter::reports
