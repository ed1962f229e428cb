// The one document type every dataset loader returns: a multiple-choice question.
//
// Loaders keep the text exactly as the files hold it; prompts are built from it by the
// evaluators (evals/), which own the lm-evaluation-harness protocol.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace gemmeter::datasets {

struct MultipleChoiceDoc {
  int64_t index = 0;     // position in the dataset's document list, in file order: its id
  std::string subject;   // MMLU: the file name's subject, e.g. "college_mathematics"; else ""
  std::string context;   // PIQA: the goal; HellaSwag: the context line; MMLU: the question
  std::vector<std::string> choices;  // PIQA: 2 solutions; HellaSwag: 4 endings; MMLU: A..D
  int gold = 0;          // index of the correct choice
  std::string source;    // "file:line" of the document, for messages
};

}  // namespace gemmeter::datasets
