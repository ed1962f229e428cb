// The task table. Prompt templates are lm-evaluation-harness's (piqa.yaml,
// mmlu/default/_default_template_yaml, _generate_configs.py); HellaSwag reads llama.cpp's
// six-line text, whose preprocessing differs from lm-eval's (see its protocol line).
#include "evals/task.h"

#include <algorithm>

#include "datasets/hellaswag.h"
#include "datasets/mmlu.h"
#include "datasets/piqa.h"
#include "engine/core/error.h"

namespace gemmeter::evals {
namespace {

std::string NoDescription(const MultipleChoiceDoc&) { return ""; }

// piqa.yaml: doc_to_text "Question: {{goal}}\nAnswer:", doc_to_choice [sol1, sol2].
std::string PiqaQuestion(const MultipleChoiceDoc& doc) {
  return "Question: " + doc.context + "\nAnswer:";
}

std::string ChoiceText(const MultipleChoiceDoc& doc, int i) {
  return doc.choices.at(static_cast<size_t>(i));
}

// llama.cpp's text already holds "activity_label: ctx" preprocessed; used as given.
std::string HellaswagQuestion(const MultipleChoiceDoc& doc) { return doc.context; }

// Python's str.strip(): leading and trailing whitespace (ASCII here; the data is ASCII at
// its edges).
std::string Strip(const std::string& s) {
  const char* space = " \t\n\r\f\v";
  const size_t begin = s.find_first_not_of(space);
  if (begin == std::string::npos) return "";
  return s.substr(begin, s.find_last_not_of(space) - begin + 1);
}

// _generate_configs.py: "The following are multiple choice questions (with answers) about
// {subject}.\n\n", the subject's underscores turned into spaces.
std::string MmluDescription(const MultipleChoiceDoc& doc) {
  std::string subject = doc.subject;
  std::replace(subject.begin(), subject.end(), '_', ' ');
  return "The following are multiple choice questions (with answers) about " + subject + ".\n\n";
}

// _default_template_yaml: "{{question.strip()}}\nA. {{choices[0]}}\nB. ...\nD. ...\nAnswer:".
std::string MmluQuestion(const MultipleChoiceDoc& doc) {
  std::string text = Strip(doc.context);
  for (size_t i = 0; i < doc.choices.size(); ++i) {
    text += "\n" + std::string(1, static_cast<char>('A' + i)) + ". " + doc.choices[i];
  }
  return text + "\nAnswer:";
}

// doc_to_choice ["A", "B", "C", "D"]: the continuation is " A", not the answer's text.
std::string MmluChoice(const MultipleChoiceDoc& doc, int i) {
  Check(i >= 0 && static_cast<size_t>(i) < doc.choices.size(), "mmlu: choice {} of {}", i,
        doc.choices.size());
  return std::string(1, static_cast<char>('A' + i));
}

std::vector<MultipleChoiceDoc> LoadMmluTest(const std::string& root) {
  return datasets::LoadMmlu(root, "test");
}
std::vector<MultipleChoiceDoc> LoadMmluDev(const std::string& root) {
  return datasets::LoadMmlu(root, "dev");
}

const TaskSpec kTasks[] = {
    {.name = "piqa",
     .dataset = "piqa",
     .summary = "PIQA validation (1,838 two-choice physical commonsense questions), 0-shot",
     .protocol = "lm-evaluation-harness piqa: context \"Question: {goal}\\nAnswer:\", "
                 "continuation \" {solution}\"; acc, acc_norm (length in characters)",
     .expected_docs = 1838,
     .metrics = {Metric::kAcc, Metric::kAccNorm},
     .load = datasets::LoadPiqa,
     .load_shots = nullptr,
     .description = NoDescription,
     .question = PiqaQuestion,
     .choice = ChoiceText},
    {.name = "hellaswag",
     .dataset = "hellaswag",
     .summary = "HellaSwag validation (10,042 four-ending completions), 0-shot, llama.cpp's text",
     .protocol = "context = the context line of llama.cpp's hellaswag_val_full.txt as given "
                 "(llama.cpp's preprocessing, not lm-eval's process_docs), continuation "
                 "\" {ending}\"; acc, acc_norm (lm-eval), acc_per_token (llama.cpp --hellaswag "
                 "ranks by mean log-probability per token)",
     .expected_docs = 10042,
     .metrics = {Metric::kAccNorm, Metric::kAcc, Metric::kAccPerToken},
     .load = datasets::LoadHellaswag,
     .load_shots = nullptr,
     .description = NoDescription,
     .question = HellaswagQuestion,
     .choice = ChoiceText},
    {.name = "mmlu",
     .dataset = "mmlu",
     .summary = "MMLU test (14,042 questions, 57 subjects), 5-shot from the dev split",
     .protocol = "lm-evaluation-harness mmlu (default, v0.4.4+): \"The following are multiple "
                 "choice questions (with answers) about {subject}.\\n\\n\", k first dev rows "
                 "as \"{question.strip()}\\nA. ..\\nD. ..\\nAnswer: {letter}\\n\\n\", then the "
                 "question ending \"Answer:\"; continuations \" A\"..\" D\"; acc, micro "
                 "average over questions",
     .expected_docs = 14042,
     .default_shots = 5,
     .has_shots = true,
     .metrics = {Metric::kAcc},
     .per_subject = true,
     .load = LoadMmluTest,
     .load_shots = LoadMmluDev,
     .description = MmluDescription,
     .question = MmluQuestion,
     .choice = MmluChoice},
};

}  // namespace

std::string_view MetricName(Metric metric) {
  switch (metric) {
    case Metric::kAcc: return "acc";
    case Metric::kAccNorm: return "acc_norm";
    case Metric::kAccPerToken: return "acc_per_token";
  }
  return "?";
}

std::span<const TaskSpec> AllTasks() { return kTasks; }

const TaskSpec& FindTask(std::string_view name) {
  std::string known;
  for (const TaskSpec& t : kTasks) {
    if (t.name == name) return t;
    known += (known.empty() ? "" : ", ") + std::string(t.name);
  }
  Fail("unknown task '{}' (known: {})", name, known);
}

std::vector<MultipleChoiceDoc> ShotsFor(const MultipleChoiceDoc& doc,
                                        std::span<const MultipleChoiceDoc> pool, int shots) {
  std::vector<MultipleChoiceDoc> chosen;
  for (const MultipleChoiceDoc& d : pool) {
    if (static_cast<int>(chosen.size()) == shots) break;
    if (d.subject == doc.subject) chosen.push_back(d);
  }
  Check(static_cast<int>(chosen.size()) == shots,
        "{}: {} few-shot examples wanted, the few-shot split has {} for subject '{}'", doc.source,
        shots, chosen.size(), doc.subject);
  return chosen;
}

std::vector<Request> BuildRequests(const TaskSpec& task, const MultipleChoiceDoc& doc,
                                   std::span<const MultipleChoiceDoc> shots) {
  std::string context = task.description(doc);
  for (const MultipleChoiceDoc& shot : shots) {
    context += task.question(shot) + " " + task.choice(shot, shot.gold) + "\n\n";
  }
  context += task.question(doc);
  std::vector<Request> requests;
  for (size_t i = 0; i < doc.choices.size(); ++i) {
    requests.push_back({context, " " + task.choice(doc, static_cast<int>(i))});
  }
  return requests;
}

}  // namespace gemmeter::evals
