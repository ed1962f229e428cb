// fuzz_replay: runs every fuzz target once on each file of its seed corpus and of its
// crash inputs (fuzz/corpus/<target>/, fuzz/crashes/<target>/), without libFuzzer, so the
// normal (gcc) build and test suite keep every past finding fixed. Takes seconds.
//
//   build/fuzz/fuzz_replay fuzz                 # every target (the `fuzz_replay` test)
//   build/fuzz/fuzz_replay fuzz gguf            # one target
//   build/fuzz/fuzz_replay --file gguf crash-1  # one input, e.g. a new crash to debug
//
// The target sources are compiled with LLVMFuzzerTestOneInput renamed to
// GemmeterFuzz_<target> (fuzz/meson.build), so all of them link into this one program.
// A target that crashes takes the process down with it; the line printed before each
// input names the culprit.
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <exception>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <string_view>
#include <vector>

#define GEMMETER_FUZZ_TARGETS(X) \
  X(config_json)                 \
  X(dequant)                     \
  X(gguf)                        \
  X(gguf_tokenizer)              \
  X(hellaswag)                   \
  X(mmlu_csv)                    \
  X(piqa)                        \
  X(safetensors)                 \
  X(safetensors_index)

#define GEMMETER_DECLARE(name) \
  extern "C" int GemmeterFuzz_##name(const uint8_t* data, size_t size);
GEMMETER_FUZZ_TARGETS(GEMMETER_DECLARE)

namespace {

namespace fs = std::filesystem;

struct Target {
  const char* name;
  int (*run)(const uint8_t*, size_t);
};

#define GEMMETER_ENTRY(name) {#name, GemmeterFuzz_##name},
const Target kTargets[] = {GEMMETER_FUZZ_TARGETS(GEMMETER_ENTRY)};

// Seeds kept in this source rather than under fuzz/corpus/: HellaSwag-format files are not
// committed at all (its real text is under a DMCA claim), so its synthetic seed lives here.
struct BuiltinSeed {
  const char* target;
  const char* text;
};
const BuiltinSeed kBuiltinSeeds[] = {
    {"hellaswag",
     "Baking bread: A baker kneads dough on a table. She\n2\nthrows it away.\npaints it "
     "blue.\nfolds it over and turns it.\nsings to it.\nCooking rice: Rinse \xC3\xA9 the rice\r\n"
     "3\r\nA\r\nB\r\nC\r\nD\r\n"},
};

const Target* FindTarget(const std::string& name) {
  for (const Target& t : kTargets) {
    if (name == t.name) return &t;
  }
  std::fprintf(stderr, "fuzz_replay: no fuzz target '%s'\n", name.c_str());
  return nullptr;
}

bool RunFile(const Target& target, const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    std::fprintf(stderr, "fuzz_replay: cannot read %s\n", path.c_str());
    return false;
  }
  const std::vector<char> bytes((std::istreambuf_iterator<char>(in)),
                                std::istreambuf_iterator<char>());
  std::fprintf(stderr, "  %s\n", path.c_str());
  try {
    // A fresh heap copy of the exact size, as libFuzzer passes it.
    const std::vector<uint8_t> input(bytes.begin(), bytes.end());
    target.run(input.data(), input.size());
  } catch (const std::exception& e) {
    std::fprintf(stderr, "fuzz_replay: %s: %s escaped the target: %s\n", target.name,
                 path.c_str(), e.what());
    return false;
  }
  return true;
}

// Replays the target's built-in seeds and fuzz_root/{corpus,crashes}/<target>/*; there
// must be at least one seed.
bool RunTarget(const Target& target, const fs::path& fuzz_root) {
  const auto start = std::chrono::steady_clock::now();
  int files = 0;
  bool ok = true;
  for (const BuiltinSeed& seed : kBuiltinSeeds) {
    if (std::string_view(seed.target) != target.name) continue;
    std::fprintf(stderr, "  (built-in seed of %s)\n", target.name);
    const std::string text(seed.text);
    const std::vector<uint8_t> input(text.begin(), text.end());
    try {
      target.run(input.data(), input.size());
    } catch (const std::exception& e) {
      std::fprintf(stderr, "fuzz_replay: %s: built-in seed: %s escaped the target\n", target.name,
                   e.what());
      ok = false;
    }
    ++files;
  }
  for (const char* kind : {"corpus", "crashes"}) {
    const fs::path dir = fuzz_root / kind / target.name;
    if (!fs::is_directory(dir)) continue;
    std::vector<fs::path> paths;
    for (const auto& entry : fs::directory_iterator(dir)) {
      if (entry.is_regular_file()) paths.push_back(entry.path());
    }
    std::sort(paths.begin(), paths.end());
    for (const fs::path& p : paths) {
      ok = RunFile(target, p) && ok;
      ++files;
    }
  }
  if (files == 0) {
    std::fprintf(stderr, "fuzz_replay: %s: no seed corpus in %s\n", target.name,
                 (fuzz_root / "corpus" / target.name).c_str());
    return false;
  }
  const double ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  std::printf("%-18s %4d inputs  %8.1f ms  %s\n", target.name, files, ms, ok ? "ok" : "FAILED");
  return ok;
}

}  // namespace

int main(int argc, char** argv) {
  const std::vector<std::string> args(argv + 1, argv + argc);
  if (args.size() >= 3 && args[0] == "--file") {
    const Target* target = FindTarget(args[1]);
    if (target == nullptr) return 2;
    bool ok = true;
    for (size_t i = 2; i < args.size(); ++i) ok = RunFile(*target, args[i]) && ok;
    return ok ? 0 : 1;
  }
  if (args.empty() || args[0].starts_with("-")) {
    std::fprintf(stderr,
                 "usage: fuzz_replay FUZZ_DIR [TARGET...]\n"
                 "       fuzz_replay --file TARGET INPUT...\n");
    return 2;
  }
  const fs::path root = args[0];
  bool ok = true;
  if (args.size() == 1) {
    for (const Target& t : kTargets) ok = RunTarget(t, root) && ok;
  } else {
    for (size_t i = 1; i < args.size(); ++i) {
      const Target* target = FindTarget(args[i]);
      ok = target != nullptr && RunTarget(*target, root) && ok;
    }
  }
  return ok ? 0 : 1;
}
