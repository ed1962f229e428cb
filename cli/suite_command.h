// `gemmeter suite run SUITE.json --out DIR` runs a suite's steps here (or submits them to
// Slurm with --slurm) and writes the combined report; `gemmeter suite compare OLD NEW`
// compares two suites' results (suites/suite.h, suites/suite_report.h).
#pragma once

#include <string>
#include <vector>

namespace gemmeter::cli {

struct SuiteRunOptions {
  std::string suite;  // the suite file
  std::string out;    // the results folder
  bool slurm = false;  // submit the steps with sbatch instead of running them here
  std::vector<std::string> sbatch_args;  // extra sbatch options (--partition=..., --time=...)
  bool dry_run = false;  // print the steps (or the sbatch commands) without running them
};

struct SuiteCompareOptions {
  std::string old_dir, new_dir;
};

// Returns 0 when every step succeeded (or was submitted), 1 when a step failed (the
// others still ran, and the combined report lists what is missing).
int RunSuite(const SuiteRunOptions& options, const std::string& command_line);
// Prints the comparison; returns 0, or 2 (kRegressionExitStatus) when something regressed,
// changed accuracy significantly or is missing from the new results.
int RunSuiteCompare(const SuiteCompareOptions& options);

}  // namespace gemmeter::cli
