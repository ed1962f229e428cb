#include "suites/suite.h"

#include <fmt/format.h>

#include <filesystem>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>

#include "engine/core/error.h"
#include "evals/task.h"
#include "reports/report_io.h"

namespace gemmeter::suites {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

// The fields an object may have; anything else is an error naming it.
void OnlyKnownKeys(const json& object, std::initializer_list<std::string_view> known,
                   const std::string& where) {
  for (const auto& [key, value] : object.items()) {
    bool ok = false;
    for (std::string_view k : known) ok |= key == k;
    if (!ok) {
      Fail("{}: unknown field \"{}\" (known: {})", where, key, fmt::join(known, ", "));
    }
  }
}

std::string StringField(const json& object, const char* key, const std::string& fallback,
                        const std::string& where) {
  if (!object.contains(key)) return fallback;
  Check(object[key].is_string(), "{}.{}: expected a string, got {}", where, key,
        object[key].dump());
  return object[key].get<std::string>();
}

int64_t IntField(const json& object, const char* key, int64_t fallback, int64_t minimum,
                 const std::string& where) {
  if (!object.contains(key)) return fallback;
  const json& v = object[key];
  Check(v.is_number_integer() && v.get<int64_t>() >= minimum,
        "{}.{}: expected an integer >= {}, got {}", where, key, minimum, v.dump());
  return v.get<int64_t>();
}

std::string OneOf(const std::string& value, std::initializer_list<std::string_view> allowed,
                  const std::string& where) {
  for (std::string_view a : allowed) {
    if (value == a) return value;
  }
  Fail("{}: \"{}\" is not one of {}", where, value, fmt::join(allowed, ", "));
}

SuiteRun ParseRun(const json& r, const std::string& default_model, const std::string& where) {
  Check(r.is_object(), "{}: expected an object, got {}", where, r.dump());
  OnlyKnownKeys(r, {"name", "model", "backend", "weights", "threads", "tasks", "bench", "shards"},
                where);
  SuiteRun run;
  run.name = StringField(r, "name", "", where);
  static const std::regex kName("[A-Za-z0-9._-]+");
  Check(std::regex_match(run.name, kName) && run.name != "." && run.name != "..",
        "{}.name: \"{}\" must be letters, digits, '.', '_' or '-' (it names the run's folder)",
        where, run.name);
  run.model = StringField(r, "model", default_model, where);
  run.backend = StringField(r, "backend", "", where);
  run.weights = OneOf(StringField(r, "weights", "auto", where), {"auto", "native", "f32", "bf16"},
                      where + ".weights");
  run.threads = static_cast<int>(IntField(r, "threads", 0, 0, where));
  run.bench = OneOf(StringField(r, "bench", "none", where), {"none", "quick", "full"},
                    where + ".bench");
  run.shards = static_cast<int>(IntField(r, "shards", 1, 1, where));
  if (r.contains("tasks")) {
    Check(r["tasks"].is_array(), "{}.tasks: expected an array", where);
    std::set<std::string> seen;
    for (size_t i = 0; i < r["tasks"].size(); ++i) {
      const json& t = r["tasks"][i];
      const std::string at = fmt::format("{}.tasks[{}]", where, i);
      Check(t.is_object(), "{}: expected an object, got {}", at, t.dump());
      OnlyKnownKeys(t, {"task", "limit", "shots"}, at);
      SuiteTask task;
      task.task = StringField(t, "task", "", at);
      evals::FindTask(task.task);  // throws, naming the known tasks
      Check(seen.insert(task.task).second, "{}: task {} is listed twice", at, task.task);
      task.limit = IntField(t, "limit", 0, 0, at);
      if (t.contains("shots")) task.shots = static_cast<int>(IntField(t, "shots", 0, 0, at));
      run.tasks.push_back(task);
    }
  }
  Check(!run.tasks.empty() || run.bench != "none",
        "{}: the run has neither tasks nor a bench: nothing to do", where);
  return run;
}

void AddThreads(std::vector<std::string>& argv, const SuiteRun& run) {
  if (run.threads > 0) {
    argv.insert(argv.begin() + 1, {"--threads", std::to_string(run.threads)});
  }
}

void AddModel(std::vector<std::string>& argv, const SuiteRun& run) {
  if (!run.model.empty()) argv.insert(argv.end(), {"--model", run.model});
  if (!run.backend.empty()) argv.insert(argv.end(), {"--backend", run.backend});
  argv.insert(argv.end(), {"--weights", run.weights});
}

}  // namespace

Suite ParseSuite(const json& j, const std::string& file) {
  Check(j.is_object(), "{}: a suite file is a JSON object", file);
  OnlyKnownKeys(j, {"name", "model", "data_dir", "layer_benchmarks", "runs"}, file);
  Suite suite;
  suite.name = StringField(j, "name", fs::path(file).stem().string(), file);
  const std::string model = StringField(j, "model", "", file);
  suite.data_dir = StringField(j, "data_dir", "", file);
  suite.layer_benchmarks = OneOf(StringField(j, "layer_benchmarks", "none", file),
                                 {"none", "quick", "full"}, file + ": layer_benchmarks");
  Check(j.contains("runs") && j["runs"].is_array() && !j["runs"].empty(),
        "{}: \"runs\" must be a non-empty array", file);
  std::set<std::string> names;
  for (size_t i = 0; i < j["runs"].size(); ++i) {
    SuiteRun run = ParseRun(j["runs"][i], model, fmt::format("{}: runs[{}]", file, i));
    Check(names.insert(run.name).second, "{}: runs[{}]: the name \"{}\" is used twice", file, i,
          run.name);
    suite.runs.push_back(std::move(run));
  }
  return suite;
}

Suite ReadSuite(const std::string& path) {
  std::ifstream in(path);
  Check(in.good(), "{}: cannot read the suite file", path);
  std::stringstream text;
  text << in.rdbuf();
  json j;
  try {
    j = json::parse(text.str());
  } catch (const json::parse_error& e) {
    Fail("{}: not JSON: {}", path, e.what());
  }
  return ParseSuite(j, path);
}

std::string EvalReportPath(const std::string& out, const SuiteRun& run, const SuiteTask& task) {
  return (fs::path(out) / run.name / (task.task + ".json")).string();
}

std::string BenchReportPath(const std::string& out, const SuiteRun& run) {
  return (fs::path(out) / run.name / "bench.json").string();
}

std::string LayerReportPath(const std::string& out) {
  return (fs::path(out) / "layers.json").string();
}

std::string ShardReportPath(const std::string& out, const SuiteRun& run, const SuiteTask& task,
                            const std::string& index, int shards) {
  return (fs::path(out) / run.name / fmt::format("{}.shard-{}-of-{}.json", task.task, index, shards))
      .string();
}

std::vector<std::string> EvalCommand(const std::string& gemmeter, const Suite& suite,
                                     const SuiteRun& run, const SuiteTask& task,
                                     const std::string& out, int shards,
                                     const std::string& index) {
  std::vector<std::string> argv = {gemmeter, "eval", "--tasks", task.task};
  AddModel(argv, run);
  if (task.limit > 0) argv.insert(argv.end(), {"--limit", std::to_string(task.limit)});
  if (task.shots) argv.insert(argv.end(), {"--shots", std::to_string(*task.shots)});
  if (!suite.data_dir.empty()) argv.insert(argv.end(), {"--data-dir", suite.data_dir});
  if (shards > 1) {
    argv.insert(argv.end(), {"--shard", fmt::format("{}/{}", index, shards), "-o",
                             ShardReportPath(out, run, task, index, shards)});
  } else {
    argv.insert(argv.end(), {"-o", EvalReportPath(out, run, task)});
  }
  AddThreads(argv, run);
  return argv;
}

std::vector<std::string> MergeCommand(const std::string& gemmeter, const std::string& out,
                                      const SuiteRun& run, const SuiteTask& task, int shards) {
  std::vector<std::string> argv = {gemmeter, "merge"};
  for (int i = 0; i < shards; ++i) {
    argv.push_back(ShardReportPath(out, run, task, std::to_string(i), shards));
  }
  argv.insert(argv.end(), {"-o", EvalReportPath(out, run, task)});
  return argv;
}

std::vector<std::string> BenchCommand(const std::string& gemmeter, const Suite& suite,
                                      const SuiteRun& run, const std::string& out) {
  (void)suite;
  std::vector<std::string> argv = {gemmeter, "bench"};
  AddModel(argv, run);
  // quick: a few seconds per run on 2 cores; full: llama-bench's defaults.
  const bool quick = run.bench == "quick";
  argv.insert(argv.end(), {"-p", quick ? "128" : "512", "-n", quick ? "32" : "128", "-r",
                           quick ? "3" : "5", "--out", BenchReportPath(out, run)});
  AddThreads(argv, run);
  return argv;
}

std::vector<std::string> LayerBenchCommand(const std::string& gemmeter_bench, const Suite& suite,
                                           const std::string& out) {
  return {gemmeter_bench, "--profile", suite.layer_benchmarks, "--report", LayerReportPath(out)};
}

std::optional<json> ReadCompleteReport(const std::string& path, const std::string& kind) {
  if (!fs::exists(path)) return std::nullopt;
  try {
    return reports::ReadReport(path, {kind});
  } catch (const std::exception&) {
    return std::nullopt;  // cut short or from another version: run the step again
  }
}

bool ReportComplete(const std::string& path, const std::string& kind) {
  return ReadCompleteReport(path, kind).has_value();
}

}  // namespace gemmeter::suites
