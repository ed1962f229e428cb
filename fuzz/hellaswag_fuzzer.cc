// Fuzz target: HellaSwag in llama.cpp's six-line text format (ParseHellaswag in
// datasets/hellaswag.*). The seeds are synthetic: the real file's WikiHow text is under
// a DMCA claim and must never be copied into the project.
//
// Input: the decompressed text. Build and run: fuzz/README.md, e.g.
//   build-fuzz/fuzz/hellaswag_fuzzer build-fuzz/corpus/hellaswag (empty at first: its seed
//   is built into fuzz_replay, replay.cc; no HellaSwag-format file is committed)
// gemmeter::Error is the expected answer to bad input; anything else is a finding.
#include <cstddef>
#include <cstdint>
#include <string>

#include "datasets/hellaswag.h"
#include "engine/core/error.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  try {
    gemmeter::datasets::ParseHellaswag(text, "hellaswag_val_full.txt");
  } catch (const gemmeter::Error&) {
  }
  return 0;
}
