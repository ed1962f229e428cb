#include "evals/shard.h"

#include <algorithm>
#include <charconv>
#include <cstdlib>
#include <numeric>
#include <optional>
#include <queue>
#include <string>

#include "engine/core/error.h"

namespace gemmeter::evals {
namespace {

// A whole non-negative decimal number, or nullopt.
std::optional<int64_t> Number(std::string_view s) {
  int64_t v = 0;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (s.empty() || ec != std::errc() || end != s.data() + s.size() || v < 0) return std::nullopt;
  return v;
}

// The shard index from a Slurm array or a Kubernetes Indexed Job. The task id itself, not
// its offset from SLURM_ARRAY_TASK_MIN: resubmitting one failed shard as --array=I must
// run shard I.
int64_t IndexFromEnvironment(const std::function<const char*(const char*)>& env) {
  for (const char* name : {"SLURM_ARRAY_TASK_ID", "JOB_COMPLETION_INDEX"}) {
    if (const char* id = env(name)) {
      const auto v = Number(id);
      Check(v.has_value(), "--shard: {}=\"{}\" is not an index", name, id);
      return *v;
    }
  }
  Fail("--shard N needs the shard index from the environment (SLURM_ARRAY_TASK_ID or "
       "JOB_COMPLETION_INDEX), and neither is set; give --shard I/N");
}

}  // namespace

Shard ParseShard(std::string_view spec, const std::function<const char*(const char*)>& getenv_fn) {
  const std::function<const char*(const char*)> env =
      getenv_fn ? getenv_fn : [](const char* name) -> const char* { return std::getenv(name); };
  const size_t slash = spec.find('/');
  const std::optional<int64_t> count = Number(slash == std::string_view::npos ? spec : spec.substr(slash + 1));
  Check(count.has_value() && *count >= 1 && *count <= 100000,
        "--shard: \"{}\" is not I/N or N (N shards, 1 to 100000)", spec);
  int64_t index = 0;
  if (slash == std::string_view::npos) {
    index = IndexFromEnvironment(env);
  } else {
    const auto i = Number(spec.substr(0, slash));
    Check(i.has_value(), "--shard: \"{}\" is not I/N (I a shard index from 0)", spec);
    index = *i;
  }
  Check(index < *count, "--shard: shard index {} is out of range for {} shards (0 to {})", index,
        *count, *count - 1);
  return {static_cast<int>(index), static_cast<int>(*count)};
}

std::vector<int> AssignShards(const std::vector<int64_t>& costs, int count) {
  Check(count >= 1, "shards: count must be at least 1, got {}", count);
  std::vector<size_t> order(costs.size());
  std::iota(order.begin(), order.end(), size_t{0});
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return costs[a] > costs[b]; });
  // (tokens so far, shard): the smallest first, the lower shard on ties.
  using Load = std::pair<int64_t, int>;
  std::priority_queue<Load, std::vector<Load>, std::greater<Load>> loads;
  for (int s = 0; s < count; ++s) loads.push({0, s});
  std::vector<int> shard(costs.size(), 0);
  for (size_t d : order) {
    auto [tokens, s] = loads.top();
    loads.pop();
    shard[d] = s;
    loads.push({tokens + costs[d], s});
  }
  return shard;
}

}  // namespace gemmeter::evals
