// The JSON Schema validator (reports/json_schema.h), keyword by keyword on hand-written
// schema/document pairs (the report schemas themselves: test_report_schemas.cc).
#include <catch2/catch.hpp>
#include <fmt/format.h>

#include <algorithm>
#include <limits>
#include <set>
#include <string>
#include <vector>

#include "evals/runner.h"
#include "reports/bench_compare.h"
#include "reports/benchmark_report.h"
#include "reports/eval_compare.h"
#include "reports/eval_report.h"
#include "reports/json_schema.h"
#include "reports/provenance.h"

namespace gemmeter::reports {
namespace {

using Catch::Matchers::Contains;
using nlohmann::json;

std::vector<std::string> Violations(const char* schema, const json& doc) {
  return ValidateJson(json::parse(schema), doc);
}

using Strings = std::vector<std::string>;

TEST_CASE("type accepts its names, integer takes integral floats", "[json_schema]") {
  const char* integer = R"({"type": "integer"})";
  CHECK(Violations(integer, 3).empty());
  CHECK(Violations(integer, 3.0).empty());
  CHECK(Violations(integer, -7).empty());
  CHECK(Violations(integer, 3.5) == Strings{"(root): expected integer, got number"});
  CHECK(Violations(integer, "3") == Strings{"(root): expected integer, got string"});
  const char* number = R"({"type": "number"})";
  CHECK(Violations(number, 3).empty());
  CHECK(Violations(number, 2.5).empty());
  CHECK(Violations(number, true) == Strings{"(root): expected number, got boolean"});
  // A NaN held in memory is written as null: it is not a number.
  CHECK(Violations(number, std::numeric_limits<double>::quiet_NaN()) ==
        Strings{"(root): expected number, got null"});
  const char* several = R"({"type": ["number", "null"]})";
  CHECK(Violations(several, nullptr).empty());
  CHECK(Violations(several, 1e9).empty());
  CHECK(Violations(several, json::array()) == Strings{"(root): expected number or null, got array"});
  CHECK(Violations(R"({"type": ["string", "boolean", "object"]})", 1) ==
        Strings{"(root): expected string, boolean or object, got integer"});
  CHECK(Violations(R"({"type": "object"})", json::object()).empty());
  CHECK(Violations(R"({"type": "array"})", json::array()).empty());
  CHECK(Violations(R"({"type": "null"})", 0) == Strings{"(root): expected null, got integer"});
  CHECK(Violations(R"({"type": "boolean"})", false).empty());
  CHECK(Violations(R"({"type": "string"})", "").empty());
}

TEST_CASE("properties, required and additionalProperties name the field's path", "[json_schema]") {
  const char* schema = R"({
    "type": "object",
    "required": ["provenance"],
    "properties": {
      "provenance": {"type": "object", "required": ["model_sha256", "threads"],
                     "properties": {"threads": {"type": "integer"}}}
    }})";
  CHECK(Violations(schema, json::parse(R"({"provenance": {"model_sha256": "x", "threads": 2}})")).empty());
  CHECK(Violations(schema, json::object()) == Strings{"provenance: required field missing"});
  CHECK(Violations(schema, json::parse(R"({"provenance": {"threads": "2"}})")) ==
        Strings{"provenance.model_sha256: required field missing",
                "provenance.threads: expected integer, got string"});
  // Unknown fields are allowed unless additionalProperties says otherwise.
  CHECK(Violations(schema, json::parse(R"({"provenance": {"model_sha256": "", "threads": 1, "x": 1}, "y": 2})")).empty());
  const char* closed = R"({"properties": {"a": {}}, "additionalProperties": false})";
  CHECK(Violations(closed, json::parse(R"({"a": 1})")).empty());
  CHECK(Violations(closed, json::parse(R"({"a": 1, "b": 2})")) ==
        Strings{"b: field not allowed here (additionalProperties is false)"});
  // A schema for the other fields: a map keyed by name; keys that are not identifiers quoted.
  const char* map = R"({"properties": {"devices": {"additionalProperties": {"required": ["cores"],
                       "properties": {"cores": {"type": "integer"}}}}}})";
  CHECK(Violations(map, json::parse(R"({"devices": {"cpu": {"cores": 2}, "cuda:0": {"cores": 1.5}}})")) ==
        Strings{R"(devices["cuda:0"].cores: expected integer, got number)"});
  CHECK(Violations(map, json::parse(R"({"devices": {"cpu": {}}})")) ==
        Strings{"devices.cpu.cores: required field missing"});
  // Keywords for objects ignore other types.
  CHECK(Violations(closed, 3).empty());
}

TEST_CASE("items and minItems", "[json_schema]") {
  const char* schema = R"({"properties": {"benchmarks": {"type": "array", "minItems": 1,
      "items": {"properties": {"real_time": {"type": "number"}}}}}})";
  CHECK(Violations(schema, json::parse(R"({"benchmarks": [{"real_time": 1}, {}]})")).empty());
  CHECK(Violations(schema, json::parse(R"({"benchmarks": [{}, {}, {}, {"real_time": "fast"}]})")) ==
        Strings{"benchmarks[3].real_time: expected number, got string"});
  CHECK(Violations(schema, json::parse(R"({"benchmarks": []})")) ==
        Strings{"benchmarks: 0 items, fewer than the minimum 1"});
  CHECK(Violations(R"({"items": {"type": "integer"}})", json::parse("[[1], 2, 3]")) ==
        Strings{"[0]: expected integer, got array"});
}

TEST_CASE("enum, const, minimum, maximum and pattern", "[json_schema]") {
  const char* verdict = R"({"enum": ["slower", "faster", 3]})";
  CHECK(Violations(verdict, "faster").empty());
  CHECK(Violations(verdict, 3.0).empty());  // JSON numbers compare by value
  CHECK(Violations(verdict, "slow") == Strings{R"((root): expected one of ["slower","faster",3], got "slow")"});
  CHECK(Violations(R"({"const": 1})", 1).empty());
  CHECK(Violations(R"({"const": 1})", 2) == Strings{"(root): expected 1, got 2"});
  CHECK(Violations(R"({"const": "evaluation"})", "benchmark") ==
        Strings{R"((root): expected "evaluation", got "benchmark")"});
  const char* fraction = R"({"minimum": 0, "maximum": 1})";
  CHECK(Violations(fraction, 0).empty());
  CHECK(Violations(fraction, 1.0).empty());
  CHECK(Violations(fraction, -0.5) == Strings{"(root): -0.5 is less than the minimum 0"});
  CHECK(Violations(fraction, 2) == Strings{"(root): 2 is more than the maximum 1"});
  CHECK(Violations(fraction, "2").empty());  // bounds apply to numbers only
  CHECK(Violations(fraction, nullptr).empty());
  // Patterns are searched, as JSON Schema does: anchors make them whole-string.
  CHECK(Violations(R"({"pattern": "b+"})", "abbc").empty());
  const char* sha = R"({"pattern": "^[0-9a-f]{4}$"})";
  CHECK(Violations(sha, "09af").empty());
  CHECK(Violations(sha, "09AF") == Strings{R"((root): "09AF" does not match the pattern ^[0-9a-f]{4}$)"});
  CHECK(Violations(sha, 1234).empty());  // patterns apply to strings only
  const std::string long_text(200, 'x');
  const auto v = Violations(sha, long_text);
  REQUIRE(v.size() == 1);
  CHECK_THAT(v[0], Contains("xxx... does not match"));  // long values are cut short
}

TEST_CASE("anyOf passes when one alternative does, else quotes each", "[json_schema]") {
  const char* schema = R"({"anyOf": [{"required": ["real_time", "time_unit"]},
                                      {"required": ["instructions"]}]})";
  CHECK(Violations(schema, json::parse(R"({"real_time": 1, "time_unit": "ns"})")).empty());
  CHECK(Violations(schema, json::parse(R"({"instructions": 10})")).empty());
  CHECK(Violations(schema, json::parse(R"({"real_time": 1})")) ==
        Strings{"(root): matches none of the anyOf alternatives: (1) time_unit: required field "
                "missing; (2) instructions: required field missing"});
}

TEST_CASE("$ref resolves to the root's $defs, with its siblings applied too", "[json_schema]") {
  const char* schema = R"({
    "properties": {
      "provenance": {"$ref": "#/$defs/common", "required": ["command"]},
      "inputs": {"type": "array", "items": {"$ref": "#/$defs/input"}}
    },
    "$defs": {
      "common": {"type": "object", "required": ["date"], "properties": {"date": {"$ref": "#/$defs/date"}}},
      "date": {"type": "string", "pattern": "Z$"},
      "input": {"type": "object", "required": ["path"]}
    }})";
  CHECK(Violations(schema, json::parse(R"({"provenance": {"date": "2026Z", "command": ""}, "inputs": [{"path": ""}]})")).empty());
  CHECK(Violations(schema, json::parse(R"({"provenance": {"date": "2026"}, "inputs": [{"path": ""}, {}]})")) ==
        Strings{"inputs[1].path: required field missing",  // object fields in name order
                R"(provenance.date: "2026" does not match the pattern Z$)",
                "provenance.command: required field missing"});
  CHECK(Violations(schema, json::parse(R"({"provenance": 3})")) == Strings{"provenance: expected object, got integer"});
}

TEST_CASE("boolean schemas", "[json_schema]") {
  CHECK(Violations("true", json::parse(R"({"a": [1]})")).empty());
  CHECK(Violations("false", 1) == Strings{"(root): no value is allowed here (schema false)"});
  CHECK(Violations(R"({"properties": {"gone": false}})", json::parse(R"({"gone": 1})")) ==
        Strings{"gone: no value is allowed here (schema false)"});
}

TEST_CASE("an unsupported or malformed keyword throws, wherever it is", "[json_schema]") {
  auto throws = [](const char* schema, const std::string& what) {
    INFO(schema);
    CHECK_THROWS_WITH(ValidateJson(json::parse(schema), json::object()), Contains(what));
  };
  throws(R"({"allOf": [{}]})", R"(unsupported keyword "allOf")");
  throws(R"({"properties": {"a": {"minLength": 1}}})", "#/properties/a/minLength");
  // Never reached by the document, still refused.
  throws(R"({"anyOf": [true, {"exclusiveMinimum": 0}]})", "#/anyOf/1/exclusiveMinimum");
  throws(R"({"$defs": {"unused": {"format": "date-time"}}})", "#/$defs/unused/format");
  throws(R"({"additionalProperties": {"patternProperties": {}}})", "patternProperties");
  throws(R"({"type": "float"})", "unknown type \"float\"");
  throws(R"({"type": []})", "empty list of types");
  throws(R"({"pattern": "(unclosed"})", "not an ECMAScript regular expression");
  throws(R"({"minItems": -1})", "#/minItems");
  throws(R"({"required": "a"})", "#/required");
  throws(R"({"items": [{}]})", "tuples are not supported");
  throws(R"({"$ref": "#/$defs/missing"})", "no $defs entry \"missing\"");
  throws(R"({"$ref": "other.json#/x"})", "the only references supported");
  throws(R"({"properties": {"a": {"$defs": {}}}})", "$defs is supported at the root only");
  throws(R"({"description": 3})", "#/description");
  throws("[]", "a schema is an object or a boolean");
  // A definition that refers to itself without descending into the document.
  CHECK_THROWS_WITH(ValidateJson(json::parse(R"({"$ref": "#/$defs/a", "$defs": {"a": {"$ref": "#/$defs/a"}}})"), 1),
                    Contains("refers to itself"));
}

TEST_CASE("validation stops after 20 violations", "[json_schema]") {
  json doc = json::array();
  for (int i = 0; i < 30; ++i) doc.push_back("x");
  const auto v = Violations(R"({"items": {"type": "integer", "const": 1}})", doc);
  REQUIRE(v.size() == 20);
  CHECK(v.front() == "[0]: expected integer, got string");
  CHECK(v.back() == "[19]: expected integer, got string");
  json wide = json::object();
  for (int i = 0; i < 30; ++i) wide[fmt::format("f{}", 100 + i)] = 1;
  CHECK(Violations(R"({"additionalProperties": {"type": "string"}})", wide).size() == 20);
}

}  // namespace
}  // namespace gemmeter::reports
