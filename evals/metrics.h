// Per-document results and the metrics computed from them (lm-evaluation-harness's
// multiple_choice metrics, plus llama.cpp's per-token ranking).
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "evals/task.h"

namespace gemmeter::evals {

struct ChoiceResult {
  double log_likelihood = 0;  // sum of log p over the continuation's tokens
  int64_t tokens = 0;         // continuation tokens
  int64_t characters = 0;     // characters of the choice, without the delimiter (acc_norm)
  bool greedy = false;        // every continuation token was the argmax
};

struct DocResult {
  int64_t index = 0;  // the document's position in its dataset
  std::string subject;
  int gold = 0;
  std::vector<ChoiceResult> choices;
};

// The choice the metric picks: argmax of ll, ll / characters or ll / tokens; the first
// maximum on ties (numpy.argmax).
int Predict(const DocResult& doc, Metric metric);

struct MetricValue {
  Metric metric = Metric::kAcc;
  double value = 0;   // mean over documents, in [0, 1]
  double stderr = 0;  // sample standard deviation / sqrt(n), as lm-eval's mean_stderr
};

// Accuracy of a subset (an MMLU subject or category).
struct SubsetScore {
  std::string name;
  int64_t docs = 0;
  double acc = 0;
  double stderr = 0;
};

struct TaskScores {
  int64_t docs = 0;
  std::vector<MetricValue> metrics;      // the task's metrics, in its order
  std::vector<SubsetScore> subjects;     // per_subject tasks: by subject name
  std::vector<SubsetScore> categories;   // and by category (micro averages)
};

TaskScores ComputeScores(const TaskSpec& task, std::span<const DocResult> docs);

// lm-eval's mean_stderr: sqrt(sum (x - mean)^2 / (n - 1)) / sqrt(n); 0 for n < 2.
double MeanStderr(std::span<const double> values);
// Characters of UTF-8 text (code points, Python's len()).
int64_t CountCharacters(const std::string& utf8);

}  // namespace gemmeter::evals
