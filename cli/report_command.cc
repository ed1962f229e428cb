#include "cli/report_command.h"

#include <fmt/core.h>

#include <filesystem>
#include <fstream>

#include "cli/activity.h"
#include "engine/core/error.h"
#include "reports/render.h"
#include "reports/report_io.h"

namespace gemmeter::cli {

void RunReportRender(const ReportRenderOptions& o) {
  Check(o.format == "html" || o.format == "md", "--format: \"{}\" is not one of html, md", o.format);
  const Activity step(fmt::format("rendering {}", o.report));
  const nlohmann::json report = reports::ReadReport(o.report);
  const std::string text = reports::RenderReport(
      report, o.format == "md" ? reports::RenderFormat::kMarkdown : reports::RenderFormat::kHtml);
  if (o.out == "-") {
    fmt::print("{}", text);
    return;
  }
  const std::string out =
      o.out.empty() ? std::filesystem::path(o.report).replace_extension(o.format).string() : o.out;
  reports::WriteFileAtomically(text, out);
  fmt::print(stderr, "wrote {}\n", out);
}

void RunReportValidate(const ReportValidateOptions& o) {
  for (const std::string& path : o.reports) {
    const nlohmann::json report = reports::ReadReport(path);
    fmt::print("{}: {} report, schema_version {}, valid\n", path, report["kind"].get<std::string>(),
               report["schema_version"].get<int>());
  }
}

}  // namespace gemmeter::cli
