// `gemmeter bench`: llama-bench's figures (ppN prompt processing and tgN generation,
// tokens/s over repetitions) on any model, backend and weights.
#pragma once

#include <string>

#include "cli/commands.h"

namespace gemmeter::cli {

struct BenchCliOptions {
  ModelOptions model;
  std::string prompt_tokens = "512";  // comma-separated ppN sizes; 0 = none
  std::string gen_tokens = "128";     // comma-separated tgN sizes; 0 = none
  int repetitions = 5;
  int warmup = 1;                     // untimed runs of each test first
  std::string format = "table";       // table, md, csv, json
  std::string out;                    // also write the benchmark report here
};

void RunBench(const BenchCliOptions& options, const std::string& command_line);

}  // namespace gemmeter::cli
