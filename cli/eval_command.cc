// `gemmeter eval`: flags to EvalOptions, progress on stderr, the result table on stdout,
// the JSON report and the per-document records on disk.
#include "cli/eval_command.h"

#include <fmt/core.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>

#include "cli/activity.h"
#include "cli/model_loading.h"
#include "engine/build_config.h"
#include "engine/core/error.h"
#include "engine/core/parallel.h"
#include "reports/eval_merge.h"
#include "reports/eval_report.h"
#include "reports/provenance.h"
#include "reports/report_io.h"

namespace gemmeter::cli {
namespace {

namespace fs = std::filesystem;

// Bumped whenever prompts, encoding or scoring change what a record holds, so records of
// an older protocol are never mixed into a resumed run.
constexpr int kRecordProtocol = 1;

std::vector<std::string> SplitList(const std::string& list, const char* flag) {
  std::vector<std::string> items;
  size_t begin = 0;
  while (begin <= list.size()) {
    const size_t comma = std::min(list.find(',', begin), list.size());
    items.push_back(list.substr(begin, comma - begin));
    if (items.back().empty()) Fail("{}: empty name in \"{}\"", flag, list);
    begin = comma + 1;
  }
  return items;
}

std::vector<const evals::TaskSpec*> ParseTasks(const std::string& list) {
  std::vector<const evals::TaskSpec*> tasks;
  if (list == "all") {
    for (const evals::TaskSpec& t : evals::AllTasks()) tasks.push_back(&t);
    return tasks;
  }
  for (const std::string& name : SplitList(list, "--tasks")) tasks.push_back(&evals::FindTask(name));
  return tasks;
}

std::string DefaultOutPath(const std::string& model, const std::string& weights,
                           const std::string& backend, const evals::Shard& shard) {
  const std::string stem = fs::path(model).filename().replace_extension("").string();
  const std::string part =
      shard.count > 1 ? fmt::format(".shard-{}-of-{}", shard.index, shard.count) : "";
  return (fs::path("gemmeter-eval") / fmt::format("{}.{}.{}{}.json", stem, backend, weights, part))
      .string();
}

// The first line of a records file: what its records depend on (RecordLog refuses to
// resume from records with another header).
nlohmann::json RecordHeader(const std::string& model_sha256, std::string_view backend,
                            const std::string& weights, const evals::Shard& shard) {
  nlohmann::json header = {{"kind", "gemmeter-eval-records"},
                           {"protocol", kRecordProtocol},
                           {"model_sha256", model_sha256},
                           {"backend", backend},
                           {"weights", weights}};
  if (shard.count > 1) header["shard"] = fmt::format("{}/{}", shard.index, shard.count);
  return header;
}

std::string RecordsPath(const std::string& out) {
  return fs::path(out).replace_extension("").string() + ".records.jsonl";
}

std::string FormatSeconds(double s) {
  if (s < 60) return fmt::format("{:.0f}s", s);
  if (s < 3600) return fmt::format("{:.0f}m{:02.0f}s", std::floor(s / 60), std::fmod(s, 60));
  return fmt::format("{:.0f}h{:02.0f}m", std::floor(s / 3600), std::fmod(s / 60, 60));
}

// Progress on stderr: rewritten in place on a terminal, a line every 10 s otherwise.
class ProgressPrinter {
 public:
  void operator()(const evals::TaskProgress& p) {
    const auto now = std::chrono::steady_clock::now();
    if (p.task != task_) {
      task_ = std::string(p.task);
      start_ = now;
      last_ = now - std::chrono::hours(1);
    }
    const bool finished = p.done == p.total;
    const double since_print = std::chrono::duration<double>(now - last_).count();
    if (!finished && since_print < (tty_ ? 0.5 : 10.0)) return;
    last_ = now;
    const double elapsed = std::chrono::duration<double>(now - start_).count();
    const int64_t scored = p.done - p.resumed;
    const double rate = elapsed > 0 ? scored / elapsed : 0;
    std::string line = fmt::format("{}: {}/{} docs", task_, p.done, p.total);
    if (p.resumed > 0) line += fmt::format(" ({} resumed)", p.resumed);
    if (scored > 0) line += fmt::format(", {:.1f} docs/s", rate);
    if (finished) {
      line += fmt::format(", done in {}", FormatSeconds(elapsed));
    } else if (rate > 0 && scored >= 16) {  // the first batch alone predicts badly
      line += fmt::format(", ETA {}", FormatSeconds((p.total - p.done) / rate));
    }
    if (tty_) {
      fmt::print(stderr, "\r{:<78}", line);
    } else {
      fmt::print(stderr, "{}\n", line);
    }
    if (tty_ && finished) fmt::print(stderr, "\n");
  }

 private:
  bool tty_ = isatty(STDERR_FILENO) != 0;
  std::string task_;
  std::chrono::steady_clock::time_point start_, last_;
};

}  // namespace

void RunEval(const EvalCliOptions& options, const std::string& command_line) {
  const std::vector<const evals::TaskSpec*> tasks = ParseTasks(options.tasks);
  if (options.limit < 0) Fail("--limit must be 0 (all) or positive, got {}", options.limit);
  for (const evals::TaskSpec* t : tasks) {
    if (options.shots > 0 && !t->has_shots) {
      Fail("--shots {}: {} has no few-shot split here (0-shot only)", options.shots, t->name);
    }
  }
  evals::EvalOptions eval;
  eval.data_dir = ResolveDataDir(options.data_dir);
  eval.limit = options.limit;
  if (!options.subjects.empty()) {
    eval.subjects = SplitList(options.subjects, "--subjects");
    bool any = false;
    for (const evals::TaskSpec* t : tasks) any |= t->per_subject;
    if (!any) Fail("--subjects applies to tasks with subjects (mmlu), not to {}", options.tasks);
  }
  eval.shots = options.shots;
  eval.log_samples = options.log_samples;
  eval.batch_tokens = options.batch_tokens;
  if (!options.shard.empty()) eval.shard = evals::ParseShard(options.shard);

  const std::string model_path = ResolveModel(options.model.model);
  auto tokenizer = LoadModelTokenizer(model_path);  // fails fast, before the weights load
  Loaded l = Load(options.model);
  fmt::print(stderr, "hashing {}...\n", model_path);
  const std::string model_sha256 = ModelDigest(model_path);

  const std::string out = options.out.empty() ? DefaultOutPath(model_path, l.weights,
                                                               std::string(l.backend->name()),
                                                               eval.shard)
                                              : options.out;
  if (fs::path(out).has_parent_path()) fs::create_directories(fs::path(out).parent_path());
  const std::string records_path = RecordsPath(out);
  evals::RecordLog log(records_path, RecordHeader(model_sha256, l.backend->name(), l.weights,
                                                 eval.shard));
  if (eval.shard.count > 1) {
    fmt::print(stderr, "shard {} of {}: documents assigned by token count\n", eval.shard.index,
               eval.shard.count);
  }
  fmt::print(stderr, "records: {}\n", records_path);

  const auto start = std::chrono::system_clock::now();
  std::vector<evals::TaskRun> runs;
  ProgressPrinter progress;
  for (const evals::TaskSpec* task : tasks) {
    const Activity step(fmt::format("evaluating {}", task->name));
    runs.push_back(evals::RunTask(*l.model, *tokenizer, *task, eval, log, std::ref(progress)));
  }
  const double wall = std::chrono::duration<double>(std::chrono::system_clock::now() - start).count();

  nlohmann::json provenance = reports::BuildAndMachine(start);
  provenance.update({{"model", model_path},
                     {"model_sha256", model_sha256},
                     {"model_parameters", l.model->config().ParameterCount()},
                     {"backend", l.backend->name()},
                     {"backend_description", l.backend->Describe()},
                     {"weights", l.weights},
                     {"weight_dtypes", MatrixDTypes(l.model->weights())},
                     {"threads", ParallelThreads()},
                     {"batch_tokens", options.batch_tokens},
                     {"data_dir", eval.data_dir},
                     {"wall_seconds", wall},
                     {"command", command_line}});
  const nlohmann::json report = reports::EvalReportJson(runs, provenance, records_path);
  {
    const Activity step(fmt::format("writing the report {}", out));
    reports::WriteReport(report, out);
  }
  fmt::print("{}", reports::EvalTable(runs, options.markdown));
  fmt::print(stderr, "report: {}\n", out);
}

void RunMerge(const MergeOptions& options) {
  std::vector<reports::ShardReport> shards;
  for (const std::string& path : options.shards) {
    const Activity step(fmt::format("reading {}", path));
    shards.push_back({path, reports::ReadReport(path, {"evaluation"})});
  }
  reports::MergedEval merged = reports::MergeEvalShards(shards);
  const nlohmann::json& p = merged.provenance;
  // The merged records: what a single run would have left, so `gemmeter eval` with this
  // --out resumes from them.
  const std::string records_path = RecordsPath(options.out);
  {
    const Activity step(fmt::format("writing {}", records_path));
    if (fs::path(records_path).has_parent_path()) fs::create_directories(fs::path(records_path).parent_path());
    fs::remove(records_path);
    evals::RecordLog log(records_path, RecordHeader(p.at("model_sha256"), p.at("backend").get<std::string>(),
                                                    p.at("weights"), {}));
    for (const evals::TaskRun& run : merged.runs) {
      for (const evals::DocResult& d : run.docs) log.Append(evals::DocRecord(*run.task, run.shots, d, nullptr));
    }
  }
  for (evals::TaskRun& run : merged.runs) run.shard = {};  // the merged report is whole
  const nlohmann::json report = reports::EvalReportJson(merged.runs, merged.provenance, records_path);
  {
    const Activity step(fmt::format("writing the report {}", options.out));
    reports::WriteReport(report, options.out);
  }
  fmt::print("{}", reports::EvalTable(merged.runs, options.markdown));
  fmt::print(stderr, "merged {} shards: {}\n", shards.size(), options.out);
}

}  // namespace gemmeter::cli
