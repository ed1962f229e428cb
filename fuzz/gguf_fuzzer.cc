// Fuzz target: GGUF files (engine/io/gguf.*): the header, every metadata value through
// each typed getter, the tensor table, reading small tensors as float32 (the
// dequantizers), and the model configuration built from the metadata (gguf_config.*).
//
// Input: the bytes of a .gguf file. Build and run: fuzz/README.md, e.g.
//   build-fuzz/fuzz/gguf_fuzzer -dict=fuzz/dict/gguf.dict (one line)
//       build-fuzz/corpus/gguf fuzz/corpus/gguf
// gemmeter::Error is the expected answer to bad input; anything else (a crash, another
// exception, a sanitizer report, an allocation over -rss_limit_mb) is a finding.
#include <cstddef>
#include <cstdint>
#include <vector>

#include "engine/core/error.h"
#include "engine/io/gguf.h"
#include "engine/model/gguf_config.h"
#include "fuzz/fuzz_util.h"

namespace {

using gemmeter::Error;

// Tensors up to this many values are read in full; larger ones (which a small input can
// only claim when the file really holds their bytes) are skipped to keep runs fast.
constexpr int64_t kMaxReadValues = int64_t{1} << 16;

void ExerciseMetadata(const gemmeter::GgufFile& file) {
  for (const auto& [key, value] : file.metadata()) {
    // Every getter either returns a value of its type or throws Error naming the key.
    try { file.GetInt(key); } catch (const Error&) {}
    try { file.GetFloat(key); } catch (const Error&) {}
    try { file.GetBool(key); } catch (const Error&) {}
    try { file.GetString(key); } catch (const Error&) {}
    try { file.GetStringArray(key); } catch (const Error&) {}
    try { file.GetNumberArray(key); } catch (const Error&) {}
  }
}

void ExerciseTensors(const gemmeter::GgufFile& file) {
  for (const std::string& name : file.Names()) {
    const gemmeter::StoredTensor* t = file.Find(name);
    if (t == nullptr) __builtin_trap();  // Names() and Find() disagree
    // The parser has checked that a readable tensor's bytes lie in the file, so its
    // element count is bounded by the file size; t.bytes == 0 for unknown types.
    const int64_t blocks = gemmeter::BlockBytes(t->dtype) == 0
                               ? 0
                               : static_cast<int64_t>(t->bytes / gemmeter::BlockBytes(t->dtype));
    const int64_t values = blocks * gemmeter::BlockValues(t->dtype);
    if (values > kMaxReadValues) continue;
    std::vector<float> out(static_cast<size_t>(values) + 1);
    try {
      file.ReadAsF32(*t, out.data());
    } catch (const Error&) {
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string path = gemmeter::fuzz::WriteScratchFile("input.gguf", data, size);
  try {
    const gemmeter::GgufFile file(path);
    ExerciseMetadata(file);
    ExerciseTensors(file);
    gemmeter::ConfigFromGguf(file);
  } catch (const Error&) {
  }
  return 0;
}
