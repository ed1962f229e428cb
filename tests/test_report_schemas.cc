// The report schemas embedded in the build (reports/schemas/): each is a schema in the
// validator's subset, documents every field, accepts a minimal report of its kind written
// by hand and names the field a broken one breaks; and the reports the project's own
// writers produce (EvalReportJson, the comparison printers, BenchmarkReportJson) validate.
#include <catch2/catch.hpp>
#include <fmt/format.h>

#include <algorithm>
#include <limits>
#include <set>
#include <string>
#include <vector>

#include "evals/runner.h"
#include "reports/bench_compare.h"
#include "reports/benchmark_report.h"
#include "reports/eval_compare.h"
#include "reports/eval_report.h"
#include "reports/json_schema.h"
#include "reports/provenance.h"

namespace gemmeter::reports {
namespace {

using Catch::Matchers::Contains;
using nlohmann::json;


using Strings = std::vector<std::string>;

// ---------------------------------------------------------------- the embedded schemas

const Strings kKinds = {"benchmark", "benchmark-comparison", "evaluation", "evaluation-comparison",
                        "suite"};

// Walks a schema for what users read it for: every property described, every required
// field among the documented properties (its own, or its $ref's; an anyOf alternative's
// among its parent's), and no closed object (readers ignore unknown fields, so writers may
// add fields without a new schema_version).
void CheckDocumented(const json& s, const json& root, const std::string& where,
                     const std::set<std::string>& inherited) {
  if (!s.is_object()) return;
  INFO(where);
  CHECK(s.value("additionalProperties", json(true)) != json(false));
  std::set<std::string> documented = inherited;
  const json* target = &s;  // the definition a $ref names ("#/$defs/<name>")
  if (s.contains("$ref")) target = &root.at("$defs").at(s["$ref"].get<std::string>().substr(8));
  // (Copies: items() of a temporary would dangle in a range-for.)
  const json properties = s.value("properties", json::object());
  const json target_properties = target->value("properties", json::object());
  for (const json* props : {&properties, &target_properties}) {
    for (const auto& [name, unused] : props->items()) documented.insert(name);
  }
  for (const json& name : s.value("required", json::array())) CHECK(documented.count(name.get<std::string>()) == 1);
  for (const auto& [name, sub] : properties.items()) {
    INFO(name);
    CHECK_FALSE(sub.value("description", "").empty());
    CheckDocumented(sub, root, where + "/properties/" + name, {});
  }
  for (const char* key : {"additionalProperties", "items"}) {
    if (s.contains(key)) CheckDocumented(s[key], root, where + "/" + key, {});
  }
  for (const json& alternative : s.value("anyOf", json::array())) CheckDocumented(alternative, root, where + "/anyOf", documented);
}

TEST_CASE("every embedded schema is a documented schema of its kind", "[json_schema]") {
  CHECK(ReportKinds() == kKinds);
  CHECK(ReportSchema("gemmeter-eval-records") == nullptr);
  CHECK(ReportSchemaVersion("nope") == 0);
  for (const std::string& kind : kKinds) {
    INFO(kind);
    const json* schema = ReportSchema(kind);
    REQUIRE(schema != nullptr);
    CHECK(ReportSchemaVersion(kind) == 1);
    // In the validator's subset: checked whole before any document is looked at.
    CHECK_NOTHROW(ValidateJson(*schema, json::object()));
    CHECK_FALSE(schema->value("title", "").empty());
    CHECK_FALSE(schema->value("description", "").empty());
    const json required = schema->value("required", json::array());
    CHECK(std::find(required.begin(), required.end(), "schema_version") != required.end());
    CHECK(std::find(required.begin(), required.end(), "kind") != required.end());
    CHECK(schema->at("properties").at("kind").at("const") == kind);
    CHECK(schema->at("properties").at("schema_version").at("const") == 1);
    CheckDocumented(*schema, *schema, "#", {});
    for (const auto& [name, def] : schema->at("$defs").items()) {
      INFO(name);
      CHECK_FALSE(def.value("description", "").empty());
      CheckDocumented(def, *schema, "#/$defs/" + name, {});
    }
    // Each file is self-contained; the provenance every report shares is the same in all.
    for (const char* common : {"build_and_machine", "sha256"}) {
      CHECK(schema->at("$defs").at(common) == ReportSchema("benchmark")->at("$defs").at(common));
    }
  }
}

json Common() {
  return json::parse(R"({"gemmeter_version": "0.1.0", "git_commit": "0123abc-dirty",
      "build_type": "release", "compiler": "gcc 12.2.0", "compiler_flags": "-O3 -std=c++20",
      "libraries": "fmt 9.1.0", "cpu_model": "AMD EPYC", "cpu_cores": 2, "kernel_isa": "avx512",
      "date": "2026-11-29T13:20:00Z"})");
}

const std::string kSha(64, 'a');

// The smallest valid report of each kind, written by hand from the specification.
json MinimalReport(const std::string& kind) {
  json r = {{"schema_version", 1}, {"kind", kind}, {"provenance", Common()}};
  json input = {{"path", "a.json"}, {"kind", ""}, {"git_commit", ""}, {"date", ""}};
  if (kind == "evaluation") {
    // (A delimiter of its own: the text holds `)"`.)
    r["provenance"].update(json::parse(R"j({"model": "m.gguf", "model_parameters": 268098176,
        "backend": "onednn", "backend_description": "onednn (oneDNN 2.6.3)", "weights": "native",
        "weight_dtypes": "q4_k (90), f32 (37)", "threads": 2, "batch_tokens": 1024,
        "data_dir": "/data", "wall_seconds": 43.9, "command": "gemmeter eval"})j"));
    r["provenance"]["model_sha256"] = kSha;
    r["tasks"]["piqa"] = json::parse(R"({"summary": "PIQA", "protocol": "p", "shots": 0,
        "limit": 0, "docs": 1, "resumed_docs": 0, "records": "r.jsonl",
        "metrics": {"acc": {"value": 1, "stderr": 0}}, "work": {"block_tokens": 10,
        "scored_rows": 4, "forward_passes": 1, "flops": 1e9, "seconds": 0.5,
        "docs_per_second": 2, "gflops_per_second": 2}})");
    r["documents"]["piqa"] = json::parse(R"([{"index": 0, "gold": 0, "loglikelihoods": [-1.5, -2],
        "token_counts": [3, 4], "choice_characters": [10, 12], "greedy": [false, true],
        "predictions": {"acc": 0}}])");
  } else if (kind == "benchmark") {
    r["provenance"].update(json::parse(R"({"command": "gemmeter_bench", "threads": 2,
        "backends": ["onednn"], "backend_versions": {"onednn": "2.6.3"}})"));
    r["profile"] = "quick";
    r["devices"]["cpu"] = json::parse(R"({"name": "AMD EPYC", "cores": 2, "peaks": {
        "f32_gflops": 223.1, "f32_impl": "brg", "bf16_gflops": null, "bf16_impl": "",
        "read_bandwidth_gbs": 48.7}})");
    r["benchmarks"] = json::parse(R"([
        {"name": "add/x", "run_name": "add/x", "run_type": "iteration", "repetitions": 1,
         "iterations": 10, "real_time": 2.5, "time_unit": "us", "flop_frac": null},
        {"name": "add/y", "run_name": "add/y", "run_type": "iteration", "repetitions": 1,
         "iterations": 1, "real_time": 0, "time_unit": "ns", "instructions": 2055.0}])");
  } else if (kind == "benchmark-comparison") {
    r["provenance"].update({{"command", "gemmeter compare bench"}, {"inputs", {{"base", input}, {"new", input}}}});
    r.update(json::parse(R"({"metric": "real_time_ns", "alpha": 0.05, "threshold": 0.05,
        "regressed": false, "only_base": [], "only_new": ["b"], "rows": [{"name": "a",
        "base_repetitions": 9, "new_repetitions": 9, "base_median": 10, "new_median": 10.1,
        "change": 0.01, "p": 0.4, "exact": true, "threshold": 0.05, "verdict": "same"}]})"));
  } else if (kind == "suite") {
    r["provenance"].update({{"command", "gemmeter suite run s.json --out r"}, {"suite_file", "s.json"}});
    r.update(json::parse(R"({"name": "s", "layer_benchmarks": null, "comparisons": [
        {"task": "piqa", "a": "x", "b": "y", "failed": false, "metrics": [{"metric": "acc",
         "a": 0.5, "b": 0.5, "identical": 1, "mcnemar_p": 1}]}],
        "runs": [{"name": "x", "model": "", "backend": "onednn", "weights": "auto", "threads": 0,
         "throughput": null, "evaluations": [{"task": "piqa", "limit": 0, "report": "x/piqa.json",
         "missing": false, "docs": 2, "metrics": {"acc": {"value": 0.5, "stderr": 0.5}}}]}]})"));
  } else {
    r["provenance"].update({{"command", "gemmeter compare evals"}, {"inputs", {{"a", input}, {"b", input}}}});
    r.update(json::parse(R"({"alpha": 0.05, "failed": false, "tasks": {"piqa": {"docs": 2,
        "only_a": 0, "only_b": 1, "loglikelihood_abs_diff": {"choices": 4, "max": 0.1,
        "p99": 0.1, "mean": 0.01}, "metrics": {"acc": {"acc_a": 0.5, "acc_b": 1,
        "only_a_right": 0, "only_b_right": 1, "mcnemar_p": 1, "identical": 0.5,
        "flipped": ["1"]}}}}})"));
  }
  return r;
}

TEST_CASE("each schema accepts a minimal report and names what a broken one breaks", "[json_schema]") {
  for (const std::string& kind : kKinds) {
    INFO(kind);
    CHECK(ValidateJson(*ReportSchema(kind), MinimalReport(kind)) == Strings{});
    CHECK(ValidateJson(*ReportSchema(kind), json::array()) == Strings{"(root): expected object, got array"});
  }
  struct Case {
    std::string kind, pointer;
    json value;  // null: remove the field
    std::string violation;
  };
  const Case cases[] = {
      {"evaluation", "/provenance/model_sha256", nullptr, "provenance.model_sha256: required field missing"},
      {"evaluation", "/provenance/kernel_isa", nullptr, "provenance.kernel_isa: required field missing"},
      {"evaluation", "/provenance/kernel_isa", "sse2", R"(provenance.kernel_isa: expected one of ["portable","avx2","avx512"], got "sse2")"},
      {"evaluation", "/provenance/model_sha256", "ABC", R"(provenance.model_sha256: "ABC" does not match the pattern ^[0-9a-f]{64}$)"},
      {"evaluation", "/provenance/date", "2026-11-29 13:20", R"(provenance.date: "2026-11-29 13:20" does not match the pattern ^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z$)"},
      {"evaluation", "/provenance/cpu_cores", 2.5, "provenance.cpu_cores: expected integer, got number"},
      {"evaluation", "/documents/piqa/0/gold", "1", "documents.piqa[0].gold: expected integer, got string"},
      {"evaluation", "/documents/piqa/0/greedy/1", 1, "documents.piqa[0].greedy[1]: expected boolean, got integer"},
      {"evaluation", "/tasks/piqa/metrics/acc/value", 1.5, "tasks.piqa.metrics.acc.value: 1.5 is more than the maximum 1"},
      {"evaluation", "/tasks/piqa/work/seconds", nullptr, "tasks.piqa.work.seconds: required field missing"},
      {"evaluation", "/schema_version", 2, "schema_version: expected 1, got 2"},
      {"evaluation", "/documents", nullptr, "documents: required field missing"},
      {"benchmark", "/kind", "evaluation", R"(kind: expected "benchmark", got "evaluation")"},
      {"benchmark", "/benchmarks/0/real_time", nullptr, "benchmarks[0].real_time: required field missing"},
      {"benchmark", "/benchmarks/1/iterations", nullptr, "benchmarks[1].iterations: required field missing"},
      {"benchmark", "/benchmarks/0/time_unit", "fortnights", R"(benchmarks[0].time_unit: expected one of ["ns","us","ms","s"], got "fortnights")"},
      {"benchmark", "/benchmarks/1/run_type", "repetition", R"(benchmarks[1].run_type: expected one of ["iteration","aggregate"], got "repetition")"},
      {"benchmark", "/benchmarks/1/instructions", "2055", "benchmarks[1].instructions: expected number or null, got string"},
      {"benchmark", "/devices/cpu/peaks/f32_gflops", "223", "devices.cpu.peaks.f32_gflops: expected number or null, got string"},
      {"benchmark", "/devices/cpu", nullptr, "devices.cpu: required field missing"},
      {"benchmark", "/provenance/backend_versions/onednn", 2, "provenance.backend_versions.onednn: expected string, got integer"},
      {"benchmark", "/provenance/backends", nullptr, "provenance.backends: required field missing"},
      {"benchmark-comparison", "/rows/0/verdict", "slow", R"(rows[0].verdict: expected one of ["slower","faster","same","too few repetitions"], got "slow")"},
      {"benchmark-comparison", "/rows/0/p", "0.4", "rows[0].p: expected number or null, got string"},
      {"benchmark-comparison", "/provenance/inputs/new", nullptr, "provenance.inputs.new: required field missing"},
      {"benchmark-comparison", "/metric", "time", R"(metric: expected one of ["real_time_ns","instructions"], got "time")"},
      {"benchmark-comparison", "/regressed", nullptr, "regressed: required field missing"},
      {"evaluation-comparison", "/tasks/piqa/metrics/acc/flipped/0", 1, "tasks.piqa.metrics.acc.flipped[0]: expected string, got integer"},
      {"evaluation-comparison", "/tasks/piqa/loglikelihood_abs_diff/p99", nullptr, "tasks.piqa.loglikelihood_abs_diff.p99: required field missing"},
      {"evaluation-comparison", "/provenance/inputs/a", nullptr, "provenance.inputs.a: required field missing"},
      {"evaluation-comparison", "/failed", "no", "failed: expected boolean, got string"},
  };
  for (const Case& c : cases) {
    INFO(c.kind << " " << c.pointer);
    json doc = MinimalReport(c.kind);
    const json::json_pointer at(c.pointer);
    if (c.value.is_null()) {
      doc[at.parent_pointer()].erase(at.back());
    } else {
      doc[at] = c.value;
    }
    CHECK(ValidateJson(*ReportSchema(c.kind), doc) == Strings{c.violation});
  }
}

// ---------------------------------------------------------------- reports the code writes

Strings Validate(const json& report) {
  const json* schema = ReportSchema(report.value("kind", ""));
  REQUIRE(schema != nullptr);
  return ValidateJson(*schema, report);
}

// As cli/eval_command.cc builds it.
json EvalProvenance() {
  json p = BuildAndMachine();
  p.update({{"model", "/models/gemma-3-270m-q4_k_m.gguf"}, {"model_sha256", kSha},
            {"model_parameters", int64_t{268098176}}, {"backend", "onednn"},
            {"backend_description", "onednn (oneDNN 2.6.3, 2 OpenMP threads)"},
            {"weights", "native"}, {"weight_dtypes", "q4_k (90), q6_k (10), f32 (27)"},
            {"threads", 2}, {"batch_tokens", int64_t{1024}}, {"data_dir", "/data"},
            {"wall_seconds", 1.25}, {"command", "gemmeter eval --tasks piqa,mmlu"}});
  return p;
}

// A finished task run over hand-made document results; `flip` makes every other document
// pick the other choice.
evals::TaskRun Run(const std::string& task, bool flip) {
  evals::TaskRun run;
  run.task = &evals::FindTask(task);
  run.limit = 4;
  run.shots = run.task->per_subject ? 5 : 0;
  for (int64_t i = 0; i < 4; ++i) {
    evals::DocResult d;
    d.index = i + 100;
    if (run.task->per_subject) d.subject = i < 2 ? "anatomy" : "astronomy";
    d.gold = static_cast<int>(i % 2);
    const bool right = !(flip && i % 2 == 1);
    d.choices = {{right == (d.gold == 0) ? -1.0 : -3.0, 3, 10, true},
                 {right == (d.gold == 1) ? -1.5 : -3.5, 4, 12, false}};
    run.docs.push_back(d);
  }
  if (run.task->per_subject) run.subjects = {"anatomy", "astronomy"};
  run.scores = evals::ComputeScores(*run.task, run.docs);
  run.data_files = {{std::string(task) + "/data.jsonl", kSha}};
  run.stats = {.block_tokens = 100, .scored_rows = 16, .forward_passes = 1};
  run.flops = 1e9;
  run.seconds = 0.25;
  return run;
}

TEST_CASE("evaluation reports written by EvalReportJson validate", "[json_schema]") {
  CHECK(Validate(EvalReportJson({}, EvalProvenance(), "out.records.jsonl")) == Strings{});
  const json report = EvalReportJson({Run("piqa", false), Run("mmlu", false)}, EvalProvenance(), "r.jsonl");
  REQUIRE(report["documents"]["mmlu"].size() == 4);
  CHECK(Validate(report) == Strings{});
  // What an older gemmeter wrote before kernel_isa and compiler_flags: named, not accepted.
  json old = report;
  old["provenance"].erase("kernel_isa");
  old["provenance"].erase("compiler_flags");
  CHECK(Validate(old) == Strings{"provenance.compiler_flags: required field missing",
                                 "provenance.kernel_isa: required field missing"});
}

TEST_CASE("comparisons written by the compare printers validate", "[json_schema]") {
  const json a = EvalReportJson({Run("piqa", false), Run("mmlu", false)}, EvalProvenance(), "a.jsonl");
  const json b = EvalReportJson({Run("piqa", true), Run("mmlu", true)}, EvalProvenance(), "b.jsonl");
  const EvalComparison evals = CompareEvals(a, "a.json", b, "b.json", {});
  REQUIRE(evals.tasks.size() == 2);
  const json eval_provenance = ComparisonProvenance("gemmeter compare evals a.json b.json",
                                                    {{"a", "a.json"}, {"b", "b.json"}}, {&a, &b});
  const json eval_json = EvalComparisonJson(evals, eval_provenance);
  REQUIRE(eval_json["tasks"]["piqa"]["metrics"]["acc"]["flipped"].size() == 2);
  CHECK(Validate(eval_json) == Strings{});

  // Google Benchmark reports (no provenance of their own): 5 repetitions each.
  auto bench = [](double ms, bool instructions) {
    json entries = json::array();
    for (int i = 0; i < 5; ++i) {
      json e = {{"name", "matmul/a"}, {"run_name", "matmul/a"}, {"run_type", "iteration"},
                {"repetitions", 5}, {"repetition_index", i}, {"iterations", 100},
                {"real_time", ms * (1 + 0.01 * i)}, {"time_unit", "ms"}};
      if (instructions) {  // tools/bench_instructions.py: one count, real_time 0
        e["repetitions"] = 1;
        e["real_time"] = 0;
        e["instructions"] = ms * 1e6;
        entries.push_back(e);
        break;
      }
      entries.push_back(e);
    }
    const std::string only = fmt::format("only/{}", ms);  // in one report each
    entries.push_back({{"name", only}, {"run_name", only},
                       {"run_type", "iteration"}, {"repetitions", 1}, {"iterations", 1},
                       {"real_time", 1.0}, {"time_unit", "s"}, {"instructions", 5.0}});
    return json{{"context", json::object()}, {"benchmarks", entries}};
  };
  const json base = bench(10, false), slow = bench(12, false);
  const json provenance = ComparisonProvenance("gemmeter compare bench base.json new.json",
                                               {{"base", "base.json"}, {"new", "new.json"}}, {&base, &slow});
  const BenchComparison by_time = CompareBench(base, "base.json", slow, "new.json", {});
  REQUIRE(by_time.Regressed());
  CHECK(Validate(BenchComparisonJson(by_time, provenance)) == Strings{});
  BenchCompareOptions counts;
  counts.metric = BenchMetric::kInstructions;
  const BenchComparison by_count = CompareBench(bench(10, true), "a", bench(11, true), "b", counts);
  const json count_json = BenchComparisonJson(by_count, provenance);
  REQUIRE(count_json["rows"][0]["p"].is_null());
  CHECK(Validate(count_json) == Strings{});
}

TEST_CASE("benchmark reports written by BenchmarkReportJson validate", "[json_schema]") {
  json provenance = BuildAndMachine();  // as cli/bench_command.cc builds it
  provenance.update({{"command", "gemmeter bench"}, {"threads", 2}, {"backends", {"onednn"}},
                     {"backend_versions", {{"onednn", "onednn (oneDNN 2.6.3)"}}},
                     {"model", "/m.gguf"}, {"model_sha256", kSha}, {"weights", "native"}});
  ThroughputRun run;
  run.model = "m.gguf";
  run.backend = "onednn";
  run.weights = "native";
  run.threads = 2;
  run.tests = {{"pp512", 512, {0.8, 0.82, 0.79}}, {"tg128", 128, {1.5, 1.6, 1.55}}};
  const json unmeasured = BenchmarkReportJson(provenance, "llama-bench", CpuDevices({}),
                                              ThroughputBenchmarks(run));
  REQUIRE(unmeasured["devices"]["cpu"]["peaks"]["f32_gflops"].is_null());
  CHECK(Validate(unmeasured) == Strings{});
  DevicePeaks peaks;
  peaks.f32_flops = 223e9;
  peaks.bf16_flops = 447e9;
  peaks.read_bandwidth = 48e9;
  peaks.f32_impl = peaks.bf16_impl = "brg:avx512_core";
  const json measured = BenchmarkReportJson(provenance, "quick", CpuDevices(peaks), ThroughputBenchmarks(run),
                                            json{{"host_name", "vm"}, {"num_cpus", 2}});
  CHECK(Validate(measured) == Strings{});
}

}  // namespace
}  // namespace gemmeter::reports
