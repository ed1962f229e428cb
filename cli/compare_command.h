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

// Exit status of `compare bench`: slowdowns beyond the threshold that the test finds
// significant; errors (unreadable reports, bad options) throw Error (status 1).
inline constexpr int kRegressionExitStatus = 2;

// Prints the comparison; returns 0, or kRegressionExitStatus when a benchmark got slower.
int RunCompareBench(const CompareBenchOptions& options);

}  // namespace gemmeter::cli
