// Evaluation throughput on the default model: the first documents of each task scored as
// `gemmeter eval` scores them (shared prefixes, batched), per backend:
//   eval/<backend>/f32/<task>/docs=N
// Requests are built and tokenized before timing; one iteration scores all N documents.
// Counters: docs_per_s, and flops = useful FLOPs (evals::TaskFlops: 2 x non-embedding
// parameters per token through the blocks + 2 x vocab x hidden per scored row; attention
// scores not counted) per second, flop_frac = flops / the measured f32 matmul peak. A task
// needs the datasets ($GEMMETER_DATASETS or ../shared/datasets beside the source tree);
// without them its benchmark is skipped with a message.
#include <filesystem>
#include <map>
#include <memory>

#include <fmt/core.h>

#include "bench/bench_common.h"
#include "engine/build_config.h"
#include "engine/model/checkpoint.h"
#include "engine/model/group_scoring.h"
#include "evals/encode.h"
#include "evals/runner.h"
#include "evals/task.h"

namespace gemmeter::bench {
namespace {

std::string DataDir() {
  const char* env = std::getenv("GEMMETER_DATASETS");
  if (env != nullptr && *env != '\0') return env;
  return (std::filesystem::path(GEMMETER_SOURCE_ROOT) / ".." / "shared" / "datasets")
      .lexically_normal()
      .string();
}

struct EvalModel {
  std::unique_ptr<Model> model;
  std::unique_ptr<Tokenizer> tokenizer;
};

EvalModel& SharedEvalModel(const std::string& backend) {
  static std::map<std::string, EvalModel> models;
  EvalModel& m = models[backend];
  if (!m.model) {
    m.model = LoadModel(DefaultModelPath(), SharedBackend(backend), {});  // native weights
    m.tokenizer = LoadTokenizer(DefaultModelPath());
  }
  return m;
}

// The first `docs` documents of the task (MMLU: of one subject, with its 5-shot header).
std::vector<ScoringGroup> TaskGroups(const evals::TaskSpec& task, const Tokenizer& tokenizer,
                                     int64_t docs) {
  const std::string dir = DataDir();
  const auto all = task.load(dir);
  const auto pool = task.has_shots ? task.load_shots(dir) : std::vector<evals::MultipleChoiceDoc>{};
  std::vector<ScoringGroup> groups;
  for (const auto& doc : all) {
    if (static_cast<int64_t>(groups.size()) == docs) break;
    if (task.per_subject && doc.subject != "high_school_psychology") continue;
    ScoringGroup g;
    for (const auto& r : evals::BuildRequests(task, doc, evals::ShotsFor(doc, pool, task.default_shots))) {
      evals::EncodedRequest e = evals::EncodePair(tokenizer, r);
      g.context = std::move(e.context);
      g.continuations.push_back(std::move(e.continuation));
    }
    groups.push_back(std::move(g));
  }
  return groups;
}

void BM_Eval(benchmark::State& state, const std::string& backend, const evals::TaskSpec* task,
             int64_t docs) {
  Guarded(state, [&] {
    if (!std::filesystem::is_directory(DataDir())) {
      state.SkipWithError(fmt::format("no datasets at {}", DataDir()).c_str());
      return;
    }
    EvalModel& m = SharedEvalModel(backend);
    const std::vector<ScoringGroup> groups = TaskGroups(*task, *m.tokenizer, docs);
    ScoringStats stats;
    const double seconds = TimedLoop(state, m.model->backend(), [&] {
      stats = ScoreGroups(*m.model, groups, {}, [](size_t, std::vector<GroupScore>) {});
    });
    const double flops = evals::TaskFlops(m.model->config(), stats);
    state.counters["docs_per_s"] =
        benchmark::Counter(static_cast<double>(docs) * state.iterations() / seconds);
    ReportWork(state, {.flops = flops, .bytes = 0}, DType::kF32, seconds);
    state.counters["block_tokens"] = static_cast<double>(stats.block_tokens);
    state.counters["scored_rows"] = static_cast<double>(stats.scored_rows);
  });
}

}  // namespace

void RegisterEvalBenchmarks() {
  for (std::string_view backend : AvailableBackends()) {
    if (IsSlowBackend(backend)) continue;  // minutes per document set
    // Sizes for a few seconds per iteration on 2 cores at ~80 GFLOP/s.
    for (const auto& [name, docs] : {std::pair{"piqa", 16}, {"hellaswag", 8}, {"mmlu", 16}}) {
      const evals::TaskSpec* task = &evals::FindTask(name);
      RegisterNamed(
          fmt::format("eval/{}/native/{}/docs={}", backend, name, docs),
          [=, b = std::string(backend)](benchmark::State& state) { BM_Eval(state, b, task, docs); })
          ->UseRealTime()
          ->Unit(benchmark::kSecond)
          ->Iterations(1);
    }
  }
}

}  // namespace gemmeter::bench
