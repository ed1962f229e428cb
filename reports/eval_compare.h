// Accuracy across backends, dtypes or kernels: two evaluation reports (gemmeter eval's
// JSON) of the same model, data and prompts, compared document by document.
#pragma once

#include <nlohmann/json.hpp>

#include <map>
#include <string>
#include <utility>
#include <vector>

namespace gemmeter::reports {

struct EvalCompareOptions {
  double alpha = 0.05;       // McNemar significance level for an accuracy change
  double max_ll_diff = -1;   // fail when some choice's |log-likelihood difference| exceeds
                             // this (< 0: no limit)
};

// One metric of one task over the documents both reports scored.
struct MetricComparison {
  std::string metric;
  double acc_a = 0, acc_b = 0;
  int64_t only_a_right = 0, only_b_right = 0;  // McNemar's discordant pairs
  double p = 1;                                // exact McNemar, two-sided
  double identical = 0;                        // share of documents with the same prediction
  std::vector<int64_t> flipped;                // positions (in `keys`) where predictions differ
  std::vector<std::pair<int64_t, int64_t>> picks;  // per flip: A's and B's prediction
};

struct TaskComparison {
  std::string task;
  std::vector<std::string> keys;  // matched documents: "index" or "subject/index"
  std::vector<int64_t> gold;      // per matched document
  // The flipped documents' text by key: filled by the caller, who has the datasets
  // (reports hold log-likelihoods, not text); may stay empty.
  std::map<std::string, std::string> texts;
  int64_t only_a = 0, only_b = 0;  // documents scored by one report only
  std::vector<MetricComparison> metrics;
  // |log-likelihood A - B| over every choice of every matched document.
  double ll_max = 0, ll_p99 = 0, ll_mean = 0;
  int64_t choices = 0;
};

struct EvalComparison {
  EvalCompareOptions options;
  std::vector<TaskComparison> tasks;
  bool Failed() const;  // a significant accuracy change, or a log-likelihood beyond the limit
};

// Throws Error naming the file for a report that is not an evaluation report of schema
// version 1, and naming the field when the two differ in model (sha256), a task's data
// files, protocol or shots.
EvalComparison CompareEvals(const nlohmann::json& a, const std::string& a_name,
                            const nlohmann::json& b, const std::string& b_name,
                            const EvalCompareOptions& options);

std::string EvalComparisonTable(const EvalComparison& c, bool markdown);
inline constexpr int kEvalComparisonSchemaVersion = 1;
nlohmann::json EvalComparisonJson(const EvalComparison& c, const nlohmann::json& provenance);

}  // namespace gemmeter::reports
