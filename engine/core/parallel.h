// Parallel loops over index ranges, on one process-wide pool of worker threads that the
// CPU kernels, the reference backend and the weight loaders share.
//
// Built for shared machines (CI runners, a parallel build beside an evaluation): the
// caller takes part in its own loop, and chunks are claimed one at a time from a shared
// counter by whichever thread is running, so a loop finishes when its chunks are done,
// not when every thread has checked in. A worker the scheduler has taken off its core
// costs nothing unless it holds a chunk; with fork/join barriers (OpenMP's static
// schedule) every loop waited for it, and a decode step has hundreds of loops. Idle
// workers spin briefly (a loop follows the previous one within microseconds during a
// forward pass), then sleep on a futex until the next loop.
//
// Each index is computed by exactly one thread with the same arithmetic as a serial
// loop, and every range a body gets starts and ends on a multiple of `grain`: a body whose
// result per index does not depend on where its range starts within those rules (all of
// ours) gives the same results however many threads ran and whichever ran what.
#pragma once

#include <cstdint>
#include <type_traits>
#include <utility>

namespace gemmeter {

// A non-owning reference to a callable `void(int64_t begin, int64_t end)`: no allocation
// per loop (std::function would allocate for most lambdas that capture by reference).
class RangeBody {
 public:
  template <typename F, typename = std::enable_if_t<!std::is_same_v<std::decay_t<F>, RangeBody>>>
  RangeBody(F&& f)  // NOLINT: implicit, so call sites pass lambdas directly
      : object_(const_cast<void*>(static_cast<const void*>(&f))),
        call_([](void* o, int64_t b, int64_t e) { (*static_cast<std::remove_reference_t<F>*>(o))(b, e); }) {}
  void operator()(int64_t begin, int64_t end) const { call_(object_, begin, end); }

 private:
  void* object_;
  void (*call_)(void*, int64_t, int64_t);
};

// Threads of the pool, the caller included (default: hardware concurrency). Setting it
// replaces the pool's workers; call it before work starts, not during a loop.
int ParallelThreads();
void SetParallelThreads(int threads);

// Calls body(begin, end) on disjoint ranges covering [0, count) whose ends are multiples
// of `grain` (or count): runs of whole chunks [0, grain), [grain, 2 grain), ..., taken
// by at most `threads` threads (0: ParallelThreads()), and returns when all
// are done. Runs inline when there is one chunk, one thread, or when called from inside
// another parallel loop (nested loops run serially in the thread that reached them) or
// while another thread's loop holds the pool. The first exception a chunk throws is
// rethrown here once every claimed chunk has finished; unclaimed chunks are skipped.
void ParallelChunks(int64_t count, int64_t grain, RangeBody body, int threads = 0);

// ParallelChunks with chunks of about kMinWorkPerChunk units of work, where one index
// costs `cost_per_item` units (roughly multiply-adds): small loops run inline.
inline constexpr int64_t kMinWorkPerChunk = int64_t{1} << 15;
void ParallelFor(int64_t count, int64_t cost_per_item, RangeBody body, int threads = 0);

// True inside a chunk of a parallel loop.
bool InParallelLoop();

// The threads a loop started now by this thread would use: 1 inside a loop, else its
// ScopedThreadLimit or ParallelThreads() (whichever is smaller).
int ParallelLimit();

// 0 in any thread but the pool's workers, i (1 .. ParallelThreads() - 1) in worker i:
// an index for per-thread scratch and state inside a loop body.
int ParallelThreadIndex();

// While alive, loops this thread starts with `threads` 0 use at most `threads` threads
// (0: no limit beyond ParallelThreads()): a backend created with its own thread count
// holds one around each op, so the kernels it calls need no thread parameter.
class ScopedThreadLimit {
 public:
  explicit ScopedThreadLimit(int threads);
  ~ScopedThreadLimit();
  ScopedThreadLimit(const ScopedThreadLimit&) = delete;
  ScopedThreadLimit& operator=(const ScopedThreadLimit&) = delete;

 private:
  int previous_;
};

}  // namespace gemmeter
