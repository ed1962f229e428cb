// Splitting an evaluation into N shards that run apart (processes, machines, a Slurm job
// array, a Kubernetes Indexed Job) and merge into the report of a single run.
//
// Every shard computes the same assignment from the same data: documents go to shards
// by longest-processing-time-first on their token counts (costliest first, each to the
// shard with the fewest tokens so far; ties to the lower document index and the lower
// shard), which balances the shards' work within one document of each other.
#pragma once

#include <cstdint>
#include <functional>
#include <string_view>
#include <vector>

namespace gemmeter::evals {

struct Shard {
  int index = 0;  // 0 .. count - 1
  int count = 1;
};

// "I/N" (shard I of N), or "N" with the index from the environment: SLURM_ARRAY_TASK_ID
// (submit --array=0-<N-1>; resubmit a failed shard as --array=I) or JOB_COMPLETION_INDEX
// (a Kubernetes Indexed Job). Throws Error naming the flag and the variable when the
// spec or the index is malformed or out of range.
Shard ParseShard(std::string_view spec,
                 const std::function<const char*(const char*)>& getenv_fn = nullptr);

// The shard (0 .. count - 1) of each document, from each document's cost (tokens).
std::vector<int> AssignShards(const std::vector<int64_t>& costs, int count);

}  // namespace gemmeter::evals
