// Suites (suites/suite.h, suite_report.h): the suite file's checks, each step's command
// line, and the combined report and suite comparison built from report files. Running a
// suite end to end is tests/cli_suite.sh (the default model) and, on Slurm,
// tests/slurm_suite.sh.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>

#include "engine/build_config.h"
#include "engine/core/error.h"
#include "reports/report_io.h"
#include "suites/suite.h"
#include "suites/suite_report.h"

namespace gemmeter::suites {
namespace {

namespace fs = std::filesystem;
using Catch::Matchers::Contains;
using nlohmann::json;
using Strings = std::vector<std::string>;

json OneRun(json run) { return {{"name", "s"}, {"runs", json::array({run})}}; }

TEST_CASE("suite files: every mistake names the file and the field", "[suite]") {
  const json good = {{"name", "r"}, {"backend", "onednn"}, {"tasks", {{{"task", "piqa"}}}}};
  CHECK_NOTHROW(ParseSuite(OneRun(good), "s.json"));
  struct Case {
    json suite;
    std::string message;
  };
  auto with = [&](const char* key, json value) {
    json run = good;
    run[key] = value;
    return OneRun(run);
  };
  const Case cases[] = {
      {json::array(), "s.json: a suite file is a JSON object"},
      {{{"runs", json::array()}}, "\"runs\" must be a non-empty array"},
      {{{"runs", {good}}, {"layers", "quick"}}, "s.json: unknown field \"layers\""},
      {with("weigths", "f32"), "runs[0]: unknown field \"weigths\""},
      {with("name", "a/b"), "runs[0].name: \"a/b\" must be letters"},
      {with("name", ".."), "runs[0].name: \"..\" must be letters"},
      {with("weights", "q4"), "runs[0].weights: \"q4\" is not one of auto, native, f32, bf16"},
      {with("bench", "fast"), "runs[0].bench: \"fast\" is not one of none, quick, full"},
      {with("threads", -1), "runs[0].threads: expected an integer >= 0, got -1"},
      {with("shards", 0), "runs[0].shards: expected an integer >= 1, got 0"},
      {with("tasks", {{{"task", "winogrande"}}}), "unknown task 'winogrande'"},
      {with("tasks", {{{"task", "piqa"}, {"limit", -5}}}), "runs[0].tasks[0].limit: expected an integer >= 0"},
      {with("tasks", {{{"task", "piqa"}}, {{"task", "piqa"}}}), "runs[0].tasks[1]: task piqa is listed twice"},
      {with("tasks", json::array()), "runs[0]: the run has neither tasks nor a bench"},
      {{{"runs", {good, good}}}, "runs[1]: the name \"r\" is used twice"},
  };
  for (const Case& c : cases) {
    INFO(c.suite.dump());
    CHECK_THROWS_WITH(ParseSuite(c.suite, "s.json"), Contains(c.message));
  }
}

TEST_CASE("the example suite files parse", "[suite]") {
  const fs::path examples = fs::path(GEMMETER_SOURCE_ROOT) / "suites" / "examples";
  int files = 0;
  for (const auto& e : fs::directory_iterator(examples)) {
    INFO(e.path());
    const Suite suite = ReadSuite(e.path().string());
    CHECK(!suite.runs.empty());
    ++files;
  }
  CHECK(files >= 1);
}

TEST_CASE("suite steps are gemmeter command lines", "[suite]") {
  Suite suite = ParseSuite({{"name", "s"},
                            {"data_dir", "/data"},
                            {"layer_benchmarks", "quick"},
                            {"runs",
                             {{{"name", "cpu"},
                               {"model", "m.gguf"},
                               {"backend", "onednn"},
                               {"weights", "f32"},
                               {"threads", 2},
                               {"tasks", {{{"task", "mmlu"}, {"limit", 3}, {"shots", 1}}}},
                               {"bench", "full"},
                               {"shards", 4}}}}},
                           "s.json");
  const SuiteRun& run = suite.runs[0];
  const SuiteTask& task = run.tasks[0];
  CHECK(EvalCommand("g", suite, run, task, "out") ==
        Strings{"g", "--threads", "2", "eval", "--tasks", "mmlu", "--model", "m.gguf", "--backend",
                "onednn", "--weights", "f32", "--limit", "3", "--shots", "1", "--data-dir", "/data",
                "-o", "out/cpu/mmlu.json"});
  const Strings shard = EvalCommand("g", suite, run, task, "out", 4, "$I");
  CHECK(Strings(shard.end() - 4, shard.end()) ==
        Strings{"--shard", "$I/4", "-o", "out/cpu/mmlu.shard-$I-of-4.json"});
  CHECK(MergeCommand("g", "out", run, task, 2) ==
        Strings{"g", "merge", "out/cpu/mmlu.shard-0-of-2.json", "out/cpu/mmlu.shard-1-of-2.json",
                "-o", "out/cpu/mmlu.json"});
  CHECK(BenchCommand("g", suite, run, "out") ==
        Strings{"g", "--threads", "2", "bench", "--model", "m.gguf", "--backend", "onednn",
                "--weights", "f32", "-p", "512", "-n", "128", "-r", "5", "--out",
                "out/cpu/bench.json"});
  CHECK(LayerBenchCommand("gb", suite, "out") ==
        Strings{"gb", "--profile", "quick", "--report", "out/layers.json"});
}

// Writes `report` to `path`, creating its folder.
void Write(const fs::path& path, const json& report) {
  fs::create_directories(path.parent_path());
  std::ofstream(path) << report.dump();
}

TEST_CASE("the suite report summarizes runs, compares runs on the same data, lists what is missing",
          "[suite]") {
  const fs::path out = fs::temp_directory_path() / "gemmeter_test_suite";
  fs::remove_all(out);
  // The fixture report (its per-document records left out) with 20 documents of PIQA.
  json eval = reports::ReadReport(
      std::string(GEMMETER_SOURCE_ROOT) + "/tests/fixtures/reports/evaluation.json", {"evaluation"});
  eval["tasks"].erase("mmlu");
  for (int i = 0; i < 20; ++i) {
    eval["documents"]["piqa"].push_back(
        {{"index", i}, {"gold", i % 2}, {"loglikelihoods", {-1.0 - i, -2.0}},
         {"token_counts", {3, 4}}, {"choice_characters", {10, 12}}, {"greedy", {false, false}},
         {"predictions", {{"acc", i % 2}, {"acc_norm", 0}}}});
  }
  const Suite suite = ParseSuite(
      {{"name", "s"},
       {"runs",
        {{{"name", "a"}, {"backend", "onednn"}, {"tasks", {{{"task", "piqa"}, {"limit", 200}}}}},
         {{"name", "b"}, {"backend", "reference"}, {"tasks", {{{"task", "piqa"}, {"limit", 200}}}}},
         {{"name", "c"}, {"backend", "reference"}, {"tasks", {{{"task", "piqa"}, {"limit", 200}}}},
          {"bench", "quick"}}}}},
      "s.json");
  Write(out / "a" / "piqa.json", eval);
  Write(out / "b" / "piqa.json", eval);  // c has run nothing yet
  const json provenance = reports::ReadReport(std::string(GEMMETER_SOURCE_ROOT) +
                                                  "/tests/fixtures/reports/evaluation-comparison.json",
                                              {"evaluation-comparison"})["provenance"];
  json p = provenance;
  p.erase("inputs");
  p["suite_file"] = "s.json";
  const json report = SuiteReportJson(suite, out.string(), p);
  CHECK_NOTHROW(reports::CheckReport(report, "suite report"));
  REQUIRE(report["runs"].size() == 3);
  const json& a = report["runs"][0]["evaluations"][0];
  CHECK(a["missing"] == false);
  CHECK(a["report"] == "a/piqa.json");
  CHECK(a["metrics"] == eval["tasks"]["piqa"]["metrics"]);
  CHECK(report["runs"][2]["evaluations"][0]["missing"] == true);
  CHECK(report["runs"][2]["throughput"]["missing"] == true);
  REQUIRE(report["comparisons"].size() == 1);  // a and b; c has no report
  const json& c = report["comparisons"][0];
  CHECK(c["a"] == "a");
  CHECK(c["b"] == "b");
  CHECK(c["failed"] == false);
  for (const json& m : c["metrics"]) CHECK(m["identical"] == 1.0);

  // Two suites' results: the same reports pass; a report missing from the new one fails.
  Write(out / "suite.json", report);
  const fs::path next = fs::temp_directory_path() / "gemmeter_test_suite_next";
  fs::remove_all(next);
  fs::copy(out, next, fs::copy_options::recursive);
  CHECK_FALSE(CompareSuites(out.string(), next.string()).Failed());
  fs::remove(next / "b" / "piqa.json");
  const SuiteComparison broken = CompareSuites(out.string(), next.string());
  CHECK(broken.Failed());
  CHECK_THAT(SuiteComparisonTable(broken), Contains("b/piqa") && Contains("missing"));
  fs::remove_all(out);
  fs::remove_all(next);
}

}  // namespace
}  // namespace gemmeter::suites
