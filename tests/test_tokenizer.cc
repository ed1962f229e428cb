// Tokenizer parity with transformers' tokenizer loaded from the same GGUF
// (tools/make_tokenizer_goldens.py), on the strings the evaluators tokenize, and
// round trips decode(encode(s)) == s.
#include <catch2/catch.hpp>
#include <fmt/core.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <fstream>

#include <nlohmann/json.hpp>

#include "datasets/text_file.h"
#include "engine/build_config.h"
#include "engine/model/checkpoint.h"
#include "tests/test_util.h"
#include "tests/tokenizer_strings.h"

namespace gemmeter {
namespace {

const std::string kFixtures = std::string(GEMMETER_SOURCE_ROOT) + "/tests/fixtures/tokenizer/";

nlohmann::json ReadJson(const std::string& path) {
  std::ifstream in(path);
  REQUIRE(in.good());
  return nlohmann::json::parse(in);
}

TEST_CASE("token ids equal transformers' on a sample of evaluator strings", "[tokenizer]") {
  auto tok = LoadTokenizer(DefaultModelPath());
  const auto sample = ReadJson(kFixtures + "gemma3-sample.json");
  if (test::DatasetsAbsent()) return;
  const std::string root = test::DatasetRoot();
  std::map<std::string, std::vector<std::string>> strings;
  int64_t checked = 0, mismatches = 0, round_trip_failures = 0;
  std::map<std::string, int> per_dataset;
  for (const auto& entry : sample["entries"]) {
    const std::string dataset = entry["dataset"].get<std::string>();
    if (!strings.count(dataset)) strings[dataset] = test::TokenizerStrings(dataset, root);
    const auto index = entry["index"].get<size_t>();
    REQUIRE(index < strings[dataset].size());
    const std::string& text = strings[dataset][index];
    if (entry.contains("text")) REQUIRE(entry["text"].get<std::string>() == text);  // same enumeration
    const std::vector<int32_t> ids = tok->Encode(text);
    bool same;
    if (entry.contains("ids")) {
      same = ids == entry["ids"].get<std::vector<int32_t>>();
      if (!same) {
        UNSCOPED_INFO(dataset << "[" << index << "] " << text << "\n  ours:   " << fmt::format("{}", fmt::join(ids, ","))
                               << "\n  theirs: " << entry["ids"].dump());
      }
    } else {  // HellaSwag: only a digest is committed (the text is under a DMCA claim)
      same = test::IdsDigest({ids}) == entry["ids_sha256"].get<std::string>() &&
             ids.size() == entry["count"].get<size_t>();
      if (!same) UNSCOPED_INFO(dataset << "[" << index << "] differs (" << ids.size() << " ids)");
    }
    mismatches += same ? 0 : 1;
    ++checked;
    ++per_dataset[dataset];
    const std::span<const int32_t> without_bos = std::span(ids).subspan(1);
    if (tok->Decode(without_bos) != text) {
      ++round_trip_failures;
      UNSCOPED_INFO("round trip fails for " << dataset << "[" << index << "]");
    }
  }
  fmt::print("tokenizer sample: {} strings ({} mmlu, {} piqa, {} hellaswag), {} id mismatches, "
             "{} round-trip failures\n", checked, per_dataset["mmlu"], per_dataset["piqa"],
             per_dataset["hellaswag"], mismatches, round_trip_failures);
  CHECK(checked >= 2000);
  CHECK(mismatches == 0);
  CHECK(round_trip_failures == 0);
}

TEST_CASE("a tokenizer.model file in a checkpoint folder tokenizes the same", "[tokenizer]") {
  // The GGUF vocabulary written out as a sentencepiece model file, the form Hugging Face
  // Gemma checkpoints ship, then loaded through the folder path.
  auto from_gguf = LoadTokenizer(DefaultModelPath());
  test::TempDir dir;
  std::ofstream(dir.path() / "tokenizer.model", std::ios::binary) << from_gguf->SerializedModel();
  auto from_file = LoadTokenizer(dir.path().string());
  for (const char* text : {"The capital of France is", "  two spaces\n\nand\ttabs", "ünïcödé 日本語 🙂"}) {
    CHECK(from_file->Encode(text) == from_gguf->Encode(text));
  }
  CHECK_THROWS_WITH(LoadTokenizer(test::TinyFixture("gemma-mqa")), Catch::Contains("no tokenizer.model"));
  std::ofstream(dir.path() / "tokenizer.model", std::ios::binary) << "not a model";
  CHECK_THROWS_WITH(LoadTokenizer(dir.path().string()), Catch::Contains("tokenizer.model: not a usable sentencepiece model"));
}

TEST_CASE("Gemma needs exactly one BOS", "[tokenizer]") {
  auto tok = LoadTokenizer(DefaultModelPath());
  const auto ids = tok->Encode("Hello");
  REQUIRE(ids.size() >= 2);
  CHECK(ids[0] == 2);
  CHECK(std::count(ids.begin(), ids.end(), 2) == 1);
  CHECK(tok->Encode("Hello", /*add_bos=*/false) == std::vector<int32_t>(ids.begin() + 1, ids.end()));
  // Text that looks like a control token is text, not the token.
  const auto literal = tok->Encode("<bos>");
  CHECK(std::count(literal.begin() + 1, literal.end(), 2) == 0);
}

// Expected ids from the `tokenizers` package on Gemma 3's tokenizer.json (its added
// tokens: <start_of_turn> 105, <end_of_turn> 106, <mask> 4, [multimodal] 5, <unused0> 6).
TEST_CASE("chat markup maps to its token ids, as transformers' added tokens", "[tokenizer]") {
  auto tok = LoadTokenizer(DefaultModelPath());
  CHECK(tok->Encode("<start_of_turn>user\nWhy is the sky blue?<end_of_turn>\n<start_of_turn>model\n") ==
        std::vector<int32_t>{2, 105, 2364, 107, 11355, 563, 506, 7217, 3730, 236881, 106, 107, 105,
                             4368, 107});
  CHECK(tok->Encode("a<mask>b [multimodal]<unused0><eos>") ==
        std::vector<int32_t>{2, 236746, 4, 236763, 236743, 5, 6, 1});
  CHECK(tok->Encode("<start_of_turn") == std::vector<int32_t>{2, 236820, 3041, 236779, 1340, 236779, 887});
  CHECK(tok->Encode("<<end_of_turn>>") == std::vector<int32_t>{2, 236820, 106, 236813});
  // transformers would give 2, 2, 10979; lm-eval (PR #3347) and gemmeter add no second BOS.
  CHECK(tok->Encode("<bos>Hi") == std::vector<int32_t>{2, 10979});
  // Kept literal on request: the markup is text, tokenized like any other.
  const auto literal = tok->Encode("<end_of_turn>", true, false);
  CHECK(literal.size() > 2);
  CHECK(std::find(literal.begin(), literal.end(), 106) == literal.end());
  CHECK(tok->MarkupId("<start_of_turn>") == 105);
  CHECK(tok->MarkupId("<b>") == 200);
  CHECK(tok->MarkupId("hello") == -1);
}

TEST_CASE("token ids equal transformers' on every evaluator string", "[tokenizer][slow]") {
  auto tok = LoadTokenizer(DefaultModelPath());
  const auto digests = ReadJson(kFixtures + "gemma3-digests.json");
  if (test::DatasetsAbsent()) return;
  const std::string root = test::DatasetRoot();
  for (const char* dataset : {"piqa", "mmlu", "hellaswag"}) {
    const auto& expected = digests["datasets"][dataset];
    const std::vector<std::string> strings = test::TokenizerStrings(dataset, root);
    REQUIRE(strings.size() == expected["strings"].get<size_t>());
    const auto chunk = expected["chunk_size"].get<size_t>();
    size_t chunks_ok = 0, round_trips_ok = 0;
    const auto& chunk_digests = expected["chunk_sha256"];
    for (size_t c = 0; c * chunk < strings.size(); ++c) {
      std::vector<std::vector<int32_t>> ids;
      for (size_t i = c * chunk; i < std::min(strings.size(), (c + 1) * chunk); ++i) {
        ids.push_back(tok->Encode(strings[i]));
        round_trips_ok += tok->Decode(std::span(ids.back()).subspan(1)) == strings[i];
      }
      const bool same = test::IdsDigest(ids) == chunk_digests[c].get<std::string>();
      if (!same) UNSCOPED_INFO(dataset << ": strings [" << c * chunk << ", " << (c + 1) * chunk << ") differ");
      chunks_ok += same;
    }
    fmt::print("tokenizer {:<10} {} strings: {} of {} chunks identical to transformers, "
               "{} round trips exact\n", dataset, strings.size(), chunks_ok, chunk_digests.size(),
               round_trips_ok);
    CHECK(chunks_ok == chunk_digests.size());
    CHECK(round_trips_ok == strings.size());
  }
}

}  // namespace
}  // namespace gemmeter
