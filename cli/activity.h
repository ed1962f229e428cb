// What a command is doing, for the last line it prints when something that is not a
// gemmeter::Error ends it (out of memory, a filesystem or system error from the standard
// library): "gemmeter eval: error: out of memory while loading the model m.gguf".
//
// An Activity names a step while it lives (the main thread's steps, innermost last). If
// an exception leaves the step, the innermost step it leaves is remembered for main's
// message (the guards are gone by the time main catches it).
#pragma once

#include <string>

namespace gemmeter::cli {

class Activity {
 public:
  explicit Activity(std::string what);
  ~Activity();
  Activity(const Activity&) = delete;
  Activity& operator=(const Activity&) = delete;

 private:
  std::string what_;
  int uncaught_;
};

// The innermost step an exception left ("" if none), and clears it.
std::string TakeFailedActivity();

// From now on a failed allocation ends the process at once, with status 1 and one line:
// "<command>: error: out of memory while <innermost step>". Not an exception: bad_alloc
// unwinding through sentencepiece's protobuf parser crashed it (SIGSEGV in a destructor,
// found by the out-of-memory test), and nothing is lost by stopping at the allocation.
void ExitOnOutOfMemory(std::string command);

}  // namespace gemmeter::cli
