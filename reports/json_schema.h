// JSON Schema validation of reports, and the report schemas compiled into this build.
//
// The schemas (reports/schemas/<kind>.schema.json) document every field of every report
// kind; they are embedded at build time (reports/schemas/embed_schemas.py), so a binary
// validates reports against the layout it writes. The validator implements the subset of
// JSON Schema draft 2020-12 those files use, and refuses any other keyword rather than
// ignoring it: a schema cannot silently rely on a rule nobody checks.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace gemmeter::reports {

// Validates `doc` against `schema`, which may use: type (a name or an array of names:
// object, array, string, number, integer, boolean, null), properties, required,
// additionalProperties (bool or schema), items (one schema), enum, const, minimum, maximum,
// minItems, pattern (std::regex ECMAScript, searched anywhere in the string), anyOf, $ref
// to "#/$defs/<name>" of the root schema, and $defs at the root; description, title and
// $schema are ignored. Boolean schemas (true, false) are accepted anywhere a schema is.
// Throws Error naming the keyword and where it is for anything else, and for malformed
// keywords (a pattern that does not compile, a $ref to a missing definition), before
// looking at `doc`.
//
// Returns the violations, each "<path>: <message>", with paths like
// `provenance.model_sha256` or `benchmarks[3].real_time` (keys that are not identifiers
// as `devices["cuda:0"]`; the document itself is "(root)"); empty = valid. Stops after 20.
//
// "integer" accepts numbers with integral values (3 and 3.0); "number" any number. A
// non-finite float held in `doc` counts as null, since that is what it serializes to.
std::vector<std::string> ValidateJson(const nlohmann::json& schema, const nlohmann::json& doc);

// The schema embedded in this build for a report kind ("evaluation", "benchmark", ...), or
// nullptr for an unknown kind.
const nlohmann::json* ReportSchema(std::string_view kind);

// The kinds with schemas, sorted.
std::vector<std::string> ReportKinds();

// The newest schema_version of a kind this build has a schema for (1 for all today; the
// schema's properties.schema_version.const), or 0 for an unknown kind.
int ReportSchemaVersion(std::string_view kind);

}  // namespace gemmeter::reports
