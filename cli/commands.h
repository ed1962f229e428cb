// The subcommands of the gemmeter command line. Each Run* function throws
// gemmeter::Error on bad input; main() prints it and exits with status 1.
#pragma once

#include <string>

#include "engine/model/sampler.h"

namespace gemmeter::cli {

// Options every model-running subcommand takes.
struct ModelOptions {
  std::string model;  // empty: the default model
  std::string backend;  // empty: the build's default (onednn where oneDNN was found)
  std::string weights = "auto";  // resolved by Load: native or bf16 by backend
};

struct InfoOptions {
  std::string model;
  std::string preset;
};

struct RunOptions {
  ModelOptions model;
  std::string prompt;
  int max_tokens = 64;
  SamplingOptions sampling;
  bool chat = false;        // wrap the prompt in Gemma's chat turn format
  bool ignore_eos = false;  // keep generating past end-of-sequence tokens
  bool literal_markup = false;  // <start_of_turn> etc. in the prompt stay text
};

struct ScoreOptions {
  ModelOptions model;
  std::string context;
  std::string continuation;
  bool literal_markup = false;
};

struct ForwardOptions {
  ModelOptions model;
  std::string tokens;  // comma-separated ids
  int top = 10;
};

struct TokenizeOptions {
  std::string model;
  std::string text;
  std::string input;  // a file of JSON strings, one per line
  bool no_bos = false;
  bool literal_markup = false;
};

void RunInfo(const InfoOptions& options);
void RunTokenize(const TokenizeOptions& options);
void RunGenerate(const RunOptions& options);
void RunScore(const ScoreOptions& options);
void RunForward(const ForwardOptions& options);

}  // namespace gemmeter::cli
