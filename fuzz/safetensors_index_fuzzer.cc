// Fuzz target: sharded safetensors checkpoints (SafetensorsCheckpoint in
// engine/io/safetensors.*): model.safetensors.index.json and the shards it names.
//
// Input: the text of model.safetensors.index.json. It is written into a scratch folder
// that also holds two valid shards, model-00001-of-00002.safetensors (tensors "a", "b")
// and model-00002-of-00002.safetensors ("c"). Build and run: fuzz/README.md, e.g.
//   build-fuzz/fuzz/safetensors_index_fuzzer -dict=fuzz/dict/safetensors.dict (one line)
//       build-fuzz/corpus/safetensors_index fuzz/corpus/safetensors_index
// gemmeter::Error is the expected answer to bad input; anything else is a finding.
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>

#include "engine/core/error.h"
#include "engine/io/safetensors.h"
#include "fuzz/fuzz_util.h"

namespace {

using nlohmann::json;

// The checkpoint folder with its two shards, made once per process.
const std::string& CheckpointDir() {
  static const std::string dir = [] {
    const std::string d = gemmeter::fuzz::ScratchDir() + "/checkpoint";
    std::filesystem::create_directories(d);
    const json first = {{"a", {{"dtype", "F32"}, {"shape", {2}}, {"data_offsets", {0, 8}}}},
                        {"b", {{"dtype", "BF16"}, {"shape", {1, 2}}, {"data_offsets", {8, 12}}}}};
    const json second = {{"c", {{"dtype", "F16"}, {"shape", {2}}, {"data_offsets", {0, 4}}}},
                         {"__metadata__", {{"format", "pt"}}}};
    const std::string a = gemmeter::fuzz::SafetensorsBytes(first, std::string(12, '\x3f'));
    const std::string b = gemmeter::fuzz::SafetensorsBytes(second, std::string(4, '\x3c'));
    gemmeter::fuzz::WriteScratchFile("checkpoint/model-00001-of-00002.safetensors", a.data(),
                                     a.size());
    gemmeter::fuzz::WriteScratchFile("checkpoint/model-00002-of-00002.safetensors", b.data(),
                                     b.size());
    return d;
  }();
  return dir;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string& dir = CheckpointDir();
  gemmeter::fuzz::WriteScratchFile("checkpoint/model.safetensors.index.json", data, size);
  try {
    const gemmeter::SafetensorsCheckpoint checkpoint(dir);
    for (const std::string& name : checkpoint.Names()) {
      if (checkpoint.Find(name) == nullptr) __builtin_trap();  // Names() and Find() disagree
    }
  } catch (const gemmeter::Error&) {
  }
  return 0;
}
