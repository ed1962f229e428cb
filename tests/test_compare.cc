// The statistics of report comparisons and the benchmark regression gate, on synthetic
// samples. Expected p-values: scipy 1.17.1 (scipy.stats.mannwhitneyu, method "auto";
// scipy.stats.binomtest for McNemar's exact test), and a brute-force enumeration of every
// split of the pooled values, independent of the recurrence the exact test uses.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <tuple>
#include <vector>

#include "reports/bench_compare.h"
#include "reports/eval_compare.h"
#include "reports/statistics.h"

namespace gemmeter::reports {
namespace {

using Catch::Matchers::Contains;
using nlohmann::json;

TEST_CASE("Mann-Whitney U p-values equal scipy's", "[compare][statistics]") {
  struct Case {
    std::vector<double> a, b;
    double u, p;
    bool exact;
  };
  std::vector<double> thirty(30), shifted(30);
  std::iota(thirty.begin(), thirty.end(), 0.0);
  for (int i = 0; i < 30; ++i) shifted[i] = i + 10.5;
  const Case cases[] = {
      {{1, 2, 3}, {4, 5, 6}, 0, 0.1, true},
      {{1, 2, 3, 4, 5}, {6, 7, 8, 9, 10}, 0, 0.007936507937, true},
      {{1, 3, 5, 7, 9}, {2, 4, 6, 8, 10}, 10, 0.6904761905, true},
      {{10.1, 10.3, 10.2, 10.5, 10.4, 10.0, 10.6}, {11.0, 10.9, 11.2, 10.8, 11.1, 11.3, 10.7}, 0,
       0.0005827505828, true},
      {{1, 1, 2, 2, 3}, {2, 3, 3, 4, 4}, 3, 0.05241162867, false},  // ties: normal approximation
      {std::vector<double>(9, 5.0), std::vector<double>(9, 5.0), 40.5, 1.0, false},
      {thirty, shifted, 190, 0.0001247705379, false},  // n > 8: normal approximation
  };
  for (const Case& c : cases) {
    const MannWhitney r = MannWhitneyU(c.a, c.b);
    INFO("n1=" << c.a.size() << " n2=" << c.b.size() << " U=" << r.u << " p=" << r.p);
    CHECK(r.u == Approx(c.u));
    CHECK(r.p == Approx(c.p).epsilon(1e-9));
    CHECK(r.exact == c.exact);
  }
}

// P(U <= u) by listing every way to split n1 + n2 distinct values.
double BruteForceTwoSidedP(int n1, int n2, double u_observed) {
  const int n = n1 + n2;
  int count = 0, total = 0;
  for (unsigned mask = 0; mask < (1u << n); ++mask) {
    if (__builtin_popcount(mask) != n1) continue;
    ++total;
    double u = 0;  // pairs (a, b) with a > b; value i is rank i
    for (int i = 0; i < n; ++i) {
      if (!(mask >> i & 1)) continue;
      for (int j = 0; j < i; ++j) u += !(mask >> j & 1);
    }
    count += std::min(u, double(n1) * n2 - u) <= u_observed;
  }
  return std::min(1.0, double(count) / total);
}

TEST_CASE("the exact U distribution equals enumeration", "[compare][statistics]") {
  for (int n1 = 1; n1 <= 6; ++n1) {
    for (int n2 = 1; n2 <= 6; ++n2) {
      std::vector<double> a, b;  // a takes the first values, then alternate
      for (int i = 0; i < n1 + n2; ++i) ((i % 3 == 1 && int(b.size()) < n2) || int(a.size()) == n1 ? b : a).push_back(i);
      const MannWhitney r = MannWhitneyU(a, b);
      REQUIRE(r.exact);
      const double u_low = std::min(r.u, double(n1) * n2 - r.u);
      INFO(n1 << " x " << n2 << " U=" << r.u);
      CHECK(r.p == Approx(BruteForceTwoSidedP(n1, n2, u_low)).epsilon(1e-12));
    }
  }
  CHECK(SmallestExactP(3, 3) == Approx(0.1));
  CHECK(SmallestExactP(9, 9) == Approx(2.0 / 48620));
}

TEST_CASE("McNemar's exact test equals the binomial test", "[compare][statistics]") {
  CHECK(McNemarExactP(0, 6) == Approx(0.03125));
  CHECK(McNemarExactP(3, 10) == Approx(0.09228515625));
  CHECK(McNemarExactP(12, 12) == 1.0);
  CHECK(McNemarExactP(1, 0) == 1.0);
  CHECK(McNemarExactP(0, 0) == 1.0);
  CHECK(McNemarExactP(40, 62) == Approx(0.03706676744).epsilon(1e-9));
  CHECK_THROWS_WITH(McNemarExactP(-1, 2), Contains("negative"));
}

// A Google Benchmark JSON report: each benchmark's repetitions (ms) and their aggregates.
json Report(const std::vector<std::pair<std::string, std::vector<double>>>& runs) {
  json benchmarks = json::array();
  for (const auto& [name, times] : runs) {
    for (size_t i = 0; i < times.size(); ++i) {
      benchmarks.push_back({{"name", name}, {"run_name", name}, {"run_type", "iteration"},
                            {"repetitions", times.size()}, {"repetition_index", i},
                            {"real_time", times[i]}, {"time_unit", "ms"}});
    }
    benchmarks.push_back({{"name", name + "_median"}, {"run_name", name},
                          {"run_type", "aggregate"}, {"aggregate_name", "median"},
                          {"real_time", 1e9}, {"time_unit", "ms"}});  // must be ignored
  }
  return {{"context", json::object()}, {"benchmarks", benchmarks}};
}

// n noisy repetitions around `ms` (a fixed +-1% pattern).
std::vector<double> Times(double ms, int n) {
  std::vector<double> t;
  for (int i = 0; i < n; ++i) t.push_back(ms * (1 + 0.01 * std::sin(1.7 * i)));
  return t;
}

TEST_CASE("the regression gate flags a significant slowdown beyond its threshold",
          "[compare][bench]") {
  const json base = Report({{"matmul/a", Times(10, 9)}, {"attention/b", Times(5, 9)},
                            {"rope/c", Times(1, 9)}, {"gone", Times(1, 9)}});
  const json same = Report({{"matmul/a", Times(10, 9)}, {"attention/b", Times(5, 9)},
                            {"rope/c", Times(1, 9)}, {"added", Times(1, 9)}});
  const BenchComparison aa = CompareBench(base, "base.json", same, "new.json", {});
  CHECK_FALSE(aa.Regressed());
  REQUIRE(aa.rows.size() == 3);
  for (const BenchDelta& d : aa.rows) CHECK(d.verdict == Verdict::kSame);
  CHECK(aa.only_base == std::vector<std::string>{"gone"});
  CHECK(aa.only_new == std::vector<std::string>{"added"});

  // matmul 20% slower, attention 3% slower (significant but within 5%), rope 20% faster.
  const json changed = Report({{"matmul/a", Times(12, 9)}, {"attention/b", Times(5.15, 9)},
                               {"rope/c", Times(0.8, 9)}});
  const BenchComparison ab = CompareBench(base, "base.json", changed, "new.json", {});
  CHECK(ab.Regressed());
  CHECK(ab.rows[0].verdict == Verdict::kSlower);
  CHECK(ab.rows[0].change == Approx(0.2).epsilon(0.01));
  CHECK(ab.rows[0].p < 1e-3);
  CHECK(ab.rows[1].verdict == Verdict::kSame);
  CHECK(ab.rows[1].p < 0.05);
  CHECK(ab.rows[2].verdict == Verdict::kFaster);

  // A per-prefix threshold of 25% forgives the matmul slowdown.
  BenchCompareOptions lenient;
  lenient.thresholds = {{"matmul", 0.25}, {"matmul/x", 0.01}};
  CHECK_FALSE(CompareBench(base, "base.json", changed, "new.json", lenient).Regressed());

  // Three repetitions a side can never reach p < 0.05: reported, never failing.
  const BenchComparison few = CompareBench(Report({{"matmul/a", Times(10, 3)}}), "base.json",
                                           Report({{"matmul/a", Times(20, 3)}}), "new.json", {});
  CHECK(few.rows[0].verdict == Verdict::kTooFewRepetitions);
  CHECK_FALSE(few.Regressed());

  const json printed = BenchComparisonJson(ab, json::object());
  CHECK(printed["kind"] == "benchmark-comparison");
  CHECK(printed["schema_version"] == 1);
  CHECK(printed["regressed"] == true);
  CHECK_THAT(BenchComparisonTable(ab), Contains("slower") && Contains("matmul/a"));
  CHECK_THAT(BenchComparisonMarkdown(ab), Contains("| `matmul/a` |") && Contains("**slower**"));
}

TEST_CASE("instruction counts are compared by their threshold alone", "[compare][bench]") {
  auto counts = [](double matmul, double rope) {
    json benchmarks = json::array();
    benchmarks.push_back({{"name", "matmul/a"}, {"run_type", "iteration"}, {"instructions", matmul}});
    benchmarks.push_back({{"name", "rope/b"}, {"run_type", "iteration"}, {"instructions", rope}});
    return json{{"benchmarks", benchmarks}};
  };
  BenchCompareOptions options;
  options.metric = BenchMetric::kInstructions;
  const BenchComparison same = CompareBench(counts(1e6, 2e5), "a", counts(1e6, 2e5), "b", options);
  CHECK_FALSE(same.Regressed());
  const BenchComparison slower = CompareBench(counts(1e6, 2e5), "a", counts(1.2e6, 2.02e5), "b", options);
  CHECK(slower.Regressed());
  CHECK(slower.rows[0].verdict == Verdict::kSlower);  // one sample each: no test needed
  CHECK(slower.rows[1].verdict == Verdict::kSame);    // +1%: within 5%
  CHECK(BenchComparisonJson(slower, json::object())["rows"][0]["p"].is_null());
  CHECK_THROWS_WITH(CompareBench(Report({{"a", Times(1, 3)}}), "t.json", counts(1, 1), "c.json", options),
                    Contains("t.json") && Contains("no instruction count"));
}

TEST_CASE("a report that is not a benchmark report is named", "[compare][bench][errors]") {
  const json good = Report({{"a", Times(1, 5)}});
  CHECK_THROWS_WITH(CompareBench(json::object(), "x.json", good, "y.json", {}),
                    Contains("x.json") && Contains("benchmarks"));
  json no_time = good;
  no_time["benchmarks"][0].erase("real_time");
  CHECK_THROWS_WITH(CompareBench(good, "x.json", no_time, "y.json", {}),
                    Contains("y.json") && Contains("'a'") && Contains("real_time"));
  json bad_unit = good;
  bad_unit["benchmarks"][0]["time_unit"] = "fortnights";
  CHECK_THROWS_WITH(CompareBench(bad_unit, "x.json", good, "y.json", {}),
                    Contains("x.json") && Contains("fortnights"));
}

// An evaluation report of one two-choice task: per document (gold, prediction, LLs).
json EvalReport(const std::vector<std::tuple<int, int, double, double>>& docs,
                const std::string& sha = "abc") {
  json documents = json::array();
  for (size_t i = 0; i < docs.size(); ++i) {
    const auto& [gold, pred, ll0, ll1] = docs[i];
    documents.push_back({{"index", i}, {"gold", gold}, {"loglikelihoods", {ll0, ll1}},
                         {"predictions", {{"acc", pred}}}});
  }
  return {{"kind", "evaluation"}, {"schema_version", 1}, {"provenance", {{"model_sha256", sha}}},
          {"tasks", {{"piqa", {{"protocol", "p1"}, {"shots", 0}, {"data_files", json::array()}}}}},
          {"documents", {{"piqa", documents}}}};
}

TEST_CASE("evaluation reports compare by McNemar, agreement and log-likelihoods",
          "[compare][evals]") {
  // 20 documents, gold 0. A right on all; B wrong on documents 0..5 (6 discordant pairs,
  // all one way): McNemar p = 2 * 0.5^6 = 0.03125.
  std::vector<std::tuple<int, int, double, double>> a_docs, b_docs;
  for (int i = 0; i < 20; ++i) {
    a_docs.push_back({0, 0, -1.0, -2.0});
    b_docs.push_back({0, i < 6 ? 1 : 0, i < 6 ? -2.5 : -1.0, -2.0 + 0.001 * i});
  }
  const EvalComparison c = CompareEvals(EvalReport(a_docs), "a.json", EvalReport(b_docs), "b.json", {});
  REQUIRE(c.tasks.size() == 1);
  const TaskComparison& t = c.tasks[0];
  REQUIRE(t.metrics.size() == 1);
  const MetricComparison& m = t.metrics[0];
  CHECK(m.acc_a == Approx(1.0));
  CHECK(m.acc_b == Approx(0.7));
  CHECK(m.only_a_right == 6);
  CHECK(m.only_b_right == 0);
  CHECK(m.p == Approx(0.03125));
  CHECK(m.identical == Approx(0.7));
  CHECK(m.flipped.size() == 6);
  CHECK(t.ll_max == Approx(1.5));
  CHECK(t.choices == 40);
  CHECK(c.Failed());
  EvalCompareOptions strict;
  strict.alpha = 0.01;  // p = 0.031 is not significant at 1%
  CHECK_FALSE(CompareEvals(EvalReport(a_docs), "a", EvalReport(b_docs), "b", strict).Failed());
  strict.max_ll_diff = 1.0;  // but a choice moved by 1.5
  CHECK(CompareEvals(EvalReport(a_docs), "a", EvalReport(b_docs), "b", strict).Failed());
  CHECK_THAT(EvalComparisonTable(c, true), Contains("| piqa | acc | 20 | 100.00 | 70.00 | -30.00 |"));
  CHECK(EvalComparisonJson(c, json::object())["tasks"]["piqa"]["metrics"]["acc"]["flipped"].size() == 6);
}

TEST_CASE("evaluation reports of different models or data are refused", "[compare][evals][errors]") {
  const std::vector<std::tuple<int, int, double, double>> docs = {{0, 0, -1, -2}};
  CHECK_THROWS_WITH(CompareEvals(EvalReport(docs, "abc"), "a.json", EvalReport(docs, "xyz"), "b.json", {}),
                    Contains("model_sha256") && Contains("a.json") && Contains("b.json"));
  json other_protocol = EvalReport(docs);
  other_protocol["tasks"]["piqa"]["protocol"] = "p2";
  CHECK_THROWS_WITH(CompareEvals(EvalReport(docs), "a.json", other_protocol, "b.json", {}),
                    Contains("tasks.piqa.protocol"));
  json newer = EvalReport(docs);
  newer["schema_version"] = 2;
  CHECK_THROWS_WITH(CompareEvals(newer, "new.json", EvalReport(docs), "b.json", {}),
                    Contains("new.json") && Contains("schema_version 2") && Contains("newer"));
  CHECK_THROWS_WITH(CompareEvals(json::object(), "x.json", EvalReport(docs), "b.json", {}),
                    Contains("x.json") && Contains("not a gemmeter evaluation report"));
}

}  // namespace
}  // namespace gemmeter::reports
