// Suites: several runs (a model on a backend with a weight type) each through some
// evaluations and a throughput benchmark, and the layer benchmarks once, compared in one
// report. A suite file (JSON) is data; this file reads it and plans each run's steps as
// gemmeter command lines, which `gemmeter suite run` executes here or submits to Slurm.
//
// Suite file (unknown keys are errors, so a misspelt field is not silently ignored):
//   {
//     "name": "default-model-cpu",
//     "model": "",                      default model of the runs ("": gemmeter's default)
//     "data_dir": "",                   datasets folder ("": gemmeter's default)
//     "layer_benchmarks": "quick",      gemmeter_bench --profile quick|full once, or "none"
//     "runs": [
//       {"name": "onednn-native",       [A-Za-z0-9._-]+, unique: the run's folder
//        "model": "...",                optional, overrides the suite's
//        "backend": "onednn", "weights": "native", "threads": 0,
//        "tasks": [{"task": "piqa", "limit": 200, "shots": 0}],   limit 0: all; shots: the
//                                                                  task's default if absent
//        "bench": "quick",              gemmeter bench: quick (pp128, tg32, 3 repetitions),
//                                       full (pp512, tg128, 5: llama-bench's) or none
//        "shards": 4}                   shards of each evaluation under --slurm (default 1)
//     ]
//   }
// Results under the output folder: <run>/<task>.json (the evaluation report, its records
// beside it), <run>/bench.json, layers.json, and suite.json + suite.html (the combined
// report, suite_report.h).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace gemmeter::suites {

struct SuiteTask {
  std::string task;
  int64_t limit = 0;              // documents (MMLU: per subject); 0: all
  std::optional<int> shots;       // absent: the task's default
};

struct SuiteRun {
  std::string name;
  std::string model;  // "": the default model
  std::string backend;
  std::string weights = "auto";
  int threads = 0;  // 0: all cores
  std::vector<SuiteTask> tasks;
  std::string bench = "none";  // none, quick, full
  int shards = 1;              // per evaluation, under --slurm
};

struct Suite {
  std::string name;
  std::string data_dir;
  std::string layer_benchmarks = "none";  // none, quick, full
  std::vector<SuiteRun> runs;
};

// Parses a suite file's JSON; throws Error naming `file` and the field.
Suite ParseSuite(const nlohmann::json& json, const std::string& file);
Suite ReadSuite(const std::string& path);

// Where a run's results go under `out`.
std::string EvalReportPath(const std::string& out, const SuiteRun& run, const SuiteTask& task);
std::string BenchReportPath(const std::string& out, const SuiteRun& run);
std::string LayerReportPath(const std::string& out);

// The command lines (argv, program first) of each step. `gemmeter` and `gemmeter_bench`
// are the programs' paths. An evaluation runs whole (shards <= 1) or as shard `index` of
// `shards`, each shard to its own report (ShardReportPath); `index` is text so that a
// scheduler's variable ("$SLURM_ARRAY_TASK_ID") can stand for it in a job script.
std::vector<std::string> EvalCommand(const std::string& gemmeter, const Suite& suite,
                                     const SuiteRun& run, const SuiteTask& task,
                                     const std::string& out, int shards = 1,
                                     const std::string& index = "");
std::string ShardReportPath(const std::string& out, const SuiteRun& run, const SuiteTask& task,
                            const std::string& index, int shards);
// Joins an evaluation's shards into EvalReportPath.
std::vector<std::string> MergeCommand(const std::string& gemmeter, const std::string& out,
                                      const SuiteRun& run, const SuiteTask& task, int shards);
std::vector<std::string> BenchCommand(const std::string& gemmeter, const Suite& suite,
                                      const SuiteRun& run, const std::string& out);
std::vector<std::string> LayerBenchCommand(const std::string& gemmeter_bench, const Suite& suite,
                                           const std::string& out);

// The report at `path` when it is complete (it exists, parses and validates as `kind`),
// else nothing: a step whose report is complete is skipped when a suite resumes.
std::optional<nlohmann::json> ReadCompleteReport(const std::string& path, const std::string& kind);
bool ReportComplete(const std::string& path, const std::string& kind);

}  // namespace gemmeter::suites
