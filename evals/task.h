// Evaluation tasks as data, after lm-evaluation-harness: each task is a dataset, a prompt
// template, its choices and its metrics. PIQA, HellaSwag and MMLU are three entries of one
// table (task.cc); one function turns any entry's document into its requests.
//
// A request's context is, as lm-eval's fewshot_context builds it:
//   description(doc) + for each shot: question(shot) + " " + choice(shot, gold) + "\n\n"
//                    + question(doc)
// and the continuation of choice i is " " + choice(doc, i) (target_delimiter " ",
// fewshot_delimiter "\n\n"). Shots are the first k documents of the task's few-shot split
// with the document's subject (MMLU: the first k dev rows, lm-eval's first_n sampler).
#pragma once

#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "datasets/multiple_choice.h"

namespace gemmeter::evals {

using datasets::MultipleChoiceDoc;

enum class Metric {
  kAcc,          // argmax_i ll_i == gold
  kAccNorm,      // argmax_i ll_i / characters(choice_i) == gold (lm-eval acc_norm)
  kAccPerToken,  // argmax_i ll_i / tokens(continuation_i) == gold (llama.cpp --hellaswag)
};
std::string_view MetricName(Metric metric);

struct TaskSpec {
  std::string_view name;         // "piqa", "hellaswag", "mmlu"
  std::string_view dataset;      // manifest dataset name, and folder under the data dir
  std::string_view summary;      // one line for --help and reports
  std::string_view protocol;     // how prompts are built, recorded in every report
  int64_t expected_docs = 0;     // documents in the full split (checked when loading)
  int default_shots = 0;
  bool has_shots = false;        // a few-shot split exists here
  std::vector<Metric> metrics;   // reported, in order; the first is the headline
  bool per_subject = false;      // report per subject and category (MMLU)
  std::vector<MultipleChoiceDoc> (*load)(const std::string& data_dir);
  std::vector<MultipleChoiceDoc> (*load_shots)(const std::string& data_dir);  // null: none
  std::string (*description)(const MultipleChoiceDoc& doc);  // prepended once; may be ""
  std::string (*question)(const MultipleChoiceDoc& doc);     // lm-eval doc_to_text
  std::string (*choice)(const MultipleChoiceDoc& doc, int i);  // lm-eval doc_to_choice[i]
};

// Every task, in the order `--tasks all` runs them.
std::span<const TaskSpec> AllTasks();
// Throws Error listing the known names when `name` is not one.
const TaskSpec& FindTask(std::string_view name);

// One loglikelihood request, as lm-eval's Instance: score `continuation` after `context`.
struct Request {
  std::string context;
  std::string continuation;
};

// The first `shots` documents of `pool` with the document's subject, in pool order.
std::vector<MultipleChoiceDoc> ShotsFor(const MultipleChoiceDoc& doc,
                                        std::span<const MultipleChoiceDoc> pool, int shots);
// The requests of one document, one per choice, in choice order.
std::vector<Request> BuildRequests(const TaskSpec& task, const MultipleChoiceDoc& doc,
                                   std::span<const MultipleChoiceDoc> shots);

}  // namespace gemmeter::evals
