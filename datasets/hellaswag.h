// HellaSwag validation (Zellers et al., ACL 2019) in llama.cpp's text format
// (hellaswag/hellaswag_val_full.txt.gz): 6 lines per task, the context
// ("activity_label: ctx"), the gold ending's index, then the 4 endings.
//
// The WikiHow text is under a DMCA claim: it is only ever read from this path, never
// copied into the project.
#pragma once

#include <array>
#include <string>
#include <vector>

namespace gemmeter::datasets {

struct HellaswagItem {
  std::string context;
  std::array<std::string, 4> endings;
  int label = 0;  // 0..3
  int line = 0;   // first line of the task in the file
};

// Throws Error naming the file and line of a malformed task.
std::vector<HellaswagItem> LoadHellaswag(const std::string& dataset_root);
std::string HellaswagPath(const std::string& dataset_root);

}  // namespace gemmeter::datasets
