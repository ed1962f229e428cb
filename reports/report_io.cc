#include "reports/report_io.h"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <vector>

#include "engine/core/error.h"
#include "reports/json_schema.h"

namespace gemmeter::reports {

namespace fs = std::filesystem;

nlohmann::json ParseReportText(const std::string& text, const std::string& name) {
  const std::string cleaned =
      std::regex_replace(text, std::regex(R"((:\s*)-?(NaN|nan|inf|Infinity)\b)"), "$1null");
  try {
    return nlohmann::json::parse(cleaned);
  } catch (const nlohmann::json::exception& e) {
    Fail("{}: not valid JSON: {}", name, e.what());
  }
}

void CheckReport(const nlohmann::json& report, const std::string& name,
                 std::initializer_list<std::string_view> kinds) {
  Check(report.is_object(), "{}: not a gemmeter report (not a JSON object)", name);
  if (!report.contains("kind") && report.contains("benchmarks") && report.contains("context")) {
    Fail("{}: a Google Benchmark JSON file, not a gemmeter benchmark report (write one with "
         "gemmeter_bench --report FILE)", name);
  }
  Check(report.contains("kind") && report["kind"].is_string(),
        "{}: not a gemmeter report (no \"kind\"; kinds: {})", name, fmt::join(ReportKinds(), ", "));
  const std::string kind = report["kind"];
  const nlohmann::json* schema = ReportSchema(kind);
  Check(schema != nullptr, "{}: unknown report kind \"{}\" (this gemmeter reads {})", name, kind,
        fmt::join(ReportKinds(), ", "));
  if (kinds.size() > 0) {
    bool wanted = false;
    for (std::string_view k : kinds) wanted |= k == kind;
    Check(wanted, "{}: a report of kind \"{}\", expected {}", name, kind, fmt::join(kinds, " or "));
  }
  const nlohmann::json& version = report.value("schema_version", nlohmann::json());
  Check(version.is_number_integer(), "{}: schema_version missing or not an integer", name);
  const int newest = (*schema)["properties"]["schema_version"]["const"].get<int>();
  Check(version.get<int>() <= newest,
        "{}: {} report schema_version {} is newer than this gemmeter reads ({}); use a newer "
        "gemmeter", name, kind, version.get<int>(), newest);
  Check(version.get<int>() == newest, "{}: {} report schema_version {} is unknown (this gemmeter reads {})",
        name, kind, version.get<int>(), newest);
  const std::vector<std::string> problems = ValidateJson(*schema, report);
  Check(problems.empty(), "{}: not a valid {} report (reports/schemas/{}.schema.json):\n  {}", name,
        kind, kind, fmt::join(problems, "\n  "));
}

nlohmann::json ReadReport(const std::string& path, std::initializer_list<std::string_view> kinds) {
  std::ifstream in(path);
  Check(in.good(), "{}: cannot open", path);
  std::stringstream buffer;
  buffer << in.rdbuf();
  nlohmann::json report = ParseReportText(buffer.str(), path);
  CheckReport(report, path, kinds);
  return report;
}

void WriteReport(const nlohmann::json& report, const std::string& path) {
  WriteFileAtomically(report.dump(1) + "\n", path);
}

void WriteFileAtomically(const std::string& text, const std::string& path) {
  if (path == "-") {
    fmt::print("{}", text);
    return;
  }
  std::error_code error;
  if (fs::path(path).has_parent_path()) {
    fs::create_directories(fs::path(path).parent_path(), error);
    if (error) Fail("{}: cannot create its folder: {}", path, error.message());
  }
  const std::string tmp = fmt::format("{}.tmp.{}", path, getpid());
  bool written = false;
  {
    std::ofstream out(tmp, std::ios::binary);
    if (out.good()) {
      out << text;
      out.flush();
      written = out.good();
    }
  }
  if (written) fs::rename(tmp, path, error);
  if (!written || error) {
    const std::string why = !written ? "cannot write a file there (disk full or read-only?)"
                            : fs::is_directory(path) ? "it is a folder"
                                                     : error.message();
    fs::remove(tmp, error);  // nothing half-written left beside the path
    Fail("{}: cannot write the report there: {}", path, why);
  }
}

}  // namespace gemmeter::reports
