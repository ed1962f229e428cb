// The evaluation report: one record (the task runs plus provenance), several printers.
//
// JSON schema (schema_version 1, kind "evaluation"):
//   provenance  {model, model_sha256, backend, weights, threads, git_commit, build_type,
//                cpu_model, cpu_cores, library versions, date, wall_seconds, command}
//   tasks.<name> {summary, protocol, shots, limit, docs, resumed_docs,
//                 metrics.<metric> {value, stderr}, subjects[], categories[] (MMLU),
//                 subjects_selected[] (when --subjects chose some),
//                 shard {index, count, selected_docs} (one shard of a sharded run),
//                 data_files[] {path, sha256}, work {block_tokens, scored_rows,
//                 forward_passes, flops, seconds, docs_per_second, gflops_per_second},
//                 records (the JSON Lines file of per-document records)}
//   documents.<name>[] {index, gold, loglikelihoods[], token_counts[], choice_characters[], greedy[],
//                       predictions.<metric>} (subject for MMLU)
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "evals/runner.h"

namespace gemmeter::reports {

inline constexpr int kEvalSchemaVersion = 1;

nlohmann::json EvalReportJson(const std::vector<evals::TaskRun>& runs,
                              const nlohmann::json& provenance, const std::string& records_path);

// A fixed-width table for the console, or a markdown table: per task each metric with its
// standard error (in percent), documents, and for MMLU the four categories.
std::string EvalTable(const std::vector<evals::TaskRun>& runs, bool markdown);

}  // namespace gemmeter::reports
