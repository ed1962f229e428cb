// Dataset loaders against the counts and answer distributions in
// ../shared/datasets/README.md, and their errors on malformed input.
#include <catch2/catch.hpp>

#include <array>
#include <filesystem>
#include <fstream>

#include "datasets/hellaswag.h"
#include "datasets/mmlu.h"
#include "datasets/piqa.h"
#include "datasets/text_file.h"
#include "engine/core/error.h"
#include "tests/test_util.h"

namespace gemmeter {
namespace {

using Catch::Contains;
using namespace datasets;

TEST_CASE("MMLU test and dev splits load completely", "[datasets]") {
  if (test::DatasetsAbsent()) return;
  const std::string root = test::DatasetRoot();
  const auto test = LoadMmlu(root, "test");
  const auto dev = LoadMmlu(root, "dev");
  REQUIRE(test.size() == 14042);
  REQUIRE(dev.size() == 285);
  std::array<int, 4> test_answers{}, dev_answers{};
  for (const auto& q : test) ++test_answers[q.gold];
  for (const auto& q : dev) ++dev_answers[q.gold];
  CHECK(test_answers == std::array<int, 4>{3222, 3462, 3582, 3776});
  CHECK(dev_answers == std::array<int, 4>{67, 69, 71, 78});
  CHECK(dev.front().subject == "abstract_algebra");
  // The dev question with CRLF line breaks inside its quoted text keeps them.
  bool found_crlf = false;
  for (const auto& q : dev)
    if (q.subject == "college_mathematics" && q.context.find("\r\n") != std::string::npos) found_crlf = true;
  CHECK(found_crlf);
}

TEST_CASE("PIQA validation loads with its labels", "[datasets]") {
  if (test::DatasetsAbsent()) return;
  const auto items = LoadPiqa(test::DatasetRoot());
  REQUIRE(items.size() == 1838);
  for (size_t i = 0; i < items.size(); ++i) {
    CHECK_FALSE(items[i].context.empty());
    CHECK(items[i].choices.size() == 2);
    CHECK((items[i].gold == 0 || items[i].gold == 1));
    CHECK(items[i].index == static_cast<int64_t>(i));
  }
}

TEST_CASE("HellaSwag validation loads from the llama.cpp text format", "[datasets]") {
  if (test::DatasetsAbsent()) return;
  const auto items = LoadHellaswag(test::DatasetRoot());
  REQUIRE(items.size() == 10042);
  for (size_t i = 0; i < items.size(); ++i) {
    CHECK((items[i].gold >= 0 && items[i].gold <= 3));
    CHECK(items[i].choices.size() == 4);
    CHECK_FALSE(items[i].context.empty());
    CHECK(items[i].index == static_cast<int64_t>(i));
  }
}

TEST_CASE("CSV parsing follows RFC 4180", "[datasets]") {
  const auto rows = ParseCsv("a,\"b,c\",\"d\"\"e\"\n\"multi\nline\",x\n", "t.csv");
  REQUIRE(rows.size() == 2);
  CHECK(rows[0].fields == std::vector<std::string>{"a", "b,c", "d\"e"});
  CHECK(rows[1].fields == std::vector<std::string>{"multi\nline", "x"});
  CHECK(rows[1].line == 2);
  CHECK_THROWS_WITH(ParseCsv("a,\"open\n", "t.csv"), Contains("t.csv:1") && Contains("not closed"));
  CHECK_THROWS_WITH(ParseCsv("a,b\"c\n", "t.csv"), Contains("t.csv:1") && Contains("quote inside"));
}

TEST_CASE("malformed dataset rows are named by file and line", "[datasets][errors]") {
  test::TempDir dir;
  namespace fs = std::filesystem;
  const fs::path root = dir.path();
  SECTION("MMLU row with too few fields") {
    fs::create_directories(root / "mmlu" / "test");
    std::ofstream(root / "mmlu" / "test" / "x_test.csv") << "q,a,b,c,d,A\nq,a,b,c,B\n";
    CHECK_THROWS_WITH(LoadMmlu(root.string(), "test"), Contains("x_test.csv:2") && Contains("expected 6 fields"));
  }
  SECTION("MMLU answer outside A-D") {
    fs::create_directories(root / "mmlu" / "test");
    std::ofstream(root / "mmlu" / "test" / "x_test.csv") << "q,a,b,c,d,E\n";
    CHECK_THROWS_WITH(LoadMmlu(root.string(), "test"), Contains("x_test.csv:1") && Contains("\"E\""));
  }
  SECTION("PIQA row that is not JSON, and a bad label") {
    fs::create_directories(root / "piqa");
    std::ofstream(root / "piqa" / "valid.jsonl") << "{\"goal\": \"g\", \"sol1\": \"a\", \"sol2\": \"b\"}\n{oops\n";
    std::ofstream(root / "piqa" / "valid-labels.lst") << "0\n1\n";
    CHECK_THROWS_WITH(LoadPiqa(root.string()), Contains("valid.jsonl:2") && Contains("not valid JSON"));
    std::ofstream(root / "piqa" / "valid.jsonl") << "{\"goal\": \"g\", \"sol1\": \"a\", \"sol2\": \"b\"}\n";
    std::ofstream(root / "piqa" / "valid-labels.lst") << "2\n";
    CHECK_THROWS_WITH(LoadPiqa(root.string()), Contains("valid-labels.lst:1") && Contains("\"2\""));
  }
  SECTION("HellaSwag with a bad gold index") {
    fs::create_directories(root / "hellaswag");
    const std::string path = HellaswagPath(root.string());
    const std::string plain = path.substr(0, path.size() - 3);
    std::ofstream(plain) << "ctx\n7\ne1\ne2\ne3\ne4\n";
    REQUIRE(std::system(("gzip -n " + plain).c_str()) == 0);
    CHECK_THROWS_WITH(LoadHellaswag(root.string()), Contains("hellaswag_val_full.txt.gz:2") && Contains("\"7\""));
  }
  SECTION("missing files") {
    CHECK_THROWS_WITH(LoadPiqa(root.string()), Contains("valid.jsonl: no such file"));
    CHECK_THROWS_WITH(LoadMmlu(root.string(), "test"), Contains("no such folder"));
  }
}

}  // namespace
}  // namespace gemmeter
