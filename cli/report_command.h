// `gemmeter report`: render a report for people (markdown or one self-contained HTML file
// with SVG charts) and validate reports against their schemas.
#pragma once

#include <string>
#include <vector>

namespace gemmeter::cli {

struct ReportRenderOptions {
  std::string report;
  std::string format = "html";  // html, md
  std::string out;              // default: REPORT with .html / .md instead of .json
};

struct ReportValidateOptions {
  std::vector<std::string> reports;
};

void RunReportRender(const ReportRenderOptions& options);
// Prints "<path>: <kind> report, schema_version N, valid" per report; Error on the first
// invalid one.
void RunReportValidate(const ReportValidateOptions& options);

}  // namespace gemmeter::cli
