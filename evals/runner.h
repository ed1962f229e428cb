// Runs evaluation tasks on a model: loads and checks the data, builds and tokenizes the
// requests, scores them with shared prefixes, saves each document's record as it finishes
// and computes the task's metrics.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "datasets/manifest.h"
#include "engine/model/group_scoring.h"
#include "engine/model/model.h"
#include "engine/tokenizer/tokenizer.h"
#include "evals/metrics.h"
#include "evals/record_log.h"
#include "evals/shard.h"
#include "evals/task.h"

namespace gemmeter::evals {

struct EvalOptions {
  std::string data_dir;       // holds mmlu/, piqa/, hellaswag/ (resolved by the frontend)
  int64_t limit = 0;          // 0: every document; else the first N (per subject for MMLU)
  std::vector<std::string> subjects;  // per-subject tasks (MMLU): only these; empty: all
  int shots = -1;             // -1: the task's default
  bool log_samples = false;   // records carry each request's context and continuation
  int64_t batch_tokens = 1024;
  Shard shard;                // this process's part of the documents (shard.h)
};

struct TaskProgress {
  std::string_view task;
  int64_t done = 0;     // documents finished, resumed ones included
  int64_t total = 0;
  int64_t resumed = 0;  // taken from the record log
};

struct TaskRun {
  const TaskSpec* task = nullptr;
  int shots = 0;
  int64_t limit = 0;
  std::vector<std::string> subjects;  // the subset asked for (empty: all)
  std::vector<DocResult> docs;  // in document order
  TaskScores scores;
  std::vector<datasets::FileDigest> data_files;
  int64_t resumed = 0;          // documents whose records were reused
  Shard shard;                  // which part of the selected documents `docs` holds
  int64_t selected_docs = 0;    // documents of the whole selection (all shards)
  ScoringStats stats;           // work done in this run (resumed documents excluded)
  double flops = 0;             // useful FLOPs of that work (see TaskFlops)
  double seconds = 0;           // wall time of this run's scoring
};

// 2 x (non-embedding parameters) per token through the blocks plus 2 x vocab x hidden per
// scored row through the tied head; attention scores are not counted.
double TaskFlops(const ModelConfig& config, const ScoringStats& stats);

// The record of a finished document: its result, and the requests when log_samples.
nlohmann::json DocRecord(const TaskSpec& task, int shots, const DocResult& result,
                         const std::vector<Request>* requests);
DocResult DocResultFromRecord(const nlohmann::json& record);

// Selects the documents (limit, then the shard's part), reuses finished ones from `log`,
// scores the rest and appends their records. `progress` is called after every batch.
TaskRun RunTask(Model& model, const Tokenizer& tokenizer, const TaskSpec& task,
                const EvalOptions& options, RecordLog& log,
                const std::function<void(const TaskProgress&)>& progress);

}  // namespace gemmeter::evals
