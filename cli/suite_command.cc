#include "cli/suite_command.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "cli/compare_command.h"
#include "cli/process.h"
#include "engine/core/error.h"
#include "engine/io/digest.h"
#include "reports/provenance.h"
#include "reports/render.h"
#include "reports/report_io.h"
#include "suites/suite.h"
#include "suites/suite_report.h"

namespace gemmeter::cli {
namespace {

namespace fs = std::filesystem;
using suites::Suite;
using suites::SuiteRun;
using suites::SuiteTask;

// gemmeter_bench: $GEMMETER_BENCH, else beside gemmeter in a build tree (../bench/) or an
// install (same folder), else from PATH.
std::string BenchProgram() {
  if (const char* env = std::getenv("GEMMETER_BENCH"); env != nullptr && *env != '\0') return env;
  const fs::path self = fs::path(SelfPath()).parent_path();
  for (const fs::path& p : {self / ".." / "bench" / "gemmeter_bench", self / "gemmeter_bench"}) {
    if (fs::exists(p)) return fs::weakly_canonical(p).string();
  }
  return "gemmeter_bench";
}

// One step of a suite: its command and the report that shows it is done.
struct Step {
  std::string what;  // "onednn-native: piqa"
  std::vector<std::string> argv;
  std::string report;
  std::string kind;  // of the report
};

std::vector<Step> PlanSteps(const Suite& suite, const std::string& out, const std::string& gemmeter) {
  std::vector<Step> steps;
  for (const SuiteRun& run : suite.runs) {
    for (const SuiteTask& task : run.tasks) {
      steps.push_back({fmt::format("{}: {}", run.name, task.task),
                       suites::EvalCommand(gemmeter, suite, run, task, out),
                       suites::EvalReportPath(out, run, task), "evaluation"});
    }
    if (run.bench != "none") {
      steps.push_back({fmt::format("{}: bench {}", run.name, run.bench),
                       suites::BenchCommand(gemmeter, suite, run, out),
                       suites::BenchReportPath(out, run), "benchmark"});
    }
  }
  if (suite.layer_benchmarks != "none") {
    steps.push_back({fmt::format("layer benchmarks ({})", suite.layer_benchmarks),
                     suites::LayerBenchCommand(BenchProgram(), suite, out),
                     suites::LayerReportPath(out), "benchmark"});
  }
  return steps;
}

void WriteCombined(const Suite& suite, const SuiteRunOptions& o, const std::string& command_line) {
  nlohmann::json provenance = reports::BuildAndMachine();
  provenance.update({{"command", command_line}, {"suite_file", o.suite},
                     {"suite_sha256", Sha256File(o.suite)}});
  const nlohmann::json report = suites::SuiteReportJson(suite, o.out, provenance);
  reports::CheckReport(report, "the suite report");  // our own output must validate
  const std::string json_path = (fs::path(o.out) / "suite.json").string();
  const std::string html_path = (fs::path(o.out) / "suite.html").string();
  reports::WriteReport(report, json_path);
  reports::WriteFileAtomically(reports::RenderReport(report, reports::RenderFormat::kHtml), html_path);
  fmt::print(stderr, "suite: wrote {} and {}\n", json_path, html_path);
  fmt::print("{}", reports::RenderReport(report, reports::RenderFormat::kMarkdown));
}

// sbatch --parsable prints "ID" or "ID;CLUSTER".
std::string SubmitJob(const SuiteRunOptions& o, std::vector<std::string> options,
                      const std::string& script) {
  std::vector<std::string> argv = {"sbatch", "--parsable"};
  argv.insert(argv.end(), o.sbatch_args.begin(), o.sbatch_args.end());
  argv.insert(argv.end(), options.begin(), options.end());
  argv.insert(argv.end(), {"--wrap", script});
  if (o.dry_run) {
    static int submitted = 0;
    fmt::print("{}\n", ShellLine(argv));
    return fmt::format("DRY-RUN-{}", ++submitted);
  }
  std::string id = CaptureProgram(argv);
  id = id.substr(0, id.find_first_of(";\n"));
  return id;
}

int SubmitToSlurm(const Suite& suite, const SuiteRunOptions& o, const std::string& gemmeter) {
  const std::string index = "${SLURM_ARRAY_TASK_ID}";
  std::vector<std::string> jobs;
  auto log = [&](const std::string& name) { return (fs::path(o.out) / name).string(); };
  for (const SuiteRun& run : suite.runs) {
    fs::create_directories(fs::path(o.out) / run.name);
    for (const SuiteTask& task : run.tasks) {
      if (suites::ReportComplete(suites::EvalReportPath(o.out, run, task), "evaluation")) continue;
      const std::string name = fmt::format("gemmeter-{}-{}", run.name, task.task);
      if (run.shards <= 1) {
        jobs.push_back(SubmitJob(o, {"--job-name=" + name, "--output=" + log(run.name + "/" + task.task + ".log")},
                                 ShellLine(suites::EvalCommand(gemmeter, suite, run, task, o.out))));
        continue;
      }
      // A job array of the shards (each reads its index from Slurm), then their merge.
      const std::string array = SubmitJob(
          o,
          {"--job-name=" + name, fmt::format("--array=0-{}", run.shards - 1),
           "--output=" + log(run.name + "/" + task.task + ".shard-%a.log")},
          ShellLine(suites::EvalCommand(gemmeter, suite, run, task, o.out, run.shards, index), index));
      jobs.push_back(SubmitJob(
          o, {"--job-name=" + name + "-merge", "--dependency=afterok:" + array,
              "--output=" + log(run.name + "/" + task.task + ".merge.log")},
          ShellLine(suites::MergeCommand(gemmeter, o.out, run, task, run.shards))));
      fmt::print(stderr, "suite: {} {}: {} shards as job array {}, merged by job {}\n", run.name,
                 task.task, run.shards, array, jobs.back());
    }
    if (run.bench != "none" && !suites::ReportComplete(suites::BenchReportPath(o.out, run), "benchmark")) {
      // A benchmark wants the node to itself.
      jobs.push_back(SubmitJob(o, {"--job-name=gemmeter-" + run.name + "-bench", "--exclusive",
                                   "--output=" + log(run.name + "/bench.log")},
                               ShellLine(suites::BenchCommand(gemmeter, suite, run, o.out))));
    }
  }
  if (suite.layer_benchmarks != "none" &&
      !suites::ReportComplete(suites::LayerReportPath(o.out), "benchmark")) {
    jobs.push_back(SubmitJob(o, {"--job-name=gemmeter-layers", "--exclusive", "--output=" + log("layers.log")},
                             ShellLine(suites::LayerBenchCommand(BenchProgram(), suite, o.out))));
  }
  // Last, this command without --slurm once every job has ended (whether or not it
  // succeeded): it runs whatever is still missing here and writes the combined report.
  std::vector<std::string> combine = {gemmeter, "suite", "run", o.suite, "--out", o.out};
  std::vector<std::string> options = {"--job-name=gemmeter-suite-" + suite.name, "--output=" + log("suite.log")};
  if (!jobs.empty()) options.push_back("--dependency=afterany:" + fmt::format("{}", fmt::join(jobs, ":")));
  const std::string final_job = SubmitJob(o, options, ShellLine(combine));
  fmt::print(stderr, "suite: submitted {} jobs; job {} writes {} when they have ended (squeue to follow)\n",
             jobs.size() + 1, final_job, (fs::path(o.out) / "suite.json").string());
  return 0;
}

}  // namespace

int RunSuite(const SuiteRunOptions& o, const std::string& command_line) {
  const Suite suite = suites::ReadSuite(o.suite);
  fs::create_directories(o.out);
  // The steps read paths relative to where they run; Slurm jobs start in the submit folder.
  const std::string gemmeter = SelfPath();
  if (o.slurm) return SubmitToSlurm(suite, o, gemmeter);

  const std::vector<Step> steps = PlanSteps(suite, o.out, gemmeter);
  std::vector<std::string> failed;
  for (size_t i = 0; i < steps.size(); ++i) {
    const Step& s = steps[i];
    const std::string line = ShellLine(s.argv);
    if (suites::ReportComplete(s.report, s.kind)) {
      fmt::print(stderr, "suite: [{}/{}] {}: done already ({})\n", i + 1, steps.size(), s.what, s.report);
      continue;
    }
    fmt::print(stderr, "suite: [{}/{}] {}: {}\n", i + 1, steps.size(), s.what, line);
    if (o.dry_run) continue;
    fs::create_directories(fs::path(s.report).parent_path());
    if (const int status = RunProgram(s.argv); status != 0) {
      fmt::print(stderr, "suite: {} failed with status {}; going on with the other steps\n", s.what, status);
      failed.push_back(s.what);
    }
  }
  if (o.dry_run) return 0;
  WriteCombined(suite, o, command_line);
  if (!failed.empty()) {
    fmt::print(stderr, "suite: {} step(s) failed: {} (run the same command again to retry them)\n",
               failed.size(), fmt::join(failed, "; "));
    return 1;
  }
  return 0;
}

int RunSuiteCompare(const SuiteCompareOptions& o) {
  const suites::SuiteComparison c = suites::CompareSuites(o.old_dir, o.new_dir);
  fmt::print("{}\n{}", c.text, suites::SuiteComparisonTable(c));
  return c.Failed() ? kRegressionExitStatus : 0;
}

}  // namespace gemmeter::cli
