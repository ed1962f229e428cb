// Running other programs: a suite's steps (gemmeter itself, gemmeter_bench) and Slurm's
// sbatch. Arguments are passed as an argv, never through a shell.
#pragma once

#include <string>
#include <vector>

namespace gemmeter::cli {

// Runs argv[0] (searched in PATH when it has no '/') with the caller's standard streams;
// returns its exit status (128 + N when signal N ended it). Throws Error when it cannot
// be started.
int RunProgram(const std::vector<std::string>& argv);
// The same, returning its standard output; throws Error naming the command, with its
// output, when it exits non-zero.
std::string CaptureProgram(const std::vector<std::string>& argv);
// The path of the running executable (/proc/self/exe).
std::string SelfPath();
// argv as one line a POSIX shell reads back as the same words: each word single-quoted
// where needed. Occurrences of `keep` (a shell variable such as ${SLURM_ARRAY_TASK_ID})
// stay outside the quotes, so the shell expands them.
std::string ShellLine(const std::vector<std::string>& argv, const std::string& keep = "");

}  // namespace gemmeter::cli
