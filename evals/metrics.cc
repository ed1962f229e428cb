#include "evals/metrics.h"

#include <cmath>
#include <map>

#include "engine/core/error.h"
#include "evals/mmlu_subjects.h"

namespace gemmeter::evals {

int Predict(const DocResult& doc, Metric metric) {
  int best = 0;
  double best_score = -INFINITY;
  for (size_t i = 0; i < doc.choices.size(); ++i) {
    const ChoiceResult& c = doc.choices[i];
    double score = c.log_likelihood;
    if (metric == Metric::kAccNorm) score /= static_cast<double>(std::max<int64_t>(1, c.characters));
    if (metric == Metric::kAccPerToken) score /= static_cast<double>(std::max<int64_t>(1, c.tokens));
    if (i == 0 || score > best_score) {
      best = static_cast<int>(i);
      best_score = score;
    }
  }
  return best;
}

double MeanStderr(std::span<const double> values) {
  const auto n = static_cast<double>(values.size());
  if (values.size() < 2) return 0.0;
  double mean = 0;
  for (double v : values) mean += v;
  mean /= n;
  double squares = 0;
  for (double v : values) squares += (v - mean) * (v - mean);
  return std::sqrt(squares / (n - 1)) / std::sqrt(n);
}

int64_t CountCharacters(const std::string& utf8) {
  int64_t n = 0;
  for (unsigned char c : utf8) n += (c & 0xC0) != 0x80;  // count all but continuation bytes
  return n;
}

namespace {

SubsetScore Subset(const std::string& name, const std::vector<double>& correct) {
  double sum = 0;
  for (double c : correct) sum += c;
  return {name, static_cast<int64_t>(correct.size()),
          correct.empty() ? 0.0 : sum / static_cast<double>(correct.size()), MeanStderr(correct)};
}

}  // namespace

TaskScores ComputeScores(const TaskSpec& task, std::span<const DocResult> docs) {
  TaskScores scores;
  scores.docs = static_cast<int64_t>(docs.size());
  for (Metric metric : task.metrics) {
    std::vector<double> correct;
    for (const DocResult& d : docs) correct.push_back(Predict(d, metric) == d.gold ? 1.0 : 0.0);
    const SubsetScore s = Subset("", correct);
    scores.metrics.push_back({metric, s.acc, s.stderr});
  }
  if (task.per_subject) {
    std::map<std::string, std::vector<double>> by_subject, by_category;
    for (const DocResult& d : docs) {
      const double c = Predict(d, Metric::kAcc) == d.gold ? 1.0 : 0.0;
      by_subject[d.subject].push_back(c);
      by_category[std::string(MmluCategory(d.subject))].push_back(c);
    }
    for (const auto& [name, correct] : by_subject) scores.subjects.push_back(Subset(name, correct));
    for (const auto& [name, correct] : by_category) {
      scores.categories.push_back(Subset(name, correct));
    }
  }
  return scores;
}

}  // namespace gemmeter::evals
