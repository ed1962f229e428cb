#include "datasets/mmlu.h"

#include <algorithm>
#include <filesystem>
#include <iterator>

#include "datasets/text_file.h"
#include "engine/core/error.h"

namespace gemmeter::datasets {

std::vector<CsvRow> ParseCsv(const std::string& text, const std::string& path) {
  std::vector<CsvRow> rows;
  CsvRow row;
  std::string field;
  int line = 1;
  row.line = 1;
  bool in_quotes = false;
  bool field_was_quoted = false;
  size_t i = 0;
  auto end_field = [&] {
    row.fields.push_back(std::move(field));
    field.clear();
    field_was_quoted = false;
  };
  while (i < text.size()) {
    const char ch = text[i];
    if (in_quotes) {
      if (ch == '"') {
        if (i + 1 < text.size() && text[i + 1] == '"') {
          field += '"';
          i += 2;
          continue;
        }
        in_quotes = false;
      } else {
        if (ch == '\n') ++line;
        field += ch;
      }
      ++i;
      continue;
    }
    if (ch == '"') {
      if (!field.empty() || field_was_quoted) {
        Fail("{}:{}: a quote inside an unquoted field", path, line);
      }
      in_quotes = true;
      field_was_quoted = true;
    } else if (ch == ',') {
      end_field();
    } else if (ch == '\n') {
      end_field();
      rows.push_back(std::move(row));
      row = CsvRow{};
      ++line;
      row.line = line;
    } else {
      if (field_was_quoted) Fail("{}:{}: text after a closing quote", path, line);
      field += ch;
    }
    ++i;
  }
  if (in_quotes) Fail("{}:{}: a quoted field is not closed before the end of the file", path, row.line);
  if (!field.empty() || !row.fields.empty() || field_was_quoted) {
    end_field();
    rows.push_back(std::move(row));
  }
  return rows;
}

std::vector<MultipleChoiceDoc> ParseMmluCsv(const std::string& text, const std::string& path,
                                            const std::string& subject, int64_t first_index) {
  std::vector<MultipleChoiceDoc> questions;
  for (CsvRow& row : ParseCsv(text, path)) {
    if (row.fields.size() != 6) {
      Fail("{}:{}: expected 6 fields (question, 4 choices, answer), got {}", path, row.line,
           row.fields.size());
    }
    const std::string& answer = row.fields[5];
    if (answer.size() != 1 || answer[0] < 'A' || answer[0] > 'D') {
      Fail("{}:{}: answer field is \"{}\", expected one of A, B, C, D", path, row.line, answer);
    }
    MultipleChoiceDoc q;
    q.index = first_index + static_cast<int64_t>(questions.size());
    q.subject = subject;
    q.context = std::move(row.fields[0]);
    for (int c = 0; c < 4; ++c) q.choices.push_back(std::move(row.fields[1 + c]));
    q.gold = answer[0] - 'A';
    q.source = path + ":" + std::to_string(row.line);
    questions.push_back(std::move(q));
  }
  return questions;
}

std::vector<MultipleChoiceDoc> LoadMmlu(const std::string& dataset_root, const std::string& split) {
  namespace fs = std::filesystem;
  const fs::path folder = fs::path(dataset_root) / "mmlu" / split;
  if (!fs::is_directory(folder)) Fail("{}: no such folder (MMLU split '{}')", folder.string(), split);
  const std::string suffix = "_" + split + ".csv";
  std::vector<std::string> files;
  for (const auto& entry : fs::directory_iterator(folder)) {
    const std::string name = entry.path().filename().string();
    if (name.size() > suffix.size() && name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0) {
      files.push_back(name);
    }
  }
  if (files.empty()) Fail("{}: no *{} files", folder.string(), suffix);
  std::sort(files.begin(), files.end());
  std::vector<MultipleChoiceDoc> questions;
  for (const std::string& name : files) {
    const std::string path = (folder / name).string();
    const std::string subject = name.substr(0, name.size() - suffix.size());
    std::vector<MultipleChoiceDoc> docs =
        ParseMmluCsv(ReadTextFile(path), path, subject, static_cast<int64_t>(questions.size()));
    std::move(docs.begin(), docs.end(), std::back_inserter(questions));
  }
  return questions;
}

}  // namespace gemmeter::datasets
