// `gemmeter compare bench BASE.json NEW.json`: the kernel regression gate.
#pragma once

#include <string>
#include <vector>

namespace gemmeter::cli {

struct CompareBenchOptions {
  std::string base, next;             // Google Benchmark JSON reports
  std::string metric = "time";         // or "instructions"
  double alpha = 0.05;
  double threshold_percent = 5;
  std::vector<std::string> per_prefix;  // "PREFIX=PERCENT"
  bool markdown = false;
  std::string json_out;                 // also write the comparison as JSON here
};

struct CompareEvalsOptions {
  std::string a, b;  // gemmeter eval reports
  double alpha = 0.05;
  double max_ll_diff = -1;
  bool markdown = false;
  std::string json_out;
  std::string data_dir;  // for the flipped documents' text (default: report A's data_dir)
  bool no_text = false;  // skip loading the datasets
};

// Exit status of `compare bench` and `compare evals` when they find a regression; errors (unreadable reports, bad options) throw Error (status 1).
inline constexpr int kRegressionExitStatus = 2;

// Prints the comparison; returns 0, or kRegressionExitStatus when a benchmark got slower.
int RunCompareBench(const CompareBenchOptions& options, const std::string& command_line);
// Prints the comparison; returns 0, or kRegressionExitStatus when an accuracy changed
// significantly or a log-likelihood moved more than --max-ll-diff.
int RunCompareEvals(const CompareEvalsOptions& options, const std::string& command_line);

}  // namespace gemmeter::cli
