#include "engine/core/parallel.h"

#include <algorithm>
#include <atomic>
#include <exception>
#include <thread>
#include <vector>

namespace gemmeter {
namespace {

std::atomic<int> g_threads{0};

// Below this much work (roughly multiply-adds) a thread start costs more than it saves.
constexpr int64_t kMinWorkPerThread = 1 << 16;

}  // namespace

int ParallelThreads() {
  int t = g_threads.load();
  if (t <= 0) t = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  return t;
}

void SetParallelThreads(int threads) { g_threads.store(threads); }

void ParallelFor(int64_t count, int64_t cost_per_item,
                 const std::function<void(int64_t, int64_t)>& body, int max_threads) {
  if (count <= 0) return;
  const int64_t by_work = std::max<int64_t>(1, count * std::max<int64_t>(1, cost_per_item) /
                                                   kMinWorkPerThread);
  const int64_t workers =
      std::min<int64_t>({max_threads > 0 ? max_threads : ParallelThreads(), count, by_work});
  if (workers <= 1) {
    body(0, count);
    return;
  }
  std::vector<std::thread> threads;
  std::vector<std::exception_ptr> errors(static_cast<size_t>(workers));
  const int64_t chunk = (count + workers - 1) / workers;
  for (int64_t w = 0; w < workers; ++w) {
    const int64_t begin = w * chunk;
    const int64_t end = std::min(count, begin + chunk);
    if (begin >= end) break;
    threads.emplace_back([&, w, begin, end] {
      try {
        body(begin, end);
      } catch (...) {
        errors[static_cast<size_t>(w)] = std::current_exception();
      }
    });
  }
  for (auto& t : threads) t.join();
  for (auto& e : errors)
    if (e) std::rethrow_exception(e);
}

}  // namespace gemmeter
