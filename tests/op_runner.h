// Runs op cases on a backend and on the reference backend, and compares them.
//
// For each case: fresh random inputs (seeded by the case name, so both backends get the
// same ones) are uploaded to the backend under test and to a private ReferenceBackend;
// the op runs on both; the outputs are downloaded and compared with the case's metric and
// budget. Every tensor the harness allocates has guard rows before and after it, filled
// with a NaN sentinel: after the op the guards of every tensor, and the whole of every
// input tensor, must be bit-for-bit unchanged. Outputs start out filled with the sentinel,
// so an element the op forgets to write shows up as a NaN.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "engine/backend/backend.h"
#include "tests/op_cases.h"

namespace gemmeter::test {

struct CaseResult {
  const OpCase* op_case = nullptr;
  bool supported = true;
  double error = 0.0;                 // in the case's metric (nmse, max |diff|, differing elements)
  int64_t near_ties = 0;              // log_softmax_gather: argmax differences excused as near-ties
  double seconds = 0.0;               // both runs, input generation and checks included
  std::vector<std::string> problems;  // why it failed; empty when it passed
  bool passed() const { return !supported || problems.empty(); }
};

struct SuiteReport {
  std::string backend;
  std::vector<CaseResult> results;
  int64_t run() const;
  int64_t unsupported() const;
  int64_t failed() const;
};

// Runs one case; the backend must Support it.
CaseResult RunCase(Backend& backend, const OpCase& c);

// Runs every case the backend supports (asking Supports(op, dtype) first); unsupported
// cases are recorded, not failed. The results point into `cases`, which must outlive them.
SuiteReport RunSuite(Backend& backend, std::span<const OpCase> cases);
// The cases of `cases` whose op is `op`.
std::vector<OpCase> CasesOf(std::span<const OpCase> cases, Op op);

// One line per op: cases run / unsupported / failed, and the worst error relative to its
// budget; then every failed case with its problems.
std::string FormatSummary(const SuiteReport& report);
// One line per case: name, error, budget, seconds (set GEMMETER_OP_SUITE_VERBOSE=1 to print).
std::string FormatCases(const SuiteReport& report);
// The problems of one failed case, one per line, prefixed with its name.
std::string FormatFailure(const CaseResult& result);

}  // namespace gemmeter::test
