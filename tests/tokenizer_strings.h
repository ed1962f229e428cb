// The strings an evaluator tokenizes, enumerated in a fixed order so that a Python script
// (tools/make_tokenizer_goldens.py) and these tests agree on what string i of each dataset is:
//   piqa:      per row of valid.jsonl: goal, sol1, sol2, " " + sol1, " " + sol2
//   mmlu:      dev then test, files in name order, per row: question, then choices A-D
//   hellaswag: per task: context, then " " + each of the 4 endings
#pragma once

#include <string>
#include <vector>

namespace gemmeter::test {

std::vector<std::string> TokenizerStrings(const std::string& dataset, const std::string& dataset_root);

// sha256 of ids as little-endian int32 values, each string's ids followed by -1.
std::string IdsDigest(const std::vector<std::vector<int32_t>>& ids);

}  // namespace gemmeter::test
