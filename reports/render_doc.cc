// The Document (markdown or HTML), number formatting and tolerant JSON access shared by
// the report renderers (see render_doc.h).
#include "reports/render_doc.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "engine/core/error.h"
#include "reports/svg.h"

namespace gemmeter::reports {
namespace {

using nlohmann::json;

// Inline CSS only: the page must render the same offline and from a mail attachment.
constexpr const char* kCss = R"(
body { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; color: #222;
       margin: 0; background: #fff; }
main { max-width: 1100px; margin: 0 auto; padding: 16px 24px 48px; }
h1 { font-size: 24px; margin: 8px 0 16px; }
h2 { font-size: 19px; margin: 28px 0 10px; border-bottom: 1px solid #ddd; padding-bottom: 4px; }
h3 { font-size: 16px; margin: 20px 0 8px; }
table { border-collapse: collapse; margin: 8px 0 16px; font-size: 13px; }
th, td { border: 1px solid #ddd; padding: 3px 8px; text-align: left; vertical-align: top; }
th { background: #f4f4f4; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
table.fields th { font-weight: normal; color: #555; background: none; }
table.fields td { word-break: break-all; }
p.note { color: #666; font-style: italic; }
pre { background: #f7f7f7; padding: 8px; font-size: 12px; white-space: pre-wrap; }
svg.chart { display: block; margin: 8px 0 20px; max-width: 100%; height: auto; }
)";

}  // namespace

std::string EscapeMarkdown(std::string_view text) {
  std::string out;
  for (char c : text) {
    switch (c) {
      case '|': out += "\\|"; break;
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '\n': out += ' '; break;
      default: out += c;
    }
  }
  return out;
}

Document::Document(RenderFormat format, std::string_view title) : format_(format), title_(title) {
  if (!html()) {
    body_ = fmt::format("# {}\n\n_Tables only; the charts are in the HTML rendering (`--format html`)._\n\n",
                        EscapeMarkdown(title));
  }
}

void Document::Heading(int level, std::string_view text) {
  body_ += html() ? fmt::format("<h{0}>{1}</h{0}>\n", level, EscapeXml(text))
                  : fmt::format("{} {}\n\n", std::string(size_t(level), '#'), EscapeMarkdown(text));
}

void Document::Paragraph(std::string_view text) {
  body_ += html() ? fmt::format("<p>{}</p>\n", EscapeXml(text)) : fmt::format("{}\n\n", EscapeMarkdown(text));
}

void Document::Note(std::string_view text) {
  body_ += html() ? fmt::format("<p class=\"note\">{}</p>\n", EscapeXml(text))
                  : fmt::format("_{}_\n\n", EscapeMarkdown(text));
}

void Document::AddTable(const Table& table) {
  auto numeric = [&](size_t c) { return c < table.numeric.size() && table.numeric[c]; };
  if (html()) {
    body_ += "<table>\n<thead><tr>";
    for (size_t c = 0; c < table.header.size(); ++c) {
      body_ += fmt::format("<th{}>{}</th>", numeric(c) ? " class=\"num\"" : "", EscapeXml(table.header[c]));
    }
    body_ += "</tr></thead>\n<tbody>\n";
    for (const auto& row : table.rows) {
      body_ += "<tr>";
      for (size_t c = 0; c < row.size(); ++c) {
        body_ += fmt::format("<td{}>{}</td>", numeric(c) ? " class=\"num\"" : "", EscapeXml(row[c]));
      }
      body_ += "</tr>\n";
    }
    body_ += "</tbody>\n</table>\n";
    return;
  }
  body_ += "|";
  for (const std::string& cell : table.header) body_ += fmt::format(" {} |", EscapeMarkdown(cell));
  body_ += "\n|";
  for (size_t c = 0; c < table.header.size(); ++c) body_ += numeric(c) ? "---:|" : "---|";
  body_ += "\n";
  for (const auto& row : table.rows) {
    body_ += "|";
    for (const std::string& cell : row) body_ += fmt::format(" {} |", EscapeMarkdown(cell));
    body_ += "\n";
  }
  body_ += "\n";
}

void Document::Chart(const std::string& svg) {
  if (html()) body_ += svg;
}

void Document::Fields(const std::vector<std::pair<std::string, std::string>>& fields) {
  if (html()) {
    body_ += "<table class=\"fields\">\n";
    for (const auto& [name, value] : fields) {
      body_ += fmt::format("<tr><th>{}</th><td>{}</td></tr>\n", EscapeXml(name), EscapeXml(value));
    }
    body_ += "</table>\n";
    return;
  }
  Table t{{"field", "value"}, {}, {}};
  for (const auto& [name, value] : fields) t.rows.push_back({name, value});
  AddTable(t);
}

void Document::Preformatted(std::string_view text) {
  if (html()) {
    body_ += fmt::format("<pre>{}</pre>\n", EscapeXml(text));
    return;
  }
  // A fence longer than any backtick run in the text cannot be closed by it.
  size_t run = 0, longest = 0;
  for (char c : text) {
    run = c == '`' ? run + 1 : 0;
    longest = std::max(longest, run);
  }
  const std::string fence(std::max<size_t>(3, longest + 1), '`');
  body_ += fence + "\n" + std::string(text) + "\n" + fence + "\n\n";
}

std::string Document::Finish() const {
  if (!html()) return body_;
  return fmt::format(
      "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
      "<title>{0}</title>\n<style>{1}</style>\n</head>\n<body>\n<main>\n<h1>{0}</h1>\n{2}"
      "</main>\n</body>\n</html>\n",
      EscapeXml(title_), kCss, body_);
}

std::string Fixed(double v, int digits) {
  if (!std::isfinite(v)) return "-";
  if (std::fabs(v) < 0.5 * std::pow(10.0, -digits)) v = 0;  // no "-0.00"
  return fmt::format("{:.{}f}", v, digits);
}

std::string Percent(double fraction, int digits) { return Fixed(100 * fraction, digits); }

std::string Significant(double v, int digits) {
  if (!std::isfinite(v)) return "-";
  return fmt::format("{:.{}g}", v, digits);
}

std::string Duration(double ns) {
  if (!std::isfinite(ns)) return "-";
  const double a = std::fabs(ns);
  if (a >= 1e9) return Fixed(ns / 1e9, 3) + " s";
  if (a >= 1e6) return Fixed(ns / 1e6, 3) + " ms";
  if (a >= 1e3) return Fixed(ns / 1e3, 3) + " us";
  return Fixed(ns, 1) + " ns";
}

const json* Field(const json& object, std::string_view key) {
  if (!object.is_object()) return nullptr;
  auto it = object.find(key);
  return it == object.end() || it->is_null() ? nullptr : &*it;
}

double Number(const json& object, std::string_view key, std::string_view where) {
  const json* v = Field(object, key);
  if (!v) return std::nan("");
  Check(v->is_number(), "{}: field \"{}\" is not a number", where, key);
  return v->get<double>();
}

std::string String(const json& object, std::string_view key, std::string_view where) {
  const json* v = Field(object, key);
  if (!v) return "";
  Check(v->is_string(), "{}: field \"{}\" is not a string", where, key);
  return v->get<std::string>();
}

const json& Object(const json& object, std::string_view key, std::string_view where) {
  static const json kEmpty = json::object();
  const json* v = Field(object, key);
  if (!v) return kEmpty;
  Check(v->is_object(), "{}: field \"{}\" is not an object", where, key);
  return *v;
}

const json& Array(const json& object, std::string_view key, std::string_view where) {
  static const json kEmpty = json::array();
  const json* v = Field(object, key);
  if (!v) return kEmpty;
  Check(v->is_array(), "{}: field \"{}\" is not an array", where, key);
  return *v;
}

// The name without Google Benchmark's run options (min_time, repeats, real_time), which
// say how it was measured, not what.
std::string DisplayName(const std::string& name) {
  std::string out;
  size_t start = 0;
  while (start <= name.size()) {
    size_t slash = name.find('/', start);
    if (slash == std::string::npos) slash = name.size();
    const std::string part = name.substr(start, slash - start);
    const bool option = part.rfind("min_time:", 0) == 0 || part.rfind("repeats:", 0) == 0 ||
                        part.rfind("iterations:", 0) == 0 || part == "real_time" ||
                        part == "manual_time" || part == "process_time";
    if (!option) out += (out.empty() ? "" : "/") + part;
    start = slash + 1;
  }
  return out;
}

std::string FileName(std::string_view path) {
  const size_t slash = path.find_last_of('/');
  return std::string(slash == std::string_view::npos ? path : path.substr(slash + 1));
}

}  // namespace gemmeter::reports
