#include "engine/core/parallel.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <exception>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define GEMMETER_CPU_RELAX() _mm_pause()
#else
#define GEMMETER_CPU_RELAX() ((void)0)
#endif

namespace gemmeter {
namespace {

thread_local bool t_in_loop = false;
thread_local int t_thread_limit = 0;
thread_local int t_thread_index = 0;

// How long an idle worker spins before it sleeps on a futex until the next loop: a
// forward pass starts a loop every ~10-100 us, with gaps of host work between (logits
// copied out, a token sampled), and a futex wake costs tens of microseconds (measured
// with OpenMP's threads on decode, 270M Q4_K_M, 2 threads: sleeping at once, as
// OMP_WAIT_POLICY=passive does, lost 28% of tg32). After that the core goes back to
// other processes.
constexpr auto kIdleSpin = std::chrono::microseconds(300);
// A caller waiting for chunks that other threads still run spins this long, then sleeps
// until the last of them is done. Spinning covers the tail of a running chunk (up to
// ~0.5 ms for a prefill panel); on a busy machine the thread it waits for may be waiting
// for a core, and sleeping gives it this one. (Yielding instead handed the core to
// whichever process was runnable, for its whole time slice: on a quiet machine with one
// background job it cost 5-10% of prefill.)
constexpr auto kWaitSpin = std::chrono::microseconds(500);

// Spins (pause instructions) until `done()` or `budget` has passed; true if done.
template <class Done>
bool SpinFor(const Done& done, std::chrono::microseconds budget) {
  const auto start = std::chrono::steady_clock::now();
  for (int spin = 1; !done(); ++spin) {
    GEMMETER_CPU_RELAX();
    if (spin % 64 == 0 && std::chrono::steady_clock::now() - start > budget) return done();
  }
  return true;
}

// A claim takes 1/kClaimDivisor of the chunks left in a range (at least one): few claims
// while much is left (each costs a cache-line transfer between cores), single chunks at
// the end, so the threads finish together and a thread descheduled holding a claim holds
// little. Claims are whole chunks, so boundaries stay multiples of `grain`.
constexpr int64_t kClaimDivisor = 4;

// A loop's chunks are split into one contiguous range per thread. Each thread claims
// from the front of its own range, then from the others' (work stealing): on a quiet
// machine every thread runs its own range, so a thread reads the same weight rows at
// every token, as with a static split; on a busy one, running threads take over the
// ranges of threads the scheduler took away.
//
// Chunk numbers only grow: loop L owns the numbers [first, end) of each range's counter,
// and its first is the previous loop's end. A thread claims chunks c.. of a range by
// moving its `next` from c to c + k with compare-and-swap, only if c < `end`. A worker
// that read loop L's description and then slept past the end of L cannot claim a chunk
// of loop L+1 under L's description: its compare-and-swap expects an unclaimed chunk of
// L, and L ends only after all of its chunks were claimed.
class Pool {
 public:
  explicit Pool(int threads) : ranges_(new Range[static_cast<size_t>(threads)]), range_count_(threads) {
    for (int i = 1; i < threads; ++i) workers_.emplace_back([this, i] { WorkerLoop(i); });
  }
  ~Pool() {
    stop_.store(true);
    Wake();
    for (auto& w : workers_) w.join();
  }
  int threads() const { return range_count_; }

  // Runs the loop if the pool is free; false (nothing run) if another thread's loop has it.
  bool TryRun(int64_t count, int64_t grain, RangeBody body, int threads) {
    std::unique_lock lock(submit_, std::try_to_lock);
    if (!lock.owns_lock()) return false;
    const int64_t chunks = (count + grain - 1) / grain;
    const int64_t participants = std::min(threads, range_count_);
    body_.store(&body, std::memory_order_relaxed);
    count_.store(count, std::memory_order_relaxed);
    grain_.store(grain, std::memory_order_relaxed);
    participants_.store(participants, std::memory_order_relaxed);
    error_ = nullptr;
    failed_.store(false, std::memory_order_relaxed);
    for (int64_t r = 0; r < participants; ++r) {
      Range& range = ranges_[r];
      const int64_t first_chunk = r * chunks / participants;
      const int64_t size = (r + 1) * chunks / participants - first_chunk;
      const int64_t first = range.end.load(std::memory_order_relaxed);
      range.chunk_offset.store(first_chunk - first, std::memory_order_relaxed);
      range.end.store(first + size, std::memory_order_release);
    }
    done_target_ += chunks;
    // Workers start on a new loop number, when every range is set: a worker that saw
    // only the first range would take it, and the caller would then run another's.
    loop_.fetch_add(1);  // seq_cst, with sleepers_ below: see WorkerLoop
    if (sleepers_.load() > 0) Wake();
    ClaimAndRun(0);
    // Chunks claimed by workers may still run; done_ counts finished chunks globally.
    WaitUntilDone();
    if (error_) std::rethrow_exception(error_);
    return true;
  }

 private:
  struct alignas(64) Range {
    std::atomic<int64_t> next{0};
    std::atomic<int64_t> end{0};
    std::atomic<int64_t> chunk_offset{0};  // chunk index = counter value + chunk_offset
  };

  void Wake() {
    wake_.fetch_add(1);
    wake_.notify_all();
  }

  bool Done() const { return done_.load(std::memory_order_acquire) >= done_target_; }

  // The caller's wait for chunks other threads run. Sleeping is a Dekker handshake with
  // CountDone: the caller raises caller_waiting_, then checks done_; a worker adds to
  // done_, then checks caller_waiting_ (all seq_cst), so one of them sees the other.
  void WaitUntilDone() {
    SpinFor([this] { return Done(); }, kWaitSpin);
    while (!Done()) {
      caller_waiting_.store(true);
      const uint32_t seen = done_signal_.load();
      if (!Done()) done_signal_.wait(seen);
    }
    caller_waiting_.store(false, std::memory_order_relaxed);
  }

  void CountDone(int64_t chunks) {
    done_.fetch_add(chunks);
    if (caller_waiting_.load()) {
      done_signal_.fetch_add(1);
      done_signal_.notify_one();
    }
  }

  // Claims one run of chunks of range r and runs it; 0 if the range has none left, else
  // the number of chunks run.
  int64_t ClaimAndRunOnce(Range& range) {
    for (;;) {
      int64_t c = range.next.load(std::memory_order_acquire);
      const int64_t end = range.end.load(std::memory_order_acquire);
      if (c >= end) return 0;
      // The description is read before the claim and used only if the claim succeeds,
      // which proves it was the description of the loop that owns chunk c.
      const RangeBody* body = body_.load(std::memory_order_relaxed);
      const int64_t count = count_.load(std::memory_order_relaxed);
      const int64_t grain = grain_.load(std::memory_order_relaxed);
      const int64_t offset = range.chunk_offset.load(std::memory_order_relaxed);
      const int64_t take = std::max<int64_t>(1, (end - c) / kClaimDivisor);
      if (!range.next.compare_exchange_weak(c, c + take, std::memory_order_acq_rel)) continue;
      const int64_t begin = (c + offset) * grain;
      if (!failed_.load(std::memory_order_relaxed)) {
        t_in_loop = true;
        try {
          (*body)(begin, std::min(count, begin + take * grain));
        } catch (...) {
          std::lock_guard guard(error_mutex_);
          if (!error_) error_ = std::current_exception();
          failed_.store(true, std::memory_order_relaxed);
        }
        t_in_loop = false;
      }
      return take;
    }
  }

  // Runs chunks of the current loop, its own range first, until none is left anywhere,
  // then counts them done at once (one write to the shared counter per thread and loop).
  void ClaimAndRun(int home) {
    int64_t ran_total = 0;
    for (;;) {
      int64_t ran = 0;
      for (int k = 0; k < range_count_ && ran == 0; ++k) {
        ran = ClaimAndRunOnce(ranges_[(home + k) % range_count_]);
      }
      if (ran == 0) break;
      ran_total += ran;
    }
    if (ran_total > 0) CountDone(ran_total);
  }

  void WorkerLoop(int index) {
    t_thread_index = index;
    uint64_t seen = 0;  // the last loop number this worker started on
    const auto new_loop = [&] { return loop_.load(std::memory_order_acquire) != seen; };
    while (!stop_.load(std::memory_order_relaxed)) {
      if (!SpinFor(new_loop, kIdleSpin)) {
        const uint32_t wake = wake_.load();
        sleepers_.fetch_add(1);  // seq_cst with TryRun's loop_ increment and sleepers_
        // load: either this check sees the new loop, or TryRun sees a sleeper and wakes it.
        if (!new_loop() && !stop_.load()) wake_.wait(wake);
        sleepers_.fetch_sub(1);
        continue;
      }
      seen = loop_.load(std::memory_order_acquire);
      // A loop limited to fewer threads leaves the higher-numbered workers out.
      if (index < participants_.load(std::memory_order_relaxed)) ClaimAndRun(index);
    }
  }

  std::vector<std::thread> workers_;
  std::mutex submit_;
  std::unique_ptr<Range[]> ranges_;  // one per thread
  const int range_count_;
  alignas(64) std::atomic<int64_t> done_{0};
  int64_t done_target_ = 0;  // done_ at the end of the current loop (the caller's)
  alignas(64) std::atomic<const RangeBody*> body_{nullptr};
  std::atomic<int64_t> count_{0}, grain_{1};
  std::atomic<int64_t> participants_{1};
  std::atomic<bool> failed_{false};
  std::mutex error_mutex_;
  std::exception_ptr error_;
  alignas(64) std::atomic<bool> caller_waiting_{false};
  std::atomic<uint32_t> done_signal_{0};
  alignas(64) std::atomic<uint64_t> loop_{0};  // loops started
  alignas(64) std::atomic<uint32_t> wake_{0};
  std::atomic<int> sleepers_{0};
  std::atomic<bool> stop_{false};
};

std::mutex g_pool_mutex;
std::atomic<int> g_threads{0};
std::shared_ptr<Pool> g_pool;

// Read once: glibc answers hardware_concurrency() by reading /sys/devices/system/cpu
// (~10 us; once per loop it cost 14% of a decode step).
int DefaultThreads() {
  static const int threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  return threads;
}

std::shared_ptr<Pool> CurrentPool() {
  std::lock_guard lock(g_pool_mutex);
  const int wanted = ParallelThreads();
  if (!g_pool || g_pool->threads() != wanted) g_pool = std::make_shared<Pool>(wanted);
  return g_pool;
}

}  // namespace

int ParallelThreads() {
  const int t = g_threads.load();
  return t > 0 ? t : DefaultThreads();
}

void SetParallelThreads(int threads) { g_threads.store(threads); }

bool InParallelLoop() { return t_in_loop; }

int ParallelThreadIndex() { return t_thread_index; }

int ParallelLimit() {
  if (t_in_loop) return 1;
  return t_thread_limit > 0 ? std::min(t_thread_limit, ParallelThreads()) : ParallelThreads();
}

ScopedThreadLimit::ScopedThreadLimit(int threads) : previous_(t_thread_limit) {
  t_thread_limit = threads;
}
ScopedThreadLimit::~ScopedThreadLimit() { t_thread_limit = previous_; }

void ParallelChunks(int64_t count, int64_t grain, RangeBody body, int threads) {
  if (count <= 0) return;
  grain = std::max<int64_t>(1, grain);
  const int limit = threads > 0 ? threads : ParallelLimit();
  if (count <= grain || limit <= 1 || t_in_loop) {
    body(0, count);
    return;
  }
  const std::shared_ptr<Pool> pool = CurrentPool();
  if (!pool->TryRun(count, grain, body, limit)) body(0, count);
}

void ParallelFor(int64_t count, int64_t cost_per_item, RangeBody body, int threads) {
  const int64_t grain = std::max<int64_t>(1, kMinWorkPerChunk / std::max<int64_t>(1, cost_per_item));
  ParallelChunks(count, grain, body, threads);
}

}  // namespace gemmeter
