// GGUF dequantization against the gguf Python package (tools/make_dequant_fixtures.py):
// real blocks from the Gemma 3 270M file and random blocks of every supported format.
//
// Budget: each value within 2 float32 ulps of gguf-py's (relative 2.4e-7). Both compute
// d * scale * q - dmin * min in float32 in the same order, so most values are identical;
// the budget allows for a fused multiply-add on one side.
#include <catch2/catch.hpp>
#include <fmt/core.h>

#include <cmath>
#include <set>

#include "engine/build_config.h"
#include "engine/io/ggml_types.h"
#include "engine/io/gguf.h"
#include "engine/io/safetensors.h"

namespace gemmeter {
namespace {

const std::string kFixtures = std::string(GEMMETER_SOURCE_ROOT) + "/tests/fixtures/dequant/";

TEST_CASE("every supported GGUF format dequantizes as gguf-py does", "[gguf][dequant]") {
  const GgufFile blocks(kFixtures + "blocks.gguf");
  const SafetensorsFile expected(kFixtures + "expected.safetensors");
  std::set<std::string> random_types, real_types;
  for (const std::string& name : blocks.Names()) {
    DYNAMIC_SECTION(name) {
      const StoredTensor& t = *blocks.Find(name);
      const StoredTensor* e = expected.Find(name);
      REQUIRE(e != nullptr);
      REQUIRE(e->shape == t.shape);
      std::vector<float> ours(static_cast<size_t>(NumElements(t.shape)));
      blocks.ReadAsF32(t, ours.data());
      const auto* theirs = static_cast<const float*>(e->data);
      size_t identical = 0, outside = 0;
      for (size_t i = 0; i < ours.size(); ++i) {
        const double tolerance = 2.4e-7 * std::fabs(theirs[i]) + 1e-30;
        identical += ours[i] == theirs[i];
        if (!(std::fabs(static_cast<double>(ours[i]) - theirs[i]) <= tolerance)) ++outside;
      }
      fmt::print("dequant {:<12} {:>5} values, {} identical, {} outside 2 ulp\n", name, ours.size(),
                 identical, outside);
      CHECK(outside == 0);
    }
    const std::string type = name.substr(0, name.find('.'));
    (name.ends_with(".real") ? real_types : random_types).insert(type);
  }
  // Random blocks of every listed format; real blocks of every format in the 270M file.
  CHECK(random_types == std::set<std::string>{"F32", "F16", "BF16", "Q8_0", "Q4_0", "Q5_0", "Q4_K", "Q5_K", "Q6_K"});
  CHECK(real_types == std::set<std::string>{"F32", "Q8_0", "Q5_0", "Q4_K", "Q6_K"});
}

TEST_CASE("formats outside the supported list are refused by name", "[gguf][dequant]") {
  float out[256];
  const uint8_t block[256] = {};
  CHECK_THROWS_WITH(DequantizeRow(3, block, out, 32), Catch::Contains("cannot dequantize Q4_1"));
  CHECK_THROWS_WITH(DequantizeRow(12, block, out, 100), Catch::Contains("not a whole number"));
}

}  // namespace
}  // namespace gemmeter
