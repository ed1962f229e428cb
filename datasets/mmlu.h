// MMLU (Hendrycks et al., ICLR 2021) in its original layout: one headerless CSV per
// subject, mmlu/<split>/<subject>_<split>.csv, rows "question,A,B,C,D,answer".
#pragma once

#include <string>
#include <vector>

#include "datasets/multiple_choice.h"

namespace gemmeter::datasets {

// All questions of a split ("test" or "dev"): subjects in file-name order, rows in file
// order; index counts across subjects. subject = the file name before _<split>.csv,
// context = the question, choices = A..D, gold = the answer letter's index. Throws Error
// naming the file and line of a malformed row.
std::vector<MultipleChoiceDoc> LoadMmlu(const std::string& dataset_root, const std::string& split);

// The questions of one subject's CSV text, indexed from `first_index`; `path` names the
// file in errors and sources.
std::vector<MultipleChoiceDoc> ParseMmluCsv(const std::string& text, const std::string& path,
                                            const std::string& subject, int64_t first_index);

// RFC 4180 CSV: fields quoted with '"' when they contain ',', '"' or newlines; '""' is
// an escaped quote; quoted fields keep '\r' and '\n'. Returns the rows with the line
// each starts on. `path` names the file in errors.
struct CsvRow {
  std::vector<std::string> fields;
  int line = 0;
};
std::vector<CsvRow> ParseCsv(const std::string& text, const std::string& path);

}  // namespace gemmeter::datasets
