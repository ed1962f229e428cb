// HellaSwag validation (Zellers et al., ACL 2019) in llama.cpp's text format
// (hellaswag/hellaswag_val_full.txt.gz): 6 lines per task, the context
// ("activity_label: ctx"), the gold ending's index, then the 4 endings.
//
// The WikiHow text is under a DMCA claim: it is only ever read from this path, never
// copied into the project.
#pragma once

#include <string>
#include <vector>

#include "datasets/multiple_choice.h"

namespace gemmeter::datasets {

// context = the first line as given, choices = the 4 endings, gold = the second line.
// Throws Error naming the file and line of a malformed task.
std::vector<MultipleChoiceDoc> LoadHellaswag(const std::string& dataset_root);
std::string HellaswagPath(const std::string& dataset_root);
// The same from the (decompressed) text of the file; `path` names it in errors.
std::vector<MultipleChoiceDoc> ParseHellaswag(const std::string& text, const std::string& path);

}  // namespace gemmeter::datasets
