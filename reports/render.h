// Readable reports: any gemmeter JSON report rendered as markdown (tables) or as one
// self-contained HTML page (tables plus inline SVG charts, inline CSS, no scripts and no
// external resources, so the file can be mailed, archived or opened offline).
//
// Kinds and what they show:
//   benchmark              roofline chart of every op, a table of times and throughput,
//                          tokens per second of whole-model benchmarks
//   evaluation             per task its metrics; MMLU accuracy per subject and category
//   evaluation-comparison  accuracy A vs B per metric, agreement, McNemar p, log-likelihood
//                          differences, the flipped documents
//   benchmark-comparison   change of every benchmark's median, coloured by verdict,
//                          regressions listed first
//   suite                  accuracy and speed of every run in one table, a chart per task
//                          metric, the comparisons of runs on the same model and data
// Every kind starts with its provenance (commit, date, CPU, backend, weights, model).
#pragma once

#include <string>

#include <nlohmann/json.hpp>

namespace gemmeter::reports {

enum class RenderFormat { kMarkdown, kHtml };

// Renders a report of kind "benchmark", "evaluation", "benchmark-comparison" or
// "evaluation-comparison". Throws Error naming the kind for anything else, and naming the
// field where a present field has the wrong type. Optional fields may be missing.
// The output is deterministic: the same report gives the same bytes.
std::string RenderReport(const nlohmann::json& report, RenderFormat format);

}  // namespace gemmeter::reports
