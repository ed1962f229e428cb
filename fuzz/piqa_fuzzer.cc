// Fuzz target: PIQA's JSON Lines questions and their labels (ParsePiqa in datasets/piqa.*).
//
// Input: the text of valid.jsonl, a NUL byte, then the text of valid-labels.lst (no NUL:
// all of it is valid.jsonl and the labels are empty). Build and run: fuzz/README.md, e.g.
//   build-fuzz/fuzz/piqa_fuzzer build-fuzz/corpus/piqa fuzz/corpus/piqa
// gemmeter::Error is the expected answer to bad input; anything else is a finding.
#include <cstddef>
#include <cstdint>
#include <string>

#include "datasets/piqa.h"
#include "engine/core/error.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string input(reinterpret_cast<const char*>(data), size);
  const size_t split = input.find('\0');
  const std::string rows = input.substr(0, split);
  const std::string labels = split == std::string::npos ? "" : input.substr(split + 1);
  try {
    gemmeter::datasets::ParsePiqa(rows, labels, "valid.jsonl", "valid-labels.lst");
  } catch (const gemmeter::Error&) {
  }
  return 0;
}
