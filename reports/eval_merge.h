// Joins the reports of the shards of one evaluation (`gemmeter eval --shard I/N`) into
// the report a single run would have written: every document once, in dataset order,
// and the metrics recomputed from them. Refuses shards that do not belong together,
// naming the file and the field: another model, backend or weights, another code
// version (git commit), other data files, prompts (protocol, shots, limit, subjects) or
// selection; a missing, duplicated or unsharded report; a document in two shards.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "evals/runner.h"

namespace gemmeter::reports {

struct ShardReport {
  std::string path;
  nlohmann::json report;  // a valid evaluation report (ReadReport)
};

struct MergedEval {
  std::vector<evals::TaskRun> runs;  // per task, the shards' documents joined
  nlohmann::json provenance;         // shard 0's, with merged_from and the summed wall time
};

MergedEval MergeEvalShards(const std::vector<ShardReport>& shards);

}  // namespace gemmeter::reports
