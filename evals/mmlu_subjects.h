// MMLU's 57 subjects and the four category groups lm-evaluation-harness reports
// (the SUBJECTS map of lm_eval/tasks/mmlu/_generate_configs.py: STEM 19 subjects,
// humanities 13, social sciences 12, other 13).
#pragma once

#include <span>
#include <string_view>

namespace gemmeter::evals {

struct MmluSubject {
  std::string_view name;      // file name stem, e.g. "college_mathematics"
  std::string_view category;  // "stem", "humanities", "social_sciences" or "other"
};

std::span<const MmluSubject> MmluSubjects();
// The category of `subject`; throws Error for a subject not in the list.
std::string_view MmluCategory(std::string_view subject);

}  // namespace gemmeter::evals
