// The evaluation protocol: prompts and request tuples of real documents, written here by
// hand from lm-evaluation-harness's templates (piqa.yaml; mmlu/default: description,
// question.strip(), "A. .." lines, "Answer:", first-k dev shots as "Answer: X\n\n"), the
// request encoding of lm-eval's _encode_pair, and the task table itself.
#include <catch2/catch.hpp>

#include <fstream>
#include <map>
#include <set>

#include "datasets/hellaswag.h"
#include "datasets/manifest.h"
#include "datasets/mmlu.h"
#include "datasets/piqa.h"
#include "datasets/text_file.h"
#include "engine/core/error.h"
#include "evals/mmlu_subjects.h"
#include "evals/task.h"
#include "tests/test_util.h"

namespace gemmeter::evals {
namespace {

using Catch::Contains;

std::vector<Request> RequestsOf(const TaskSpec& task, const MultipleChoiceDoc& doc,
                                const std::string& root, int shots) {
  const auto pool = shots > 0 ? task.load_shots(root) : std::vector<MultipleChoiceDoc>{};
  return BuildRequests(task, doc, ShotsFor(doc, pool, shots));
}

TEST_CASE("PIQA: \"Question: {goal}\\nAnswer:\" and \" {solution}\"", "[evals]") {
  if (test::DatasetsAbsent()) return;
  const std::string root = test::DatasetRoot();
  const auto docs = datasets::LoadPiqa(root);
  const auto requests = RequestsOf(FindTask("piqa"), docs[0], root, 0);
  REQUIRE(requests.size() == 2);
  const std::string context =
      "Question: How do I ready a guinea pig cage for it's new occupants?\nAnswer:";
  CHECK(requests[0].context == context);
  CHECK(requests[1].context == context);
  CHECK(requests[0].continuation ==
        " Provide the guinea pig with a cage full of a few inches of bedding made of ripped paper "
        "strips, you will also need to supply it with a water bottle and a food dish.");
  CHECK(requests[1].continuation ==
        " Provide the guinea pig with a cage full of a few inches of bedding made of ripped jeans "
        "material, you will also need to supply it with a water bottle and a food dish.");
  CHECK(docs[0].gold == 0);
  // Trailing spaces of a solution are kept (the second document's "bobby pin ").
  CHECK(RequestsOf(FindTask("piqa"), docs[1], root, 0)[0].continuation ==
        " replace drawer with bobby pin ");
}

// lm-eval's tests/test_prompt.py pins the same anatomy prompt (MMLU_ANATOMY_FIVE_SHOT).
TEST_CASE("MMLU: the full 5-shot anatomy prompt and its four requests", "[evals]") {
  if (test::DatasetsAbsent()) return;
  const std::string root = test::DatasetRoot();
  const auto test_docs = datasets::LoadMmlu(root, "test");
  const MultipleChoiceDoc* doc = nullptr;
  for (const auto& d : test_docs)
    if (d.subject == "anatomy") {
      doc = &d;
      break;
    }
  REQUIRE(doc != nullptr);
  const auto requests = RequestsOf(FindTask("mmlu"), *doc, root, 5);
  const std::string expected =
      "The following are multiple choice questions (with answers) about anatomy.\n\n"
      "What is the embryological origin of the hyoid bone?\n"
      "A. The first pharyngeal arch\n"
      "B. The first and second pharyngeal arches\n"
      "C. The second pharyngeal arch\n"
      "D. The second and third pharyngeal arches\n"
      "Answer: D\n\n"
      "Which of these branches of the trigeminal nerve contain somatic motor processes?\n"
      "A. The supraorbital nerve\n"
      "B. The infraorbital nerve\n"
      "C. The mental nerve\n"
      "D. None of the above\n"
      "Answer: D\n\n"
      "The pleura\n"
      "A. have no sensory innervation.\n"
      "B. are separated by a 2 mm space.\n"
      "C. extend into the neck.\n"
      "D. are composed of respiratory epithelium.\n"
      "Answer: C\n\n"
      "In Angle's Class II Div 2 occlusion there is\n"
      "A. excess overbite of the upper lateral incisors.\n"
      "B. negative overjet of the upper central incisors.\n"
      "C. excess overjet of the upper lateral incisors.\n"
      "D. excess overjet of the upper central incisors.\n"
      "Answer: C\n\n"
      "Which of the following is the body cavity that contains the pituitary gland?\n"
      "A. Abdominal\n"
      "B. Cranial\n"
      "C. Pleural\n"
      "D. Spinal\n"
      "Answer: B\n\n"
      "A lesion causing compression of the facial nerve at the stylomastoid foramen will cause "
      "ipsilateral\n"
      "A. paralysis of the facial muscles.\n"
      "B. paralysis of the facial muscles and loss of taste.\n"
      "C. paralysis of the facial muscles, loss of taste and lacrimation.\n"
      "D. paralysis of the facial muscles, loss of taste, lacrimation and decreased salivation.\n"
      "Answer:";
  REQUIRE(requests.size() == 4);
  for (int i = 0; i < 4; ++i) {
    INFO("choice " << i);
    CHECK(requests[i].context == expected);
    CHECK(requests[i].continuation == std::string(" ") + static_cast<char>('A' + i));
  }
  CHECK(doc->gold == 0);
  SECTION("0-shot keeps the header and the question only") {
    const auto zero = RequestsOf(FindTask("mmlu"), *doc, root, 0);
    CHECK(zero[0].context ==
          "The following are multiple choice questions (with answers) about anatomy.\n\n" +
              expected.substr(expected.find("A lesion")));
  }
  SECTION("subjects with underscores read as words; questions are stripped") {
    MultipleChoiceDoc d{0, "high_school_us_history", "  Who?\n", {"a", "b", "c", "d"}, 0, "x"};
    const auto r = BuildRequests(FindTask("mmlu"), d, {});
    CHECK(r[0].context ==
          "The following are multiple choice questions (with answers) about high school us "
          "history.\n\nWho?\nA. a\nB. b\nC. c\nD. d\nAnswer:");
  }
}

// The HellaSwag text may not be committed, so the expected strings are read from the file
// here, independently of the loader: line 1 of each six-line task is the context as given,
// lines 3-6 the endings.
TEST_CASE("HellaSwag: the context line as given and \" {ending}\"", "[evals]") {
  if (test::DatasetsAbsent()) return;
  const std::string root = test::DatasetRoot();
  const auto lines = datasets::SplitLines(datasets::ReadTextFile(datasets::HellaswagPath(root)));
  const auto docs = datasets::LoadHellaswag(root);
  for (size_t index : {size_t{0}, size_t{1}, size_t{5000}, size_t{10041}}) {
    const auto requests = RequestsOf(FindTask("hellaswag"), docs[index], root, 0);
    REQUIRE(requests.size() == 4);
    for (size_t e = 0; e < 4; ++e) {
      CHECK(requests[e].context == lines[6 * index]);
      CHECK(requests[e].continuation == " " + lines[6 * index + 2 + e]);
    }
    CHECK(docs[index].gold == std::stoi(lines[6 * index + 1]));
  }
}

TEST_CASE("the task table: every entry loads its full split and builds requests", "[evals]") {
  std::set<std::string_view> names;
  for (const TaskSpec& task : AllTasks()) {
    INFO(task.name);
    CHECK(names.insert(task.name).second);
    CHECK(&FindTask(task.name) == &task);
    CHECK_FALSE(task.metrics.empty());
    CHECK(task.has_shots == (task.load_shots != nullptr));
    CHECK((task.default_shots == 0 || task.has_shots));
    if (test::DatasetsAbsent()) continue;
    const std::string root = test::DatasetRoot();
    CHECK(datasets::VerifyDataset(root, task.dataset).size() >= 1);
    const auto docs = task.load(root);
    CHECK(static_cast<int64_t>(docs.size()) == task.expected_docs);
    const auto requests = RequestsOf(task, docs.back(), root, task.default_shots);
    CHECK(requests.size() == docs.back().choices.size());
    for (const Request& r : requests) {
      CHECK(r.continuation.front() == ' ');
      CHECK_FALSE(r.context.empty());
    }
  }
  CHECK_THROWS_WITH(FindTask("winogrande"), Contains("unknown task 'winogrande'") && Contains("piqa"));
}

TEST_CASE("MMLU categories: lm-eval's grouping of all 57 subjects", "[evals]") {
  std::map<std::string_view, int> per_category;
  for (const MmluSubject& s : MmluSubjects()) ++per_category[s.category];
  CHECK(per_category == std::map<std::string_view, int>{
                            {"humanities", 13}, {"other", 13}, {"social_sciences", 12}, {"stem", 19}});
  CHECK(MmluCategory("anatomy") == "stem");
  CHECK(MmluCategory("college_medicine") == "other");
  CHECK(MmluCategory("econometrics") == "social_sciences");
  CHECK(MmluCategory("formal_logic") == "humanities");
  CHECK_THROWS_WITH(MmluCategory("astrology"), Contains("astrology"));
  if (test::DatasetsAbsent()) return;
  std::set<std::string> dataset_subjects;
  for (const auto& d : datasets::LoadMmlu(test::DatasetRoot(), "test")) dataset_subjects.insert(d.subject);
  CHECK(dataset_subjects.size() == MmluSubjects().size());
  for (const std::string& s : dataset_subjects) CHECK_NOTHROW(MmluCategory(s));
}

TEST_CASE("the data manifest refuses changed or missing files, naming them", "[evals][errors]") {
  if (test::DatasetsAbsent()) return;
  test::TempDir dir;
  std::filesystem::create_directories(dir.path() / "piqa");
  for (const char* name : {"piqa/valid.jsonl", "piqa/valid-labels.lst"}) {
    std::filesystem::copy_file(std::filesystem::path(test::DatasetRoot()) / name, dir.path() / name);
  }
  CHECK(datasets::VerifyDataset(dir.path().string(), "piqa").size() == 2);
  {
    std::ofstream out(dir.path() / "piqa/valid-labels.lst", std::ios::app);
    out << "1\n";
  }
  CHECK_THROWS_WITH(datasets::VerifyDataset(dir.path().string(), "piqa"),
                    Contains("valid-labels.lst") && Contains("differs from the manifest"));
  std::filesystem::copy_file(std::filesystem::path(test::DatasetRoot()) / "piqa/valid-labels.lst",
                             dir.path() / "piqa/valid-labels.lst",
                             std::filesystem::copy_options::overwrite_existing);
  std::filesystem::remove(dir.path() / "piqa/valid.jsonl");
  CHECK_THROWS_WITH(datasets::VerifyDataset(dir.path().string(), "piqa"),
                    Contains("valid.jsonl") && Contains("missing"));
  // Every manifest entry names a file of its dataset's folder.
  for (const auto& f : datasets::ManifestFiles()) CHECK(f.path.substr(0, f.dataset.size()) == f.dataset);
}

}  // namespace
}  // namespace gemmeter::evals
