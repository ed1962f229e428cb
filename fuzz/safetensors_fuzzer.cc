// Fuzz target: safetensors files (engine/io/safetensors.*): the header length, the JSON
// header, each tensor's dtype, shape and data offsets, and reading small float tensors.
//
// Input: the bytes of a .safetensors file. Build and run: fuzz/README.md, e.g.
//   build-fuzz/fuzz/safetensors_fuzzer -dict=fuzz/dict/safetensors.dict (one line)
//       build-fuzz/corpus/safetensors fuzz/corpus/safetensors
// gemmeter::Error is the expected answer to bad input; anything else is a finding.
#include <cstddef>
#include <cstdint>
#include <vector>

#include "engine/core/error.h"
#include "engine/io/safetensors.h"
#include "fuzz/fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string path = gemmeter::fuzz::WriteScratchFile("input.safetensors", data, size);
  try {
    const gemmeter::SafetensorsFile file(path);
    for (const std::string& name : file.Names()) {
      const gemmeter::StoredTensor* t = file.Find(name);
      if (t == nullptr) __builtin_trap();  // Names() and Find() disagree
      // The parser has checked that the bytes lie in the file, so this is small.
      const size_t values = t->bytes / gemmeter::DTypeSize(t->dtype);
      std::vector<float> out(values + 1);
      try {
        file.ReadAsF32(*t, out.data());
      } catch (const gemmeter::Error&) {
      }
    }
  } catch (const gemmeter::Error&) {
  }
  return 0;
}
