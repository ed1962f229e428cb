// Shard specs and the assignment of documents to shards (evals/shard.h).
#include <catch2/catch.hpp>

#include <algorithm>
#include <map>
#include <random>
#include <string>

#include "engine/core/error.h"
#include "evals/shard.h"

namespace gemmeter::evals {
namespace {

// An environment of the given variables only.
auto Env(std::map<std::string, std::string> vars) {
  return [vars = std::move(vars)](const char* name) -> const char* {
    const auto it = vars.find(name);
    return it == vars.end() ? nullptr : it->second.c_str();
  };
}

TEST_CASE("shard specs: I/N, or N with the index from Slurm or Kubernetes", "[shard]") {
  const auto none = Env({});
  CHECK(ParseShard("0/1", none).count == 1);
  const Shard s = ParseShard("3/4", none);
  CHECK((s.index == 3 && s.count == 4));
  // The task id is the index, whatever the array's first id: a failed shard resubmitted
  // alone (--array=2, so SLURM_ARRAY_TASK_MIN=2) is still shard 2.
  const Shard slurm = ParseShard("4", Env({{"SLURM_ARRAY_TASK_ID", "2"}, {"SLURM_ARRAY_TASK_MIN", "2"}}));
  CHECK((slurm.index == 2 && slurm.count == 4));
  CHECK(ParseShard("4", Env({{"SLURM_ARRAY_TASK_ID", "0"}})).index == 0);
  CHECK(ParseShard("2", Env({{"JOB_COMPLETION_INDEX", "1"}})).index == 1);
  // Slurm wins when both are set (a Slurm job inside a pod would be unusual, but defined).
  CHECK(ParseShard("4", Env({{"SLURM_ARRAY_TASK_ID", "2"}, {"JOB_COMPLETION_INDEX", "1"}})).index == 2);

  CHECK_THROWS_WITH(ParseShard("4/4", none), Catch::Contains("out of range for 4 shards"));
  CHECK_THROWS_WITH(ParseShard("x/2", none), Catch::Contains("not I/N"));
  CHECK_THROWS_WITH(ParseShard("-1/2", none), Catch::Contains("not I/N"));
  CHECK_THROWS_WITH(ParseShard("1/0", none), Catch::Contains("is not I/N or N"));
  CHECK_THROWS_WITH(ParseShard("", none), Catch::Contains("is not I/N or N"));
  CHECK_THROWS_WITH(ParseShard("3", none), Catch::Contains("SLURM_ARRAY_TASK_ID or JOB_COMPLETION_INDEX"));
  CHECK_THROWS_WITH(ParseShard("3", Env({{"SLURM_ARRAY_TASK_ID", "3"}})), Catch::Contains("out of range"));
  CHECK_THROWS_WITH(ParseShard("3", Env({{"SLURM_ARRAY_TASK_ID", "a"}})),
                    Catch::Contains("SLURM_ARRAY_TASK_ID=\"a\""));
  CHECK_THROWS_WITH(ParseShard("2", Env({{"JOB_COMPLETION_INDEX", "2"}})), Catch::Contains("out of range"));
}

TEST_CASE("documents go to shards once each, balanced by tokens, deterministically", "[shard]") {
  std::mt19937 rng(5);
  for (int count : {1, 2, 3, 7}) {
    for (size_t docs : {size_t{0}, size_t{1}, size_t{5}, size_t{1000}}) {
      std::vector<int64_t> costs(docs);
      for (auto& c : costs) c = 20 + static_cast<int64_t>(rng() % 600);
      const std::vector<int> shard = AssignShards(costs, count);
      REQUIRE(shard.size() == docs);
      CHECK(AssignShards(costs, count) == shard);  // every shard computes the same
      std::vector<int64_t> load(static_cast<size_t>(count), 0);
      for (size_t d = 0; d < docs; ++d) {
        REQUIRE((shard[d] >= 0 && shard[d] < count));
        load[static_cast<size_t>(shard[d])] += costs[d];
      }
      // Longest-processing-time first: the busiest shard exceeds the least busy by at
      // most one document's cost.
      const int64_t max_cost = docs ? *std::max_element(costs.begin(), costs.end()) : 0;
      INFO(count << " shards, " << docs << " documents");
      CHECK(*std::max_element(load.begin(), load.end()) - *std::min_element(load.begin(), load.end()) <=
            max_cost);
    }
  }
  // Equal costs: counts differ by at most one, lower shards first.
  const std::vector<int> equal = AssignShards(std::vector<int64_t>(10, 7), 4);
  CHECK(equal == std::vector<int>{0, 1, 2, 3, 0, 1, 2, 3, 0, 1});
  CHECK_THROWS_WITH(AssignShards({1, 2}, 0), Catch::Contains("at least 1"));
}

}  // namespace
}  // namespace gemmeter::evals
