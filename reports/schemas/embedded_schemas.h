// The report schemas compiled into the library: the text of each
// reports/schemas/<kind>.schema.json, as a string literal. embed_schemas.py (next to this
// header) writes the definitions at build time, so a binary always carries the schemas of
// the source it was built from; reports/json_schema.h parses and serves them.
#pragma once

#include <span>
#include <string_view>

namespace gemmeter::reports {

struct EmbeddedSchema {
  std::string_view kind;  // the file name before ".schema.json"
  std::string_view text;  // the file's contents
};

// Every embedded schema, sorted by kind.
std::span<const EmbeddedSchema> EmbeddedSchemas();

}  // namespace gemmeter::reports
