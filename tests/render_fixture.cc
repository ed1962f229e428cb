// render_fixture REPORT.json OUT [html|md]: renders one report file with RenderReport.
// tests/render_browser.py drives it (the CLI's `report render` is wired separately), so
// the browser test depends on the renderer alone.
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>

#include <nlohmann/json.hpp>

#include "engine/core/error.h"
#include "reports/render.h"
#include "reports/report_io.h"

int main(int argc, char** argv) {
  if (argc < 3 || argc > 4) {
    std::cerr << "usage: render_fixture REPORT.json OUT [html|md]\n";
    return 2;
  }
  try {
    std::ifstream in(argv[1]);
    gemmeter::Check(bool(in), "{}: cannot open", argv[1]);
    std::stringstream text;
    text << in.rdbuf();
    // Parsed as the CLI reads reports (NaN literals of Google Benchmark become null), but
    // not validated: the renderer must cope with older and partial reports too.
    const nlohmann::json report = gemmeter::reports::ParseReportText(text.str(), argv[1]);
    const std::string format = argc == 4 ? argv[3] : "html";
    gemmeter::Check(format == "html" || format == "md", "format '{}': html or md", format);
    const std::string page = gemmeter::reports::RenderReport(
        report, format == "html" ? gemmeter::reports::RenderFormat::kHtml
                                 : gemmeter::reports::RenderFormat::kMarkdown);
    std::ofstream out(argv[2], std::ios::binary);
    out << page;
    gemmeter::Check(bool(out), "{}: cannot write", argv[2]);
  } catch (const gemmeter::Error& e) {
    std::cerr << "render_fixture: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
