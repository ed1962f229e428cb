// The `eval` subcommand: multiple-choice evaluations (PIQA, HellaSwag, MMLU).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "cli/commands.h"

namespace gemmeter::cli {

struct EvalCliOptions {
  ModelOptions model;
  std::string tasks = "piqa";  // comma-separated task names, or "all"
  int64_t limit = 0;
  std::string subjects;        // comma-separated MMLU subjects; empty: all
  int shots = -1;
  std::string data_dir;
  std::string out;             // report path; records go beside it
  bool log_samples = false;
  bool markdown = false;
  int64_t batch_tokens = 1024;
  std::string shard;           // "I/N" or "N" (index from the environment); empty: whole
};

struct MergeOptions {
  std::vector<std::string> shards;  // shard reports
  std::string out;                  // the merged report; its records beside it
  bool markdown = false;
};

// Throws Error on bad flags, data or model; returns only when every task ran.
void RunEval(const EvalCliOptions& options, const std::string& command_line);
// Joins shard reports (eval --shard) into one report and records file (eval_merge.h).
void RunMerge(const MergeOptions& options);

}  // namespace gemmeter::cli
