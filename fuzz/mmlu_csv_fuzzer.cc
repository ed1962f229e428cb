// Fuzz target: MMLU CSV files (datasets/mmlu.*): the RFC 4180 parser (ParseCsv) and the
// row checks that make questions of it (ParseMmluCsv).
//
// Input: the text of one subject's CSV file. Build and run: fuzz/README.md, e.g.
//   build-fuzz/fuzz/mmlu_csv_fuzzer build-fuzz/corpus/mmlu_csv fuzz/corpus/mmlu_csv
// gemmeter::Error is the expected answer to bad input; anything else is a finding.
#include <cstddef>
#include <cstdint>
#include <string>

#include "datasets/mmlu.h"
#include "engine/core/error.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  try {
    gemmeter::datasets::ParseMmluCsv(text, "fuzz_test.csv", "fuzz", 0);
  } catch (const gemmeter::Error&) {
  }
  return 0;
}
