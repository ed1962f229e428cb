#include "cli/process.h"

#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "engine/core/error.h"

extern char** environ;

namespace gemmeter::cli {
namespace {

std::vector<char*> Argv(const std::vector<std::string>& argv) {
  std::vector<char*> out;
  for (const std::string& a : argv) out.push_back(const_cast<char*>(a.c_str()));
  out.push_back(nullptr);
  return out;
}

int Wait(pid_t pid, const std::vector<std::string>& argv) {
  int status = 0;
  while (waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) Fail("waiting for {}: {}", argv[0], std::strerror(errno));
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

pid_t Spawn(const std::vector<std::string>& argv, posix_spawn_file_actions_t* actions) {
  Check(!argv.empty(), "no program to run");
  std::vector<char*> args = Argv(argv);
  pid_t pid = 0;
  const int error = posix_spawnp(&pid, argv[0].c_str(), actions, nullptr, args.data(), environ);
  if (error != 0) Fail("cannot run {}: {}", argv[0], std::strerror(error));
  return pid;
}

}  // namespace

int RunProgram(const std::vector<std::string>& argv) { return Wait(Spawn(argv, nullptr), argv); }

std::string CaptureProgram(const std::vector<std::string>& argv) {
  int fds[2];
  Check(pipe(fds) == 0, "cannot make a pipe for {}: {}", argv.at(0), std::strerror(errno));
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, fds[1], STDOUT_FILENO);
  posix_spawn_file_actions_addclose(&actions, fds[0]);
  pid_t pid = 0;
  try {
    pid = Spawn(argv, &actions);
  } catch (...) {
    posix_spawn_file_actions_destroy(&actions);
    close(fds[0]);
    close(fds[1]);
    throw;
  }
  posix_spawn_file_actions_destroy(&actions);
  close(fds[1]);
  std::string out;
  char buffer[4096];
  for (ssize_t n; (n = read(fds[0], buffer, sizeof buffer)) != 0;) {
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) break;
    out.append(buffer, static_cast<size_t>(n));
  }
  close(fds[0]);
  const int status = Wait(pid, argv);
  Check(status == 0, "{} exited with status {}: {}", ShellLine(argv), status, out);
  return out;
}

std::string SelfPath() { return std::filesystem::read_symlink("/proc/self/exe").string(); }

std::string ShellLine(const std::vector<std::string>& argv, const std::string& keep) {
  std::string line;
  for (const std::string& word : argv) {
    // Words of only these characters need no quotes.
    if (!word.empty() && word.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                                                "0123456789_./=:,+-@%") == std::string::npos) {
      line += (line.empty() ? "" : " ") + word;
      continue;
    }
    std::string quoted = "'";
    for (size_t i = 0; i < word.size(); ++i) {
      if (!keep.empty() && word.compare(i, keep.size(), keep) == 0) {
        quoted += "'\"" + keep + "\"'";
        i += keep.size() - 1;
      } else if (word[i] == '\'') {
        quoted += "'\\''";
      } else {
        quoted += word[i];
      }
    }
    quoted += "'";
    line += (line.empty() ? "" : " ") + quoted;
  }
  return line;
}

}  // namespace gemmeter::cli
