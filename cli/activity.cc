#include "cli/activity.h"

#include <unistd.h>

#include <atomic>
#include <cstring>
#include <exception>
#include <new>
#include <string_view>
#include <utility>

namespace gemmeter::cli {
namespace {

// The steps in progress, innermost last. A fixed array: pushing must not allocate, and
// the out-of-memory handler reads it without allocating.
constexpr int kMaxDepth = 32;
const std::string* g_steps[kMaxDepth];
std::atomic<int> g_depth{0};

std::string g_failed;   // the innermost step an exception left
std::string g_command;  // "gemmeter eval", for the out-of-memory line

void Write(std::string_view text) {
  while (!text.empty()) {
    const ssize_t n = ::write(STDERR_FILENO, text.data(), text.size());
    if (n <= 0) return;
    text.remove_prefix(static_cast<size_t>(n));
  }
}

// Called by operator new when an allocation fails: no allocation here.
void OutOfMemory() {
  Write(g_command);
  Write(": error: out of memory");
  const int depth = g_depth.load();
  if (depth > 0 && depth <= kMaxDepth) {
    Write(" while ");
    Write(*g_steps[depth - 1]);
  }
  Write("\n");
  ::_exit(1);
}

}  // namespace

Activity::Activity(std::string what)
    : what_(std::move(what)), uncaught_(std::uncaught_exceptions()) {
  const int depth = g_depth.load();
  if (depth < kMaxDepth) g_steps[depth] = &what_;
  g_depth.store(depth + 1);
}

Activity::~Activity() {
  g_depth.fetch_sub(1);
  // Unwinding: the first guard destroyed is the innermost step.
  if (std::uncaught_exceptions() > uncaught_ && g_failed.empty()) g_failed = what_;
}

std::string TakeFailedActivity() { return std::exchange(g_failed, std::string()); }

void ExitOnOutOfMemory(std::string command) {
  g_command = std::move(command);
  std::set_new_handler(OutOfMemory);
}

}  // namespace gemmeter::cli
