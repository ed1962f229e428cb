// A suite's combined report (kind "suite", reports/schemas/suite.schema.json): every run
// with its evaluations' metrics and its throughput, the layer benchmarks' report, and the
// accuracy comparison of every two runs that evaluated the same model on the same data
// (reports/eval_compare.h); rendered by `gemmeter report render` like any report. The
// reports it summarizes stay beside it; paths in it are relative to its folder.
//
// And the comparison of two suites' results (two commits, say): each run's evaluations
// with the accuracy comparison, each run's throughput and the layer benchmarks with the
// regression gate, one verdict for all.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "suites/suite.h"

namespace gemmeter::suites {

inline constexpr int kSuiteSchemaVersion = 1;

// Reads the results of `suite` under `out` (missing ones are listed as missing) and returns
// the combined report; `provenance` is the build and machine plus the command.
nlohmann::json SuiteReportJson(const Suite& suite, const std::string& out,
                               nlohmann::json provenance);

// One line per compared report pair: what, and whether it regressed or failed.
struct SuiteComparisonLine {
  std::string what;      // "onednn-native/piqa", "onednn-native/bench", "layers"
  std::string verdict;   // "same", "regressed", "failed", "missing", "improved"
  std::string detail;    // the numbers behind the verdict
  bool failing = false;  // counts against the exit status
};
struct SuiteComparison {
  std::vector<SuiteComparisonLine> lines;
  std::string text;  // the comparisons' own tables, in order
  bool Failed() const;
};
// Compares the suite results in folders `old_dir` and `new_dir` (each with suite.json).
// Runs present on one side only are listed, not failed.
SuiteComparison CompareSuites(const std::string& old_dir, const std::string& new_dir);
std::string SuiteComparisonTable(const SuiteComparison& c);

}  // namespace gemmeter::suites
