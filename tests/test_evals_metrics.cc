// Metric arithmetic on small hand-made cases: acc, acc_norm (characters), acc_per_token,
// first-maximum tie breaking, lm-eval's mean_stderr, MMLU's subject and category micro
// averages; and the per-document record round trip.
#include <catch2/catch.hpp>

#include <cmath>
#include <fstream>

#include "evals/metrics.h"
#include "evals/record_log.h"
#include "evals/runner.h"
#include "evals/task.h"
#include "tests/test_util.h"

namespace gemmeter::evals {
namespace {

using Approx = Catch::Detail::Approx;

DocResult Doc(int gold, std::vector<ChoiceResult> choices, std::string subject = "") {
  return {0, std::move(subject), gold, std::move(choices)};
}

TEST_CASE("predictions: raw, per character and per token", "[evals]") {
  // ll -10 over 20 chars / 5 tokens vs ll -6 over 6 chars / 2 tokens vs -9 over 30 / 3:
  // raw picks 1 (-6), per character picks 2 (-0.3), per token picks 2 (-3 vs -2 vs -3)...
  const DocResult d = Doc(0, {{-10, 5, 20, false}, {-6, 2, 6, false}, {-9, 3, 30, false}});
  CHECK(Predict(d, Metric::kAcc) == 1);
  CHECK(Predict(d, Metric::kAccNorm) == 2);    // -0.5, -1.0, -0.3
  CHECK(Predict(d, Metric::kAccPerToken) == 0);  // -2.0, -3.0, -3.0
  SECTION("exact ties go to the first choice, as numpy.argmax") {
    const DocResult tie = Doc(1, {{-3, 1, 1, false}, {-3, 1, 1, false}});
    CHECK(Predict(tie, Metric::kAcc) == 0);
  }
}

TEST_CASE("mean_stderr is the sample standard deviation over sqrt(n)", "[evals]") {
  // 0, 1, 1, 0, 1: mean 0.6, sum of squares 1.2, variance 1.2 / 4 = 0.3.
  const std::vector<double> v = {0, 1, 1, 0, 1};
  CHECK(MeanStderr(v) == Approx(std::sqrt(0.3) / std::sqrt(5.0)));
  CHECK(MeanStderr(std::vector<double>{1.0}) == 0.0);
  // A fraction p of n Bernoulli outcomes: sqrt(p (1 - p) / (n - 1)).
  std::vector<double> many(200, 0.0);
  for (int i = 0; i < 50; ++i) many[i] = 1.0;
  CHECK(MeanStderr(many) == Approx(std::sqrt(0.25 * 0.75 / 199)));
}

TEST_CASE("characters are code points, as Python's len()", "[evals]") {
  CHECK(CountCharacters("abc") == 3);
  CHECK(CountCharacters("caf\xc3\xa9") == 4);     // é: 2 bytes
  CHECK(CountCharacters("\xe2\x82\xac" "5") == 2);  // €5
  CHECK(CountCharacters("") == 0);
}

TEST_CASE("task scores: metrics in the task's order, MMLU subjects and categories", "[evals]") {
  const TaskSpec& piqa = FindTask("piqa");
  const std::vector<DocResult> docs = {
      Doc(0, {{-1, 1, 10, true}, {-2, 1, 1, false}}),   // acc right; norm: -0.1 vs -2 right
      Doc(1, {{-1, 1, 10, false}, {-2, 1, 1, false}}),  // acc wrong; norm wrong
      Doc(1, {{-1, 1, 100, false}, {-2, 1, 40, false}}),  // acc wrong; norm: -0.01 vs -0.05 wrong
      Doc(1, {{-4, 1, 2, false}, {-3, 1, 2, false}}),   // both right
  };
  const TaskScores s = ComputeScores(piqa, docs);
  REQUIRE(s.metrics.size() == 2);
  CHECK(s.metrics[0].metric == Metric::kAcc);
  CHECK(s.metrics[0].value == Approx(0.5));
  CHECK(s.metrics[1].metric == Metric::kAccNorm);
  CHECK(s.metrics[1].value == Approx(0.5));
  CHECK(s.metrics[0].stderr == Approx(std::sqrt(1.0 / 3.0) / 2.0));  // var of 1,0,0,1 = 1/3
  CHECK(s.subjects.empty());

  const TaskSpec& mmlu = FindTask("mmlu");
  auto letter = [](int gold, int best, const char* subject) {
    std::vector<ChoiceResult> c(4, {-5, 1, 1, false});
    c[best].log_likelihood = -1;
    return Doc(gold, c, subject);
  };
  // anatomy (stem) 1/2, astronomy (stem) 1/1, philosophy (humanities) 0/1:
  // stem micro average 2/3 (a macro mean of subjects would say 0.75), overall 2/4.
  const std::vector<DocResult> q = {letter(0, 0, "anatomy"), letter(1, 2, "anatomy"),
                                    letter(3, 3, "astronomy"), letter(2, 1, "philosophy")};
  const TaskScores m = ComputeScores(mmlu, q);
  CHECK(m.metrics[0].value == Approx(0.5));
  REQUIRE(m.subjects.size() == 3);
  CHECK(m.subjects[0].name == "anatomy");
  CHECK(m.subjects[0].acc == Approx(0.5));
  REQUIRE(m.categories.size() == 2);
  CHECK(m.categories[0].name == "humanities");
  CHECK(m.categories[0].acc == 0.0);
  CHECK(m.categories[1].name == "stem");
  CHECK(m.categories[1].docs == 3);
  CHECK(m.categories[1].acc == Approx(2.0 / 3.0));
}

TEST_CASE("a document's record round-trips and carries its predictions", "[evals]") {
  const TaskSpec& task = FindTask("hellaswag");
  DocResult d = Doc(2, {{-10.5, 5, 20, false}, {-6.25, 2, 6, true}, {-9, 3, 30, false}, {-50, 9, 9, false}});
  d.index = 17;
  const std::vector<Request> requests = {{"ctx", " a"}, {"ctx", " b"}, {"ctx", " c"}, {"ctx", " d"}};
  const nlohmann::json r = DocRecord(task, 0, d, &requests);
  CHECK(r["task"] == "hellaswag");
  CHECK(r["predictions"]["acc"] == 1);
  CHECK(r["predictions"]["acc_norm"] == 2);
  CHECK(r["predictions"]["acc_per_token"] == 0);  // -2.1, -3.125, -3, -5.6
  CHECK(r["requests"][3]["continuation"] == " d");
  const DocResult back = DocResultFromRecord(r);
  CHECK(back.index == 17);
  CHECK(back.gold == 2);
  REQUIRE(back.choices.size() == 4);
  CHECK(back.choices[1].log_likelihood == -6.25);
  CHECK(back.choices[1].greedy);
  CHECK(back.choices[2].characters == 30);
  CHECK(back.choices[3].tokens == 9);
}

TEST_CASE("the record log resumes, drops a cut last line and refuses other runs", "[evals]") {
  test::TempDir dir;
  const std::string path = (dir.path() / "r.records.jsonl").string();
  const nlohmann::json header = {{"kind", "gemmeter-eval-records"}, {"model_sha256", "abc"}};
  auto record = [](int64_t index) {
    return nlohmann::json{{"task", "piqa"}, {"shots", 0}, {"index", index}, {"gold", 1}};
  };
  {
    RecordLog log(path, header);
    CHECK(log.Find("piqa", 0, 3) == nullptr);
    log.Append(record(3));
    log.Append(record(5));
  }
  {
    std::ofstream out(path, std::ios::app);
    out << R"({"task":"piqa","shots":0,"ind)";  // a write cut short by a kill
  }
  {
    RecordLog log(path, header);
    CHECK(log.dropped_partial_lines() == 1);
    REQUIRE(log.Find("piqa", 0, 3) != nullptr);
    CHECK((*log.Find("piqa", 0, 5))["gold"] == 1);
    CHECK(log.Find("piqa", 5, 5) == nullptr);  // other shots: another record
    CHECK(log.Find("mmlu", 0, 3) == nullptr);
    log.Append(record(7));
  }
  {
    std::ifstream in(path);
    std::string line;
    int lines = 0;
    while (std::getline(in, line)) {
      ++lines;
      CHECK_NOTHROW(nlohmann::json::parse(line));  // the cut line is gone, not glued on
    }
    CHECK(lines == 4);
  }
  nlohmann::json other = header;
  other["model_sha256"] = "def";
  CHECK_THROWS_WITH(RecordLog(path, other),
                    Catch::Contains("records of another run") && Catch::Contains("model_sha256"));
  {
    std::ofstream out(path, std::ios::app);
    out << "not json\n";
  }
  CHECK_THROWS_WITH(RecordLog(path, header), Catch::Contains(":5: not a JSON record"));
}

}  // namespace
}  // namespace gemmeter::evals
