// What the report renderers share: a Document that writes the same content as markdown or
// HTML (headings, paragraphs, tables, charts, notes), number formatting, tolerant JSON
// field access, the provenance block, and the per-kind renderers' entry points.
//
// Renderers describe content once; the Document decides the markup. Charts exist only in
// HTML: markdown says once, near the top, that they are in the HTML rendering.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "reports/render.h"

namespace gemmeter::reports {

struct Table {
  std::vector<std::string> header;
  std::vector<bool> numeric;  // per column: right-aligned (missing entries: left)
  std::vector<std::vector<std::string>> rows;
};

class Document {
 public:
  Document(RenderFormat format, std::string_view title);

  bool html() const { return format_ == RenderFormat::kHtml; }
  void Heading(int level, std::string_view text);  // level 2 or 3 (the title is level 1)
  void Paragraph(std::string_view text);
  void Note(std::string_view text);  // a short remark in a muted style ("no data ...")
  void AddTable(const Table& table);
  void Chart(const std::string& svg);  // dropped in markdown
  // A list of "name: value" pairs (the provenance), as a two-column table.
  void Fields(const std::vector<std::pair<std::string, std::string>>& fields);
  // A preformatted block (document text, long lists).
  void Preformatted(std::string_view text);

  std::string Finish() const;

 private:
  RenderFormat format_;
  std::string title_;
  std::string body_;
};

// Escapes text for a markdown table cell or paragraph: the pipe, and the HTML specials
// (GitHub renders inline HTML in markdown).
std::string EscapeMarkdown(std::string_view text);

// Numbers for tables: fixed digits, "-" for missing (NaN) values.
std::string Fixed(double v, int digits);
std::string Percent(double fraction, int digits = 1);  // 0.259 -> "25.9"
std::string Significant(double v, int digits = 3);     // p-values: 0.25, 4.1e-05
// A duration given in nanoseconds, in the unit that keeps 1 to 4 integer digits.
std::string Duration(double ns);

// Tolerant field access: nullptr / NaN / "" where the field is missing or null. A present
// field of the wrong type throws Error naming `where` and the field.
const nlohmann::json* Field(const nlohmann::json& object, std::string_view key);
double Number(const nlohmann::json& object, std::string_view key, std::string_view where);
std::string String(const nlohmann::json& object, std::string_view key, std::string_view where);
// The object or array at `key`, or an empty one; throws if present with another type.
const nlohmann::json& Object(const nlohmann::json& object, std::string_view key,
                             std::string_view where);
const nlohmann::json& Array(const nlohmann::json& object, std::string_view key,
                            std::string_view where);

// A benchmark name without Google Benchmark's run options (min_time:, repeats:,
// iterations:, real_time), which say how it was measured, not what.
std::string DisplayName(const std::string& name);

// The last path component of a file path ("/tmp/ev_f32.json" -> "ev_f32.json").
std::string FileName(std::string_view path);

// The provenance block: heading plus the fields present, in a fixed order.
void AddProvenance(const nlohmann::json& report, Document& doc);

// Per-kind renderers (render_bench.cc, render_eval.cc, render_compare.cc).
void RenderBenchmark(const nlohmann::json& report, Document& doc);
void RenderEvaluation(const nlohmann::json& report, Document& doc);
void RenderEvalComparison(const nlohmann::json& report, Document& doc);
void RenderBenchComparison(const nlohmann::json& report, Document& doc);
void RenderSuite(const nlohmann::json& report, Document& doc);

}  // namespace gemmeter::reports
