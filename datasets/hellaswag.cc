#include "datasets/hellaswag.h"

#include <filesystem>

#include "datasets/text_file.h"
#include "engine/core/error.h"

namespace gemmeter::datasets {

std::string HellaswagPath(const std::string& dataset_root) {
  return (std::filesystem::path(dataset_root) / "hellaswag" / "hellaswag_val_full.txt.gz").string();
}

std::vector<MultipleChoiceDoc> LoadHellaswag(const std::string& dataset_root) {
  const std::string path = HellaswagPath(dataset_root);
  return ParseHellaswag(ReadTextFile(path), path);
}

std::vector<MultipleChoiceDoc> ParseHellaswag(const std::string& text, const std::string& path) {
  const std::vector<std::string> lines = SplitLines(text);
  if (lines.size() % 6 != 0) {
    Fail("{}: {} lines is not a whole number of 6-line tasks (context, label, 4 endings)", path,
         lines.size());
  }
  std::vector<MultipleChoiceDoc> items;
  for (size_t t = 0; t < lines.size(); t += 6) {
    MultipleChoiceDoc item;
    item.index = static_cast<int64_t>(t / 6);
    item.source = path + ":" + std::to_string(t + 1);
    item.context = lines[t];
    const std::string& label = lines[t + 1];
    if (label.size() != 1 || label[0] < '0' || label[0] > '3') {
      Fail("{}:{}: gold ending index is \"{}\", expected 0 to 3", path, t + 2, label);
    }
    item.gold = label[0] - '0';
    for (int e = 0; e < 4; ++e) item.choices.push_back(lines[t + 2 + e]);
    items.push_back(std::move(item));
  }
  return items;
}

}  // namespace gemmeter::datasets
