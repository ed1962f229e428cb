// PIQA (Bisk et al., AAAI 2020): piqa/valid.jsonl (one {"goal", "sol1", "sol2"} object
// per line) and piqa/valid-labels.lst (the correct solution, 0 or 1, per line).
#pragma once

#include <string>
#include <vector>

#include "datasets/multiple_choice.h"

namespace gemmeter::datasets {

// context = goal, choices = {sol1, sol2}, gold = the label (0: sol1). Throws Error naming
// the file and line of a malformed row or label.
std::vector<MultipleChoiceDoc> LoadPiqa(const std::string& dataset_root);

// The same from the two files' text (what LoadPiqa reads); the paths name them in errors.
std::vector<MultipleChoiceDoc> ParsePiqa(const std::string& rows_text,
                                         const std::string& labels_text,
                                         const std::string& rows_path,
                                         const std::string& labels_path);

}  // namespace gemmeter::datasets
