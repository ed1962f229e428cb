// RenderReport: checks the report's kind, writes the provenance block every kind shares,
// and hands the rest to the kind's renderer.
#include "reports/render.h"

#include <fmt/format.h>

#include <string_view>

#include "engine/core/error.h"
#include "reports/render_doc.h"

namespace gemmeter::reports {
namespace {

using nlohmann::json;

// Any provenance value as one line: strings as they are, arrays joined, numbers printed.
std::string Text(const json& v) {
  if (v.is_string()) return v.get<std::string>();
  if (v.is_array()) {
    std::string out;
    for (const json& e : v) out += fmt::format("{}{}", out.empty() ? "" : ", ", Text(e));
    return out;
  }
  if (v.is_object()) {  // {"onednn": "2.6.3"} -> "onednn 2.6.3"
    std::string out;
    for (const auto& [key, value] : v.items()) {
      out += fmt::format("{}{} {}", out.empty() ? "" : ", ", key, Text(value));
    }
    return out;
  }
  if (v.is_number_float()) return Significant(v.get<double>(), 6);
  return v.dump();
}

std::string Title(std::string_view kind) {
  if (kind == "benchmark") return "gemmeter benchmark report";
  if (kind == "evaluation") return "gemmeter evaluation report";
  if (kind == "benchmark-comparison") return "gemmeter benchmark comparison";
  if (kind == "suite") return "gemmeter suite report";
  return "gemmeter evaluation comparison";
}

}  // namespace

void AddProvenance(const json& report, Document& doc) {
  const json& p = Object(report, "provenance", "report");
  std::vector<std::pair<std::string, std::string>> fields;
  auto add = [&](std::string_view label, std::string_view key) {
    if (const json* v = Field(p, key)) fields.emplace_back(label, Text(*v));
  };
  add("commit", "git_commit");
  add("date", "date");
  add("gemmeter", "gemmeter_version");
  add("build type", "build_type");
  add("compiler", "compiler");
  add("compiler flags", "compiler_flags");
  if (const json* cpu = Field(p, "cpu_model")) {
    const json* cores = Field(p, "cpu_cores");
    fields.emplace_back("CPU", cores ? fmt::format("{} ({} cores)", Text(*cpu), Text(*cores)) : Text(*cpu));
  }
  add("kernel ISA", "kernel_isa");
  // The description names the backend and its library and threads; the bare name is
  // the fallback for reports without one.
  if (Field(p, "backend_description")) {
    add("backend", "backend_description");
  } else {
    add("backend", "backend");
  }
  add("backends", "backends");
  add("backend versions", "backend_versions");
  add("weights", "weights");
  add("threads", "threads");
  add("batch tokens", "batch_tokens");
  add("model", "model");
  if (const json* sha = Field(p, "model_sha256"); sha && sha->is_string()) {
    // A prefix identifies the file among a reader's models and fits the column.
    fields.emplace_back("model sha256", sha->get<std::string>().substr(0, 16) + "...");
  }
  add("parameters", "model_parameters");
  add("data", "data_dir");
  add("wall seconds", "wall_seconds");
  add("libraries", "libraries");
  add("command", "command");
  if (const json* profile = Field(report, "profile")) fields.emplace_back("profile", Text(*profile));
  const json& inputs = Object(p, "inputs", "provenance");
  for (const char* role : {"a", "b", "base", "new"}) {
    const json& in = Object(inputs, role, "provenance.inputs");
    if (in.empty()) continue;
    std::string value = String(in, "path", "provenance.inputs");
    const std::string commit = String(in, "git_commit", "provenance.inputs");
    const std::string date = String(in, "date", "provenance.inputs");
    if (!commit.empty()) value += ", commit " + commit.substr(0, 12);
    if (!date.empty()) value += ", " + date;
    fields.emplace_back(std::string("input ") + role, value);
  }
  doc.Heading(2, "Provenance");
  if (fields.empty()) {
    doc.Note("No provenance recorded.");
  } else {
    doc.Fields(fields);
  }
}

std::string RenderReport(const json& report, RenderFormat format) {
  Check(report.is_object(), "report: not a JSON object");
  const json* kind_field = Field(report, "kind");
  Check(kind_field != nullptr,
        "report has no \"kind\" (benchmark, evaluation, benchmark-comparison or "
        "evaluation-comparison)");
  Check(kind_field->is_string(), "report: field \"kind\" is not a string");
  const std::string kind = kind_field->get<std::string>();
  void (*render)(const json&, Document&) =
      kind == "benchmark"               ? RenderBenchmark
      : kind == "evaluation"            ? RenderEvaluation
      : kind == "benchmark-comparison"  ? RenderBenchComparison
      : kind == "evaluation-comparison" ? RenderEvalComparison
      : kind == "suite"                 ? RenderSuite
                                        : nullptr;
  Check(render != nullptr,
        "report kind \"{}\" cannot be rendered (benchmark, evaluation, benchmark-comparison, "
        "evaluation-comparison or suite)",
        kind);
  Document doc(format, Title(kind));
  AddProvenance(report, doc);
  render(report, doc);
  return doc.Finish();
}

}  // namespace gemmeter::reports
