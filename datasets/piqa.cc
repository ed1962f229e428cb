#include "datasets/piqa.h"

#include <filesystem>

#include <nlohmann/json.hpp>

#include "datasets/text_file.h"
#include "engine/core/error.h"

namespace gemmeter::datasets {

std::vector<MultipleChoiceDoc> ParsePiqa(const std::string& rows_text,
                                         const std::string& labels_text,
                                         const std::string& rows_path,
                                         const std::string& labels_path) {
  const std::vector<std::string> lines = SplitLines(rows_text);
  const std::vector<std::string> labels = SplitLines(labels_text);
  if (lines.size() != labels.size()) {
    Fail("{}: {} rows but {} has {} labels", rows_path, lines.size(), labels_path, labels.size());
  }
  std::vector<MultipleChoiceDoc> items;
  for (size_t i = 0; i < lines.size(); ++i) {
    const std::string where = rows_path + ":" + std::to_string(i + 1);
    nlohmann::json row;
    try {
      row = nlohmann::json::parse(lines[i]);
    } catch (const nlohmann::json::exception& e) {
      Fail("{}: not valid JSON: {}", where, e.what());
    }
    MultipleChoiceDoc item;
    item.index = static_cast<int64_t>(i);
    std::string goal, sol1, sol2;
    for (auto [key, field] : {std::pair{"goal", &goal}, {"sol1", &sol1}, {"sol2", &sol2}}) {
      if (!row.is_object() || !row.contains(key) || !row[key].is_string()) {
        Fail("{}: missing string field \"{}\"", where, key);
      }
      *field = row[key].get<std::string>();
    }
    item.context = std::move(goal);
    item.choices = {std::move(sol1), std::move(sol2)};
    if (labels[i] != "0" && labels[i] != "1") {
      Fail("{}:{}: label is \"{}\", expected 0 or 1", labels_path, i + 1, labels[i]);
    }
    item.gold = labels[i][0] - '0';
    item.source = where;
    items.push_back(std::move(item));
  }
  return items;
}

std::vector<MultipleChoiceDoc> LoadPiqa(const std::string& dataset_root) {
  namespace fs = std::filesystem;
  const std::string rows_path = (fs::path(dataset_root) / "piqa" / "valid.jsonl").string();
  const std::string labels_path = (fs::path(dataset_root) / "piqa" / "valid-labels.lst").string();
  const std::string rows = ReadTextFile(rows_path);  // first: a missing folder names the rows
  return ParsePiqa(rows, ReadTextFile(labels_path), rows_path, labels_path);
}

}  // namespace gemmeter::datasets
