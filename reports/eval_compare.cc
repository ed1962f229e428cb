#include "reports/eval_compare.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <map>

#include "engine/core/error.h"
#include "reports/eval_report.h"
#include "reports/statistics.h"

namespace gemmeter::reports {
namespace {

using nlohmann::json;

constexpr size_t kFlipsShown = 10;  // flipped documents printed with their text, per task

void CheckReport(const json& r, const std::string& name) {
  Check(r.is_object() && r.value("kind", std::string()) == "evaluation",
        "{}: not a gemmeter evaluation report (kind \"evaluation\")", name);
  const int version = r.value("schema_version", 0);
  Check(version == kEvalSchemaVersion,
        "{}: evaluation report schema_version {} (this gemmeter reads version {}{})", name,
        version, kEvalSchemaVersion, version > kEvalSchemaVersion ? "; it is newer" : "");
}

// The same value at `path` in both, or Error naming the field and both values.
void CheckSame(const json& a, const json& b, const std::string& field, const std::string& a_name,
               const std::string& b_name) {
  Check(a == b, "{} and {} differ in {}: {} vs {}: not comparable", a_name, b_name, field,
        a.dump(), b.dump());
}

std::string Key(const json& doc) {
  const std::string index = std::to_string(doc.at("index").get<int64_t>());
  return doc.contains("subject") ? doc["subject"].get<std::string>() + "/" + index : index;
}

}  // namespace

bool EvalComparison::Failed() const {
  for (const TaskComparison& t : tasks) {
    if (options.max_ll_diff >= 0 && t.ll_max > options.max_ll_diff) return true;
    for (const MetricComparison& m : t.metrics) {
      if (m.p < options.alpha) return true;
    }
  }
  return false;
}

EvalComparison CompareEvals(const json& a, const std::string& a_name, const json& b,
                            const std::string& b_name, const EvalCompareOptions& options) {
  CheckReport(a, a_name);
  CheckReport(b, b_name);
  CheckSame(a["provenance"].value("model_sha256", json()), b["provenance"].value("model_sha256", json()),
            "provenance.model_sha256", a_name, b_name);
  EvalComparison c;
  c.options = options;
  for (const auto& [task, ta] : a["tasks"].items()) {
    if (!b["tasks"].contains(task)) continue;
    const json& tb = b["tasks"][task];
    for (const char* field : {"protocol", "shots", "data_files"}) {
      CheckSame(ta.value(field, json()), tb.value(field, json()),
                fmt::format("tasks.{}.{}", task, field), a_name, b_name);
    }
    std::map<std::string, const json*> docs_b;
    for (const json& d : b["documents"][task]) docs_b[Key(d)] = &d;
    TaskComparison t;
    t.task = task;
    std::vector<std::pair<const json*, const json*>> pairs;
    for (const json& d : a["documents"][task]) {
      auto it = docs_b.find(Key(d));
      if (it == docs_b.end()) {
        ++t.only_a;
        continue;
      }
      Check(d["gold"] == (*it->second)["gold"], "{} and {} differ in the gold answer of {} {}",
            a_name, b_name, task, Key(d));
      pairs.push_back({&d, it->second});
      t.keys.push_back(Key(d));
      t.gold.push_back(d["gold"].get<int64_t>());
      docs_b.erase(it);
    }
    t.only_b = static_cast<int64_t>(docs_b.size());
    // Log-likelihood differences over every choice.
    std::vector<double> diffs;
    for (const auto& [da, db] : pairs) {
      const json& la = (*da)["loglikelihoods"];
      const json& lb = (*db)["loglikelihoods"];
      Check(la.size() == lb.size(), "{} and {}: {} {} has {} and {} choices", a_name, b_name, task,
            Key(*da), la.size(), lb.size());
      for (size_t i = 0; i < la.size(); ++i) {
        diffs.push_back(std::fabs(la[i].get<double>() - lb[i].get<double>()));
      }
    }
    t.choices = static_cast<int64_t>(diffs.size());
    if (!diffs.empty()) {
      std::sort(diffs.begin(), diffs.end());
      t.ll_max = diffs.back();
      t.ll_p99 = diffs[static_cast<size_t>(std::floor(0.99 * double(diffs.size() - 1)))];
      double sum = 0;
      for (double d : diffs) sum += d;
      t.ll_mean = sum / double(diffs.size());
    }
    // Per metric: accuracies, McNemar, agreement, flips.
    if (!pairs.empty()) {
      for (const auto& [metric, unused] : (*pairs.front().first)["predictions"].items()) {
        MetricComparison m;
        m.metric = metric;
        int64_t right_a = 0, right_b = 0, same = 0;
        for (size_t i = 0; i < pairs.size(); ++i) {
          const json& da = *pairs[i].first;
          const json& db = *pairs[i].second;
          const auto pa = da["predictions"].at(metric).get<int64_t>();
          const auto pb = db["predictions"].at(metric).get<int64_t>();
          const auto gold = da["gold"].get<int64_t>();
          right_a += pa == gold;
          right_b += pb == gold;
          m.only_a_right += pa == gold && pb != gold;
          m.only_b_right += pb == gold && pa != gold;
          if (pa == pb) {
            ++same;
          } else {
            m.flipped.push_back(static_cast<int64_t>(i));
            m.picks.push_back({pa, pb});
          }
        }
        const double n = double(pairs.size());
        m.acc_a = right_a / n;
        m.acc_b = right_b / n;
        m.identical = same / n;
        m.p = McNemarExactP(m.only_a_right, m.only_b_right);
        t.metrics.push_back(std::move(m));
      }
    }
    c.tasks.push_back(std::move(t));
  }
  Check(!c.tasks.empty(), "{} and {} have no task in common", a_name, b_name);
  return c;
}

std::string EvalComparisonTable(const EvalComparison& c, bool markdown) {
  std::string out =
      markdown ? "| task | metric | docs | A % | B % | B - A | McNemar p | identical | flipped |\n"
                 "|---|---|---:|---:|---:|---:|---:|---:|---:|\n"
               : fmt::format("{:<10} {:<15} {:>6} {:>7} {:>7} {:>7} {:>10} {:>10} {:>8}\n", "task",
                             "metric", "docs", "A %", "B %", "B - A", "McNemar p", "identical",
                             "flipped");
  for (const TaskComparison& t : c.tasks) {
    for (const MetricComparison& m : t.metrics) {
      const auto docs = t.keys.size();
      out += markdown
                 ? fmt::format("| {} | {} | {} | {:.2f} | {:.2f} | {:+.2f} | {:.3g} | {:.2f}% | {} |\n",
                               t.task, m.metric, docs, 100 * m.acc_a, 100 * m.acc_b,
                               100 * (m.acc_b - m.acc_a), m.p, 100 * m.identical, m.flipped.size())
                 : fmt::format("{:<10} {:<15} {:>6} {:>7.2f} {:>7.2f} {:>+7.2f} {:>10.3g} {:>9.2f}% {:>8}\n",
                               t.task, m.metric, docs, 100 * m.acc_a, 100 * m.acc_b,
                               100 * (m.acc_b - m.acc_a), m.p, 100 * m.identical, m.flipped.size());
    }
  }
  out += "\n";
  for (const TaskComparison& t : c.tasks) {
    out += fmt::format("{}{}: |log-likelihood A - B| over {} choices: max {:.3g}, p99 {:.3g}, mean {:.3g}",
                       markdown ? "- " : "", t.task, t.choices, t.ll_max, t.ll_p99, t.ll_mean);
    if (t.only_a + t.only_b > 0) out += fmt::format(" ({} documents in A only, {} in B only)", t.only_a, t.only_b);
    out += "\n";
    for (const MetricComparison& m : t.metrics) {
      if (m.flipped.empty()) continue;
      std::string list;
      for (size_t i = 0; i < m.flipped.size() && i < 20; ++i) list += (i ? ", " : "") + t.keys[m.flipped[i]];
      out += fmt::format("{}  {} flipped ({}): {}{}\n", markdown ? "- " : "", m.metric, m.flipped.size(),
                         list, m.flipped.size() > 20 ? ", ..." : "");
    }
    // The text of the flips of the headline metric (the first), where the caller gave it.
    if (!t.texts.empty() && !t.metrics.empty()) {
      const MetricComparison& m = t.metrics.front();
      for (size_t i = 0; i < m.flipped.size() && i < kFlipsShown; ++i) {
        const size_t doc = static_cast<size_t>(m.flipped[i]);
        auto it = t.texts.find(t.keys[doc]);
        if (it == t.texts.end()) continue;
        out += fmt::format("{}    {} {} (gold {}, A {}, B {}): {}\n", markdown ? "- " : "", t.task,
                           t.keys[doc], t.gold[doc], m.picks[i].first, m.picks[i].second, it->second);
      }
    }
  }
  return out;
}

json EvalComparisonJson(const EvalComparison& c, const json& provenance) {
  json tasks = json::object();
  for (const TaskComparison& t : c.tasks) {
    json metrics = json::object();
    for (const MetricComparison& m : t.metrics) {
      json flipped = json::array();
      for (int64_t i : m.flipped) flipped.push_back(t.keys[static_cast<size_t>(i)]);
      json picks = json::array();
      for (const auto& [pa, pb] : m.picks) picks.push_back({pa, pb});
      metrics[m.metric] = {{"acc_a", m.acc_a}, {"acc_b", m.acc_b},
                           {"only_a_right", m.only_a_right}, {"only_b_right", m.only_b_right},
                           {"mcnemar_p", m.p}, {"identical", m.identical}, {"flipped", flipped},
                           {"flipped_predictions", picks}};
    }
    tasks[t.task] = {{"docs", t.keys.size()}, {"only_a", t.only_a}, {"only_b", t.only_b},
                     {"loglikelihood_abs_diff",
                      {{"choices", t.choices}, {"max", t.ll_max}, {"p99", t.ll_p99}, {"mean", t.ll_mean}}},
                     {"metrics", metrics}};
    if (!t.texts.empty()) tasks[t.task]["flipped_text"] = t.texts;
  }
  return {{"kind", "evaluation-comparison"}, {"schema_version", kEvalComparisonSchemaVersion},
          {"provenance", provenance},
          {"alpha", c.options.alpha}, {"failed", c.Failed()}, {"tasks", tasks}};
}

}  // namespace gemmeter::reports
