#include "tests/op_runner.h"

#include <fmt/format.h>

#include <algorithm>
#include <bit>
#include <chrono>
#include <cmath>
#include <exception>
#include <limits>
#include <map>

#include "engine/backend/reference/reference_backend.h"
#include "tests/op_harness.h"

namespace gemmeter::test {
namespace {

std::string Where(int64_t index, int64_t cols) {
  return cols > 1 ? fmt::format("[{}, {}]", index / cols, index % cols)
                  : fmt::format("[{}]", index);
}

// Any NaN or Inf fails (the inputs are finite, so the reference's outputs are).
bool CheckFinite(const std::vector<float>& v, int64_t cols, const char* who, CaseResult& r) {
  int64_t bad = 0, first = -1;
  for (size_t i = 0; i < v.size(); ++i) {
    if (!std::isfinite(v[i])) {
      if (first < 0) first = static_cast<int64_t>(i);
      ++bad;
    }
  }
  if (bad == 0) return true;
  r.problems.push_back(fmt::format("{}{} non-finite output element(s), first out{} = {}", who, bad,
                                   Where(first, cols), v[first]));
  return false;
}

// Lists the worst element and the first few beyond `threshold`.
std::string Mismatches(const std::vector<float>& a, const std::vector<float>& b, int64_t cols,
                       double threshold) {
  size_t worst = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    if (std::fabs(double(a[i]) - b[i]) > std::fabs(double(a[worst]) - b[worst])) worst = i;
  }
  std::string text = a.empty() ? ""
                               : fmt::format("; worst out{} = {:.9g}, expected {:.9g}",
                                             Where(worst, cols), a[worst], b[worst]);
  int shown = 0;
  for (size_t i = 0; i < a.size() && shown < 4; ++i) {
    if (std::fabs(double(a[i]) - b[i]) > threshold) {
      text += fmt::format("{} out{} = {:.9g} vs {:.9g}", shown == 0 ? "; first off:" : ",",
                          Where(i, cols), a[i], b[i]);
      ++shown;
    }
  }
  return text;
}

void CompareNmse(const OpCase& c, const OpOutput& expected, const OpOutput& actual, CaseResult& r) {
  const auto& a = actual.values;
  const auto& b = expected.values;
  double diff2 = 0.0, ref2 = 0.0;
  for (size_t i = 0; i < b.size(); ++i) {
    const double d = double(a[i]) - b[i];
    diff2 += d * d;
    ref2 += double(b[i]) * b[i];
  }
  r.error = ref2 > 0 ? diff2 / ref2 : (diff2 > 0 ? std::numeric_limits<double>::infinity() : 0);
  if (r.error > c.budget.limit) {
    // Elements contributing more than their share of the budget.
    const double threshold = std::sqrt(c.budget.limit * ref2 / std::max<size_t>(b.size(), 1));
    r.problems.push_back(fmt::format("nmse {:.3e} over budget {:.3e}{}", r.error, c.budget.limit,
                                     Mismatches(a, b, expected.cols, threshold)));
  }
}

void CompareExact(const OpOutput& expected, const OpOutput& actual, CaseResult& r) {
  int64_t differ = 0;
  for (size_t i = 0; i < expected.values.size(); ++i) {
    if (std::bit_cast<uint32_t>(actual.values[i]) != std::bit_cast<uint32_t>(expected.values[i])) {
      ++differ;
    }
  }
  r.error = static_cast<double>(differ);
  if (differ > 0) {
    r.problems.push_back(fmt::format("{} element(s) differ from the reference{}", differ,
                                     Mismatches(actual.values, expected.values, expected.cols, 0)));
  }
}

// Log-probs within the budget; argmax equal, except where the backend's pick is within the
// same tolerance of the maximum (a near-tie). Exact ties must resolve to the lowest index.
void CompareLogSoftmax(const OpCase& c, const OpOutput& expected, const OpOutput& actual,
                       CaseResult& r) {
  const double tol = c.budget.limit;
  const auto rows = static_cast<int64_t>(expected.argmax.size());
  const int64_t vocab = rows ? static_cast<int64_t>(expected.logits.size()) / rows : 0;
  int64_t worst = 0;
  for (int64_t i = 0; i < static_cast<int64_t>(expected.values.size()); ++i) {
    const double d = std::fabs(double(actual.values[i]) - expected.values[i]);
    if (d > r.error) {
      r.error = d;
      worst = i;
    }
  }
  if (r.error > tol) {
    r.problems.push_back(
        fmt::format("log_prob off by {:.3e} > {:.3e} at target {}: {:.9g}, expected "
                    "{:.9g}",
                    r.error, tol, worst, actual.values[worst], expected.values[worst]));
  }
  for (int64_t i = 0; i < rows; ++i) {
    const int32_t want = expected.argmax[i], got = actual.argmax[i];
    if (got == want) continue;
    const float* row = expected.logits.data() + i * vocab;
    if (got < 0 || got >= vocab) {
      r.problems.push_back(fmt::format("argmax of row {} is {}, outside the vocabulary", i, got));
    } else if (row[got] == row[want]) {
      r.problems.push_back(
          fmt::format("argmax of row {}: exact tie between {} and {} must pick "
                      "the lower index, got {}",
                      i, want, got, got));
    } else if (double(row[want]) - row[got] <= tol) {
      ++r.near_ties;
    } else {
      r.problems.push_back(
          fmt::format("argmax of row {} is {} (logit {:.9g}), expected {} "
                      "(logit {:.9g})",
                      i, got, row[got], want, row[want]));
    }
  }
}

}  // namespace

CaseResult RunCase(Backend& backend, const OpCase& c) {
  CaseResult r;
  r.op_case = &c;
  ReferenceBackend oracle;
  OpOutput expected, actual;
  Rng rng(CaseSeed(c));
  try {
    Session s(oracle);
    expected = Execute(s, c, rng);
    for (std::string& p : s.CheckIntegrity()) r.problems.push_back("reference: " + p);
  } catch (const std::exception& e) {
    r.problems.push_back(fmt::format("reference threw: {}", e.what()));
    return r;
  }
  try {
    Session s(backend);
    rng.Rewind();
    actual = Execute(s, c, rng);
    for (std::string& p : s.CheckIntegrity()) r.problems.push_back(std::move(p));
  } catch (const std::exception& e) {
    r.problems.push_back(fmt::format("threw: {}", e.what()));
    return r;
  }
  if (actual.values.size() != expected.values.size() ||
      actual.argmax.size() != expected.argmax.size()) {
    r.problems.push_back("output sizes differ from the reference's");
    return r;
  }
  const bool finite = CheckFinite(actual.values, actual.cols, "", r);
  if (!CheckFinite(expected.values, expected.cols, "reference: ", r) || !finite) {
    r.error = std::numeric_limits<double>::infinity();
    return r;
  }
  switch (c.budget.metric) {
    case Metric::kNmse:
      CompareNmse(c, expected, actual, r);
      break;
    case Metric::kExact:
      CompareExact(expected, actual, r);
      break;
    case Metric::kMaxAbs:
      CompareLogSoftmax(c, expected, actual, r);
      break;
  }
  return r;
}

int64_t SuiteReport::run() const {
  return std::count_if(results.begin(), results.end(),
                       [](const CaseResult& r) { return r.supported; });
}
int64_t SuiteReport::unsupported() const { return static_cast<int64_t>(results.size()) - run(); }
int64_t SuiteReport::failed() const {
  return std::count_if(results.begin(), results.end(),
                       [](const CaseResult& r) { return !r.passed(); });
}

SuiteReport RunSuite(Backend& backend, std::span<const OpCase> cases) {
  SuiteReport report;
  report.backend = std::string(backend.name());
  for (const OpCase& c : cases) {
    if (!backend.Supports(c.op, c.dtype)) {
      CaseResult r;
      r.op_case = &c;
      r.supported = false;
      report.results.push_back(std::move(r));
      continue;
    }
    const auto begin = std::chrono::steady_clock::now();
    report.results.push_back(RunCase(backend, c));
    report.results.back().seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - begin).count();
  }
  return report;
}

std::vector<OpCase> CasesOf(std::span<const OpCase> cases, Op op) {
  std::vector<OpCase> selected;
  for (const OpCase& c : cases) {
    if (c.op == op) selected.push_back(c);
  }
  return selected;
}

std::string FormatFailure(const CaseResult& result) {
  std::string text;
  for (const std::string& p : result.problems) {
    text += fmt::format("FAILED {}: {}\n", result.op_case->name, p);
  }
  return text;
}

std::string FormatCases(const SuiteReport& report) {
  std::string text;
  for (const CaseResult& r : report.results) {
    const OpCase& c = *r.op_case;
    text += r.supported ? fmt::format("  {:<7} {:>10.3e} {:>10.3e} {:>7.3f}s  {}\n",
                                      MetricName(c.budget.metric), r.error, c.budget.limit,
                                      r.seconds, c.name)
                        : fmt::format("  unsupported {:>31}  {}\n", "", c.name);
  }
  return text;
}

std::string FormatSummary(const SuiteReport& report) {
  struct OpStats {
    int64_t run = 0, unsupported = 0, failed = 0;
    const CaseResult* worst = nullptr;  // the largest error / budget
    double worst_ratio = -1.0;
  };
  std::map<Op, OpStats> stats;
  for (const CaseResult& r : report.results) {
    OpStats& s = stats[r.op_case->op];
    if (!r.supported) {
      ++s.unsupported;
      continue;
    }
    ++s.run;
    if (!r.passed()) ++s.failed;
    const double limit = r.op_case->budget.limit;
    const double ratio = limit > 0 ? r.error / limit : (r.error > 0 ? INFINITY : 0.0);
    if (ratio > s.worst_ratio) {
      s.worst_ratio = ratio;
      s.worst = &r;
    }
  }
  std::string text = fmt::format(
      "op suite on backend '{}': {} cases, {} run, {} unsupported, {} failed\n"
      "  {:<19} {:>4} {:>5} {:>4}  {:<7} {:>10} {:>10}  {:>8}  {}\n",
      report.backend, report.results.size(), report.run(), report.unsupported(), report.failed(),
      "op", "run", "unsup", "fail", "metric", "worst", "its budget", "fraction", "worst case");
  for (const auto& [op, s] : stats) {
    if (s.worst == nullptr) {
      text +=
          fmt::format("  {:<19} {:>4} {:>5} {:>4}\n", OpName(op), s.run, s.unsupported, s.failed);
      continue;
    }
    const OpCase& c = *s.worst->op_case;
    text += fmt::format("  {:<19} {:>4} {:>5} {:>4}  {:<7} {:>10.3e} {:>10.3e}  {:>8.2g}  {}\n",
                        OpName(op), s.run, s.unsupported, s.failed, MetricName(c.budget.metric),
                        s.worst->error, c.budget.limit, s.worst_ratio, c.name);
  }
  for (const CaseResult& r : report.results) {
    if (!r.passed()) text += FormatFailure(r);
  }
  return text;
}

}  // namespace gemmeter::test
