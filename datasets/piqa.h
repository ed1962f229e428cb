// PIQA (Bisk et al., AAAI 2020): piqa/valid.jsonl (one {"goal", "sol1", "sol2"} object
// per line) and piqa/valid-labels.lst (the correct solution, 0 or 1, per line).
#pragma once

#include <string>
#include <vector>

namespace gemmeter::datasets {

struct PiqaItem {
  std::string goal;
  std::string sol1;
  std::string sol2;
  int label = 0;       // 0: sol1 is correct, 1: sol2
  std::string source;  // "file:line"
};

// Throws Error naming the file and line of a malformed row or label.
std::vector<PiqaItem> LoadPiqa(const std::string& dataset_root);

}  // namespace gemmeter::datasets
