// JSON Schema validation (the subset the report schemas use) and the embedded schemas.
//
// A schema is checked whole before the document is looked at, so an unsupported or
// malformed keyword throws even where the document never reaches it (an unused anyOf
// branch, a $def only some reports use).
#include "reports/json_schema.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <map>
#include <regex>
#include <set>

#include "engine/core/error.h"
#include "reports/schemas/embedded_schemas.h"

namespace gemmeter::reports {
namespace {

using nlohmann::json;

constexpr size_t kMaxViolations = 20;
// Schemas nest as deep as the documents they describe (a few levels for reports); a
// deeper chain means a $ref that refers to itself without descending into the document.
constexpr int kMaxDepth = 200;
constexpr std::string_view kRefPrefix = "#/$defs/";

const std::set<std::string, std::less<>> kTypeNames = {"object", "array",   "string", "number",
                                                       "integer", "boolean", "null"};

// The type a value has in the written document: a non-finite float is dumped as null.
std::string TypeName(const json& v) {
  switch (v.type()) {
    case json::value_t::null: return "null";
    case json::value_t::boolean: return "boolean";
    case json::value_t::number_integer:
    case json::value_t::number_unsigned: return "integer";
    case json::value_t::number_float:
      return std::isfinite(v.get<double>()) ? "number" : "null";
    case json::value_t::string: return "string";
    case json::value_t::array: return "array";
    case json::value_t::object: return "object";
    default: return "binary";
  }
}

bool HasType(const json& v, std::string_view type) {
  const std::string actual = TypeName(v);
  if (type == "number") return actual == "integer" || actual == "number";
  if (type == "integer" && actual == "number") return std::floor(v.get<double>()) == v.get<double>();
  return actual == type;
}

// A value for a message: compact JSON, cut to a readable length.
std::string Short(const json& v) {
  std::string text = v.dump(-1, ' ', false, json::error_handler_t::replace);
  if (text.size() > 80) text = text.substr(0, 77) + "...";
  return text;
}

bool IsIdentifier(std::string_view key) {
  if (key.empty() || std::isdigit(static_cast<unsigned char>(key[0]))) return false;
  for (char c : key) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_') return false;
  }
  return true;
}

// Document paths: `a.b[3].c`, keys that are not identifiers quoted as `a["cuda:0"]`.
std::string ChildPath(const std::string& path, const std::string& key) {
  if (!IsIdentifier(key)) return path + "[" + Short(json(key)) + "]";
  return path.empty() ? key : path + "." + key;
}

// Schema locations, as JSON pointers from the root ("#/properties/provenance").
std::string PointerChild(const std::string& where, const std::string& key) {
  std::string escaped;
  for (char c : key) escaped += c == '~' ? "~0" : c == '/' ? "~1" : std::string(1, c);
  return where + "/" + escaped;
}

const json& Resolve(const json& root, const json& ref, const std::string& where) {
  Check(ref.is_string() && ref.get_ref<const std::string&>().starts_with(kRefPrefix),
        "schema {}: $ref {} is not \"{}<name>\" (the only references supported)", where,
        Short(ref), kRefPrefix);
  const std::string name = ref.get<std::string>().substr(kRefPrefix.size());
  Check(root.is_object() && root.contains("$defs") && root.at("$defs").is_object() &&
            root.at("$defs").contains(name),
        "schema {}: $ref {}: the root schema has no $defs entry \"{}\"", where, Short(ref), name);
  return root.at("$defs").at(name);
}

// Throws Error naming the location of the first keyword the validator does not implement,
// or one whose value is malformed, anywhere in `s`.
void CheckSchema(const json& s, const std::string& where, const json& root) {
  if (s.is_boolean()) return;
  Check(s.is_object(), "schema {}: a schema is an object or a boolean, not {}", where, Short(s));
  for (const auto& [key, value] : s.items()) {
    const std::string at = PointerChild(where, key);
    if (key == "type") {
      const json names = value.is_array() ? value : json::array({value});
      Check(!names.empty(), "schema {}: an empty list of types", at);
      for (const json& n : names) {
        Check(n.is_string() && kTypeNames.contains(n.get_ref<const std::string&>()),
              "schema {}: unknown type {} (object, array, string, number, integer, boolean, null)",
              at, Short(n));
      }
    } else if (key == "properties" || key == "$defs") {
      Check(value.is_object(), "schema {}: must be an object of schemas", at);
      Check(key == "properties" || where == "#", "schema {}: $defs is supported at the root only", at);
      for (const auto& [name, sub] : value.items()) CheckSchema(sub, PointerChild(at, name), root);
    } else if (key == "required") {
      Check(value.is_array(), "schema {}: must be an array of names", at);
      for (const json& n : value) Check(n.is_string(), "schema {}: {} is not a name", at, Short(n));
    } else if (key == "additionalProperties" || key == "items") {
      Check(!value.is_array(), "schema {}: one schema, not an array (tuples are not supported)", at);
      CheckSchema(value, at, root);
    } else if (key == "anyOf") {
      Check(value.is_array() && !value.empty(), "schema {}: must be a non-empty array of schemas", at);
      for (size_t i = 0; i < value.size(); ++i) CheckSchema(value[i], fmt::format("{}/{}", at, i), root);
    } else if (key == "enum") {
      Check(value.is_array() && !value.empty(), "schema {}: must be a non-empty array", at);
    } else if (key == "minimum" || key == "maximum") {
      Check(value.is_number(), "schema {}: must be a number", at);
    } else if (key == "minItems") {
      Check(value.is_number_integer() && value.get<int64_t>() >= 0,
            "schema {}: must be a non-negative integer", at);
    } else if (key == "pattern") {
      Check(value.is_string(), "schema {}: must be a string", at);
      try {
        std::regex(value.get<std::string>(), std::regex::ECMAScript);
      } catch (const std::regex_error& e) {
        Fail("schema {}: {} is not an ECMAScript regular expression: {}", at, Short(value), e.what());
      }
    } else if (key == "$ref") {
      Resolve(root, value, at);
    } else if (key == "description" || key == "title" || key == "$schema") {
      Check(value.is_string(), "schema {}: must be a string", at);
    } else if (key != "const") {
      Fail("schema {}: unsupported keyword \"{}\" (supported: type, properties, required, "
           "additionalProperties, items, enum, const, minimum, maximum, minItems, pattern, "
           "anyOf, $ref, $defs, description, title, $schema)",
           at, key);
    }
  }
}

class Validator {
 public:
  Validator(const json& root, size_t limit, std::map<std::string, std::regex>& regexes)
      : root_(root), limit_(limit), regexes_(regexes) {}

  const std::vector<std::string>& violations() const { return violations_; }

  void Validate(const json& s, const json& doc, const std::string& path, int depth) {
    if (depth > kMaxDepth) {
      Fail("schema: over {} nested schemas at {} (a $ref that refers to itself?)", kMaxDepth,
           path.empty() ? "(root)" : path);
    }
    if (Full()) return;
    if (s.is_boolean()) {
      if (!s.get<bool>()) Add(path, "no value is allowed here (schema false)");
      return;
    }
    if (auto it = s.find("$ref"); it != s.end()) Validate(Resolve(root_, *it, "$ref"), doc, path, depth + 1);
    if (auto it = s.find("type"); it != s.end() && !MatchesType(*it, doc)) {
      Add(path, fmt::format("expected {}, got {}", TypeList(*it), TypeName(doc)));
      return;  // the other keywords would only restate the mismatch
    }
    if (auto it = s.find("const"); it != s.end() && *it != doc) {
      Add(path, fmt::format("expected {}, got {}", Short(*it), Short(doc)));
    }
    if (auto it = s.find("enum"); it != s.end() && std::find(it->begin(), it->end(), doc) == it->end()) {
      Add(path, fmt::format("expected one of {}, got {}", Short(*it), Short(doc)));
    }
    if (HasType(doc, "number")) CheckBounds(s, doc, path);
    if (auto it = s.find("pattern"); it != s.end() && doc.is_string() &&
                                     !std::regex_search(doc.get_ref<const std::string&>(), Regex(*it))) {
      Add(path, fmt::format("{} does not match the pattern {}", Short(doc), it->get<std::string>()));
    }
    if (doc.is_array()) ValidateArray(s, doc, path, depth);
    if (doc.is_object()) ValidateObject(s, doc, path, depth);
    if (auto it = s.find("anyOf"); it != s.end()) ValidateAnyOf(*it, doc, path, depth);
  }

 private:
  bool Full() const { return violations_.size() >= limit_; }

  void Add(const std::string& path, const std::string& message) {
    if (!Full()) violations_.push_back(fmt::format("{}: {}", path.empty() ? "(root)" : path, message));
  }

  static bool MatchesType(const json& type, const json& doc) {
    if (type.is_string()) return HasType(doc, type.get_ref<const std::string&>());
    return std::any_of(type.begin(), type.end(),
                       [&](const json& t) { return HasType(doc, t.get_ref<const std::string&>()); });
  }

  static std::string TypeList(const json& type) {
    if (type.is_string()) return type.get<std::string>();
    std::string out;
    for (size_t i = 0; i < type.size(); ++i) {
      out += (i == 0 ? "" : i + 1 == type.size() ? " or " : ", ") + type[i].get<std::string>();
    }
    return out;
  }

  const std::regex& Regex(const json& pattern) {
    const std::string& text = pattern.get_ref<const std::string&>();
    auto it = regexes_.find(text);
    if (it == regexes_.end()) it = regexes_.emplace(text, std::regex(text, std::regex::ECMAScript)).first;
    return it->second;
  }

  void CheckBounds(const json& s, const json& doc, const std::string& path) {
    const double v = doc.get<double>();
    if (auto it = s.find("minimum"); it != s.end() && v < it->get<double>()) {
      Add(path, fmt::format("{} is less than the minimum {}", Short(doc), Short(*it)));
    }
    if (auto it = s.find("maximum"); it != s.end() && v > it->get<double>()) {
      Add(path, fmt::format("{} is more than the maximum {}", Short(doc), Short(*it)));
    }
  }

  void ValidateArray(const json& s, const json& doc, const std::string& path, int depth) {
    if (auto it = s.find("minItems"); it != s.end() && doc.size() < it->get<size_t>()) {
      Add(path, fmt::format("{} items, fewer than the minimum {}", doc.size(), it->get<size_t>()));
    }
    if (auto it = s.find("items"); it != s.end()) {
      for (size_t i = 0; i < doc.size() && !Full(); ++i) {
        Validate(*it, doc[i], fmt::format("{}[{}]", path, i), depth + 1);
      }
    }
  }

  void ValidateObject(const json& s, const json& doc, const std::string& path, int depth) {
    if (auto it = s.find("required"); it != s.end()) {
      for (const json& name : *it) {
        const std::string& key = name.get_ref<const std::string&>();
        if (!doc.contains(key)) Add(ChildPath(path, key), "required field missing");
      }
    }
    const auto properties = s.find("properties");
    const auto additional = s.find("additionalProperties");
    for (const auto& [key, value] : doc.items()) {
      if (Full()) return;
      if (properties != s.end() && properties->contains(key)) {
        Validate(properties->at(key), value, ChildPath(path, key), depth + 1);
      } else if (additional != s.end()) {
        if (additional->is_boolean() && !additional->get<bool>()) {
          Add(ChildPath(path, key), "field not allowed here (additionalProperties is false)");
        } else {
          Validate(*additional, value, ChildPath(path, key), depth + 1);
        }
      }
    }
  }

  // Valid when one alternative is; otherwise one violation quoting each alternative's
  // first reason, so the message says what would have made the value acceptable.
  void ValidateAnyOf(const json& alternatives, const json& doc, const std::string& path, int depth) {
    std::string reasons;
    for (size_t i = 0; i < alternatives.size(); ++i) {
      Validator one(root_, 1, regexes_);
      one.Validate(alternatives[i], doc, path, depth + 1);
      if (one.violations().empty()) return;
      reasons += fmt::format("{}({}) {}", i == 0 ? "" : "; ", i + 1, one.violations().front());
    }
    Add(path, "matches none of the anyOf alternatives: " + reasons);
  }

  const json& root_;
  size_t limit_;
  std::map<std::string, std::regex>& regexes_;  // compiled patterns, shared with anyOf's
  std::vector<std::string> violations_;
};

// The embedded schemas, parsed once (never destroyed: no exit-time destructor order).
const std::map<std::string, json, std::less<>>& Schemas() {
  static const auto& schemas = *[] {
    auto* out = new std::map<std::string, json, std::less<>>;
    for (const EmbeddedSchema& e : EmbeddedSchemas()) {
      json schema = json::parse(e.text, nullptr, /*allow_exceptions=*/false);
      Check(!schema.is_discarded(), "the embedded schema of kind \"{}\" is not JSON", e.kind);
      out->emplace(std::string(e.kind), std::move(schema));
    }
    return out;
  }();
  return schemas;
}

}  // namespace

std::vector<std::string> ValidateJson(const json& schema, const json& doc) {
  CheckSchema(schema, "#", schema);
  std::map<std::string, std::regex> regexes;
  Validator validator(schema, kMaxViolations, regexes);
  validator.Validate(schema, doc, "", 0);
  return validator.violations();
}

const json* ReportSchema(std::string_view kind) {
  const auto& schemas = Schemas();
  const auto it = schemas.find(kind);
  return it == schemas.end() ? nullptr : &it->second;
}

std::vector<std::string> ReportKinds() {
  std::vector<std::string> kinds;
  for (const auto& [kind, schema] : Schemas()) kinds.push_back(kind);
  return kinds;
}

int ReportSchemaVersion(std::string_view kind) {
  const json* schema = ReportSchema(kind);
  if (schema == nullptr) return 0;
  const json version = schema->value(json::json_pointer("/properties/schema_version/const"), json(0));
  return version.is_number_integer() ? version.get<int>() : 0;
}

}  // namespace gemmeter::reports
