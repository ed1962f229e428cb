// A minimal parallel-for over an index range, used by the reference backend.
//
// Each index is computed by exactly one thread with the same arithmetic as a serial
// loop, so results do not depend on the thread count (determinism is part of the
// reference backend's contract).
#pragma once

#include <cstdint>
#include <functional>

namespace gemmeter {

// Number of worker threads used by ParallelFor (default: hardware concurrency).
int ParallelThreads();
void SetParallelThreads(int threads);

// Calls body(begin, end) on disjoint chunks covering [0, count), on at most `threads`
// threads (0: ParallelThreads()). Runs inline when `count * cost_per_item` is too small to
// be worth starting threads.
void ParallelFor(int64_t count, int64_t cost_per_item,
                 const std::function<void(int64_t begin, int64_t end)>& body, int threads = 0);

}  // namespace gemmeter
