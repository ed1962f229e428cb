// The `eval` subcommand: multiple-choice evaluations (PIQA, HellaSwag, MMLU).
#pragma once

#include <cstdint>
#include <string>

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
};

// Throws Error on bad flags, data or model; returns only when every task ran.
void RunEval(const EvalCliOptions& options, const std::string& command_line);

}  // namespace gemmeter::cli
