#include "reports/eval_merge.h"

#include <algorithm>
#include <map>
#include <set>

#include "engine/core/error.h"
#include "evals/metrics.h"

namespace gemmeter::reports {
namespace {

// The shard record of a report's task, checked.
const nlohmann::json& ShardOf(const ShardReport& s, const std::string& task) {
  const nlohmann::json& t = s.report.at("tasks").at(task);
  Check(t.contains("shard"), "{}: task {} is not a shard (no tasks.{}.shard): it was not run "
        "with --shard", s.path, task, task);
  return t.at("shard");
}

// `field` of `a` and `b` must be equal (absent counts as a value).
void Same(const ShardReport& first, const ShardReport& other, const nlohmann::json& a,
          const nlohmann::json& b, const std::string& field) {
  if (a == b) return;
  Fail("{} and {} are not shards of one run: {} differs ({} vs {})", first.path, other.path, field,
       a.is_null() ? "absent" : a.dump(), b.is_null() ? "absent" : b.dump());
}

nlohmann::json Field(const nlohmann::json& object, const char* key) {
  return object.contains(key) ? object.at(key) : nlohmann::json();
}

}  // namespace

MergedEval MergeEvalShards(const std::vector<ShardReport>& shards) {
  Check(!shards.empty(), "merge: no shard reports given");
  const ShardReport& first = shards.front();
  const nlohmann::json& tasks = first.report.at("tasks");
  Check(!tasks.empty(), "{}: the report has no tasks", first.path);
  const std::string any_task = tasks.begin().key();
  const int count = ShardOf(first, any_task).at("count").get<int>();

  // Every shard once, and all of the same run.
  std::vector<const ShardReport*> by_index(static_cast<size_t>(count), nullptr);
  for (const ShardReport& s : shards) {
    const nlohmann::json& p = s.report.at("provenance");
    const nlohmann::json& p0 = first.report.at("provenance");
    for (const char* key : {"model_sha256", "backend", "weights", "git_commit", "data_dir"}) {
      Same(first, s, Field(p0, key), Field(p, key), std::string("provenance.") + key);
    }
    std::set<std::string> names, names0;
    for (const auto& [name, t] : s.report.at("tasks").items()) names.insert(name);
    for (const auto& [name, t] : tasks.items()) names0.insert(name);
    Check(names == names0, "{} and {} are not shards of one run: they ran other tasks", first.path,
          s.path);
    int index = -1;
    for (const auto& [name, t] : tasks.items()) {
      const nlohmann::json& shard = ShardOf(s, name);
      Same(first, s, ShardOf(first, name).at("count"), shard.at("count"),
           "tasks." + name + ".shard.count");
      if (index < 0) index = shard.at("index").get<int>();
      Check(shard.at("index").get<int>() == index, "{}: tasks disagree on the shard index",
            s.path);
      const nlohmann::json& other = s.report.at("tasks").at(name);
      for (const char* key : {"protocol", "shots", "limit", "subjects_selected", "data_files"}) {
        Same(first, s, Field(t, key), Field(other, key), "tasks." + name + "." + key);
      }
      Same(first, s, ShardOf(first, name).at("selected_docs"), shard.at("selected_docs"),
           "tasks." + name + ".shard.selected_docs");
    }
    Check(index >= 0 && index < count, "{}: shard index {} is out of range for {} shards",
          s.path, index, count);
    if (by_index[static_cast<size_t>(index)] != nullptr) {
      Fail("{} and {} are both shard {} of {}", by_index[static_cast<size_t>(index)]->path,
           s.path, index, count);
    }
    by_index[static_cast<size_t>(index)] = &s;
  }
  for (int i = 0; i < count; ++i) {
    Check(by_index[static_cast<size_t>(i)] != nullptr, "merge: shard {} of {} is missing ({} given)",
          i, count, shards.size());
  }

  MergedEval merged;
  merged.provenance = first.report.at("provenance");
  merged.provenance["merged_from"] = nlohmann::json::array();
  double wall = 0;
  for (const ShardReport* s : by_index) {
    const nlohmann::json& p = s->report.at("provenance");
    merged.provenance["merged_from"].push_back(
        {{"path", s->path}, {"git_commit", p.at("git_commit")}, {"date", p.at("date")}});
    wall += p.at("wall_seconds").get<double>();
  }
  merged.provenance["wall_seconds"] = wall;  // the shards' total, not elapsed time

  for (const auto& [name, t0] : tasks.items()) {
    evals::TaskRun run;
    run.task = &evals::FindTask(name);
    run.shots = t0.at("shots").get<int>();
    run.limit = t0.at("limit").get<int64_t>();
    if (t0.contains("subjects_selected")) run.subjects = t0.at("subjects_selected");
    for (const auto& f : t0.value("data_files", nlohmann::json::array())) {
      run.data_files.push_back({f.at("path"), f.at("sha256")});
    }
    run.selected_docs = ShardOf(first, name).at("selected_docs").get<int64_t>();
    std::map<int64_t, std::string> seen;  // document index -> shard report
    for (const ShardReport* s : by_index) {
      const nlohmann::json& t = s->report.at("tasks").at(name);
      run.resumed += t.at("resumed_docs").get<int64_t>();
      const nlohmann::json& work = t.at("work");
      run.stats.block_tokens += work.at("block_tokens").get<int64_t>();
      run.stats.scored_rows += work.at("scored_rows").get<int64_t>();
      run.stats.forward_passes += work.at("forward_passes").get<int64_t>();
      run.flops += work.at("flops").get<double>();
      run.seconds += work.at("seconds").get<double>();
      for (const nlohmann::json& d : s->report.at("documents").at(name)) {
        evals::DocResult doc = evals::DocResultFromRecord(d);
        const auto [it, fresh] = seen.emplace(doc.index, s->path);
        Check(fresh, "merge: {} document {} is in both {} and {}", name, doc.index, it->second,
              s->path);
        run.docs.push_back(std::move(doc));
      }
    }
    Check(static_cast<int64_t>(run.docs.size()) == run.selected_docs,
          "merge: the shards of {} hold {} documents, the run selected {}", name, run.docs.size(),
          run.selected_docs);
    std::sort(run.docs.begin(), run.docs.end(),
              [](const evals::DocResult& a, const evals::DocResult& b) { return a.index < b.index; });
    run.scores = evals::ComputeScores(*run.task, run.docs);
    merged.runs.push_back(std::move(run));
  }
  return merged;
}

}  // namespace gemmeter::reports
