#include "reports/eval_report.h"

#include <fmt/format.h>

namespace gemmeter::reports {

using evals::TaskRun;

nlohmann::json EvalReportJson(const std::vector<TaskRun>& runs, const nlohmann::json& provenance,
                              const std::string& records_path) {
  nlohmann::json report = {{"schema_version", kEvalSchemaVersion},
                           {"kind", "evaluation"},
                           {"provenance", provenance},
                           {"tasks", nlohmann::json::object()},
                           {"documents", nlohmann::json::object()}};
  for (const TaskRun& run : runs) {
    const std::string name(run.task->name);
    nlohmann::json t = {{"summary", run.task->summary},   {"protocol", run.task->protocol},
                        {"shots", run.shots},             {"limit", run.limit},
                        {"docs", run.scores.docs},        {"resumed_docs", run.resumed},
                        {"records", records_path}};
    if (!run.subjects.empty()) t["subjects_selected"] = run.subjects;
    if (run.shard.count > 1) {
      t["shard"] = {{"index", run.shard.index},
                    {"count", run.shard.count},
                    {"selected_docs", run.selected_docs}};
    }
    for (const evals::MetricValue& m : run.scores.metrics) {
      t["metrics"][std::string(evals::MetricName(m.metric))] = {{"value", m.value},
                                                                {"stderr", m.stderr}};
    }
    auto subsets = [](const std::vector<evals::SubsetScore>& list) {
      nlohmann::json out = nlohmann::json::array();
      for (const auto& s : list) {
        out.push_back({{"name", s.name}, {"docs", s.docs}, {"acc", s.acc}, {"stderr", s.stderr}});
      }
      return out;
    };
    if (run.task->per_subject) {
      t["subjects"] = subsets(run.scores.subjects);
      t["categories"] = subsets(run.scores.categories);
    }
    for (const auto& f : run.data_files) t["data_files"].push_back({{"path", f.path}, {"sha256", f.sha256}});
    const int64_t scored = run.scores.docs - run.resumed;
    t["work"] = {{"block_tokens", run.stats.block_tokens},
                 {"scored_rows", run.stats.scored_rows},
                 {"forward_passes", run.stats.forward_passes},
                 {"flops", run.flops},
                 {"seconds", run.seconds},
                 {"docs_per_second", run.seconds > 0 ? scored / run.seconds : 0.0},
                 {"gflops_per_second", run.seconds > 0 ? run.flops / run.seconds / 1e9 : 0.0}};
    report["tasks"][name] = t;
    nlohmann::json docs = nlohmann::json::array();
    for (const evals::DocResult& d : run.docs) {
      nlohmann::json record = evals::DocRecord(*run.task, run.shots, d, nullptr);
      record.erase("task");
      record.erase("shots");
      docs.push_back(std::move(record));
    }
    report["documents"][name] = std::move(docs);
  }
  return report;
}

std::string EvalTable(const std::vector<TaskRun>& runs, bool markdown) {
  struct Row {
    std::string task, metric, value, stderr, docs;
  };
  std::vector<Row> rows;
  for (const TaskRun& run : runs) {
    const std::string name =
        run.shots > 0 ? fmt::format("{} ({}-shot)", run.task->name, run.shots) : std::string(run.task->name);
    for (const auto& m : run.scores.metrics) {
      rows.push_back({name, std::string(evals::MetricName(m.metric)),
                      fmt::format("{:.2f}", 100 * m.value), fmt::format("{:.2f}", 100 * m.stderr),
                      std::to_string(run.scores.docs)});
    }
    for (const auto& c : run.scores.categories) {
      rows.push_back({" - " + c.name, "acc", fmt::format("{:.2f}", 100 * c.acc),
                      fmt::format("{:.2f}", 100 * c.stderr), std::to_string(c.docs)});
    }
  }
  const Row header{"task", "metric", "value %", "stderr", "docs"};
  std::string out;
  if (markdown) {
    auto line = [](const Row& r) {
      return fmt::format("| {} | {} | {} | {} | {} |\n", r.task, r.metric, r.value, r.stderr, r.docs);
    };
    out += line(header) + "|---|---|---:|---:|---:|\n";
    for (const Row& r : rows) out += line(r);
    return out;
  }
  size_t w = header.task.size();
  for (const Row& r : rows) w = std::max(w, r.task.size());
  auto line = [&](const Row& r) {
    return fmt::format("{:<{}}  {:<13}  {:>7}  {:>6}  {:>6}\n", r.task, w, r.metric, r.value,
                       r.stderr, r.docs);
  };
  out += line(header);
  for (const Row& r : rows) out += line(r);
  return out;
}

}  // namespace gemmeter::reports
