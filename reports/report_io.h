// Reading and writing gemmeter's JSON reports.
//
// Every report is an object with "kind" (benchmark, evaluation, benchmark-comparison,
// evaluation-comparison) and "schema_version"; its schema is reports/schemas/<kind>.schema.json.
// A reader refuses a report of another kind, of an unknown kind or of a newer schema_version
// than this build knows, and a report its schema rejects, naming the file and the field.
#pragma once

#include <initializer_list>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace gemmeter::reports {

// Parses report text; NaN and infinity literals (Google Benchmark writes them for undefined
// aggregates, e.g. the coefficient of variation of zeros; they are not JSON) become null.
// `name` (a path) names the text in errors.
nlohmann::json ParseReportText(const std::string& text, const std::string& name);

// Reads `path`, checks that its kind is one of `kinds` (any known kind when empty), that
// its schema_version is one this build reads, and validates it against the kind's schema.
nlohmann::json ReadReport(const std::string& path, std::initializer_list<std::string_view> kinds = {});

// Checks an in-memory report the same way (a writer's self-check; tests).
void CheckReport(const nlohmann::json& report, const std::string& name,
                 std::initializer_list<std::string_view> kinds = {});

// Writes `report` to `path` atomically (a temporary file renamed over it), creating the
// parent folder; "-" writes to standard output.
void WriteReport(const nlohmann::json& report, const std::string& path);
// Writes `text` to `path` atomically (a temporary file beside it, then a rename; never a
// half-written file), creating its folder; "-" writes to stdout. Errors name the path.
void WriteFileAtomically(const std::string& text, const std::string& path);

}  // namespace gemmeter::reports
