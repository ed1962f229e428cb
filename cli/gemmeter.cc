// gemmeter: the command-line frontend. See `gemmeter --help` and each subcommand's --help.
//
// Every failure prints "gemmeter: error: ..." to stderr and exits with status 1; flag
// errors exit with CLI11's status (non-zero) and name the flag.
#include <CLI/CLI.hpp>
#include <fmt/core.h>
#include <fmt/ranges.h>

#include "cli/activity.h"
#include "cli/bench_command.h"
#include "cli/commands.h"
#include "cli/compare_command.h"
#include "cli/eval_command.h"
#include "cli/report_command.h"
#include "cli/suite_command.h"
#include "engine/backend/backend.h"
#include "engine/build_config.h"
#if GEMMETER_HAVE_CUDA
#include "engine/backend/cuda/cuda_backend.h"
#endif
#include "engine/core/error.h"
#include "engine/core/parallel.h"
#include "engine/model/config.h"

namespace gemmeter::cli {
namespace {

constexpr const char* kModelHelp =
    "a GGUF file or a Hugging Face checkpoint folder (config.json + safetensors); default: "
    "$GEMMETER_MODEL, else Gemma 3 270M Q4_K_M as installed by tools/setup.sh";
constexpr const char* kLiteralMarkupHelp =
    "keep <start_of_turn>, <end_of_turn>, <eos> and other markup tokens in the text as plain "
    "text (default: they become their token ids, as transformers does)";

void AddModelOptions(CLI::App* command, ModelOptions& options) {
  command->add_option("--model", options.model, kModelHelp);
  std::string unavailable;
#if GEMMETER_HAVE_CUDA
  if (!CudaUnavailableReason().empty()) {
    unavailable = fmt::format("; cuda is built in but not usable here: {}", CudaUnavailableReason());
  }
#endif
  command->add_option("--backend", options.backend,
                      fmt::format("compute backend: {} (default: {}{})",
                                  fmt::join(AvailableBackends(), ", "),
                                  AvailableBackends().front(), unavailable));
  command->add_option("--weights", options.weights,
                      "how weights are held on the backend: native (GGUF block formats such "
                      "as q4_k stay blocks, multiplied without dequantizing the matrix; "
                      "other weights f32), f32 or bf16 (every matrix converted at load); "
                      "auto: native on the CPU backends, bf16 on cuda")
      ->capture_default_str();
}

int Main(int argc, char** argv) {
  CLI::App app{
      "gemmeter: a Gemma engine with its benchmark and evaluation harness.\n"
      "Runs Gemma 1, 2 and 3 text models from GGUF files or Hugging Face checkpoints."};
  app.set_version_flag("--version", std::string("gemmeter ") + GEMMETER_VERSION);
  app.require_subcommand(1);
  int threads = 0;
  app.add_option("--threads", threads, "worker threads (default: all cores)")->check(CLI::NonNegativeNumber);

  InfoOptions info;
  auto* info_cmd = app.add_subcommand("info", "print a model's architecture, sizes, tensor types and tokenizer");
  auto* info_model = info_cmd->add_option("--model", info.model, kModelHelp);
  info_cmd->add_option("--preset", info.preset,
                       fmt::format("a built-in configuration instead: {}", fmt::join(PresetNames(), ", ")))
      ->excludes(info_model);

  RunOptions run;
  auto* run_cmd = app.add_subcommand("run", "generate text after a prompt, streaming tokens as they come");
  AddModelOptions(run_cmd, run.model);
  run_cmd->add_option("-p,--prompt", run.prompt, "the prompt text")->required();
  run_cmd->add_option("-n,--max-tokens", run.max_tokens, "most tokens to generate")->capture_default_str();
  run_cmd->add_option("--temperature", run.sampling.temperature, "0 = greedy; > 0 samples")
      ->capture_default_str()->check(CLI::NonNegativeNumber);
  run_cmd->add_option("--top-k", run.sampling.top_k, "sample among the k most likely tokens (0 = all)")
      ->capture_default_str()->check(CLI::NonNegativeNumber);
  run_cmd->add_option("--top-p", run.sampling.top_p, "nucleus sampling mass")
      ->capture_default_str()->check(CLI::Range(0.0, 1.0));
  run_cmd->add_option("--seed", run.sampling.seed, "random seed for sampling")->capture_default_str();
  run_cmd->add_flag("--chat", run.chat, "wrap the prompt in Gemma's chat turn format (instruction-tuned models)");
  run_cmd->add_flag("--ignore-eos", run.ignore_eos, "do not stop at <eos> or <end_of_turn>");
  run_cmd->add_flag("--literal-markup", run.literal_markup, kLiteralMarkupHelp);

  ScoreOptions score;
  auto* score_cmd = app.add_subcommand(
      "score", "log-likelihood of a continuation given a context (as lm-evaluation-harness)");
  AddModelOptions(score_cmd, score.model);
  score_cmd->add_option("-c,--context", score.context, "the context text")->required();
  score_cmd->add_option("--continuation", score.continuation,
                        "the continuation text, usually starting with a space")->required();
  score_cmd->add_flag("--literal-markup", score.literal_markup, kLiteralMarkupHelp);

  TokenizeOptions tokenize;
  auto* tokenize_cmd = app.add_subcommand("tokenize", "print the token ids of text (with BOS)");
  tokenize_cmd->add_option("--model", tokenize.model, kModelHelp);
  tokenize_cmd->add_option("-t,--text", tokenize.text, "the text to tokenize");
  tokenize_cmd->add_option("--input", tokenize.input,
                           "a file with one JSON string per line; prints one id list per line");
  tokenize_cmd->add_flag("--no-bos", tokenize.no_bos, "do not prepend <bos>");
  tokenize_cmd->add_flag("--literal-markup", tokenize.literal_markup, kLiteralMarkupHelp);

  ForwardOptions forward;
  auto* forward_cmd = app.add_subcommand(
      "forward", "run token ids through a model and print the next-token distribution");
  AddModelOptions(forward_cmd, forward.model);
  forward_cmd->add_option("--tokens", forward.tokens, "comma-separated token ids, e.g. 2,651,6037")->required();
  forward_cmd->add_option("--top", forward.top, "how many of the most likely tokens to print")
      ->capture_default_str()->check(CLI::PositiveNumber);

  EvalCliOptions eval;
  auto* eval_cmd = app.add_subcommand(
      "eval",
      "multiple-choice evaluation (PIQA, HellaSwag, MMLU) with lm-evaluation-harness prompts and "
      "metrics; resumable");
  eval_cmd->footer(
      "Tasks: piqa (0-shot, acc and acc_norm), hellaswag (0-shot on llama.cpp's text; acc_norm, acc, "
      "acc_per_token), mmlu (5-shot; acc per subject, category and overall). Each document's "
      "record is appended to <out>.records.jsonl as it finishes; rerunning the same command "
      "resumes where it stopped. The JSON report holds every document's log-likelihoods and the "
      "provenance (model digest, data digests, commit, CPU).");
  AddModelOptions(eval_cmd, eval.model);
  eval_cmd->add_option("--tasks", eval.tasks, "comma-separated tasks (piqa, hellaswag, mmlu) or all")
      ->capture_default_str();
  eval_cmd->add_option("--limit", eval.limit,
                       "evaluate only the first N documents of each task (MMLU: of each subject); 0 = all")
      ->capture_default_str();
  eval_cmd->add_option("--subjects", eval.subjects,
                       "only these comma-separated MMLU subjects (file names, e.g. "
                       "anatomy,virology)");
  eval_cmd->add_option("--shots", eval.shots, "few-shot examples (default: 5 for mmlu, 0 otherwise)");
  eval_cmd->add_option("--data-dir", eval.data_dir,
                       "folder with mmlu/, piqa/, hellaswag/ (default: $GEMMETER_DATASETS, else "
                       "../shared/datasets beside the source tree)");
  eval_cmd->add_option("-o,--out", eval.out,
                       "report path (default: gemmeter-eval/<model>.<backend>.<weights>.json)");
  eval_cmd->add_flag("--log-samples", eval.log_samples,
                     "save each request's context and continuation in the records");
  eval_cmd->add_flag("--markdown", eval.markdown, "print the result table as markdown");
  eval_cmd->add_option("--shard", eval.shard,
                       "run one part of the documents: I/N (shard I of N, from 0), or N with I "
                       "from $SLURM_ARRAY_TASK_ID or $JOB_COMPLETION_INDEX; parts are balanced by "
                       "token count; `gemmeter merge` joins the shard reports");
  eval_cmd->add_option("--batch-tokens", eval.batch_tokens, "tokens per forward pass")
      ->capture_default_str()->check(CLI::PositiveNumber);

  BenchCliOptions bench;
  auto* bench_cmd = app.add_subcommand(
      "bench", "llama-bench's figures: prompt processing (pp512) and generation (tg128) in tokens/s");
  bench_cmd->footer(
      "ppN: one forward of N prompt tokens from an empty cache; tgN: N tokens decoded one at a "
      "time from an empty cache (each with its logits copied to the host, as llama-bench). "
      "Each test runs --warmup times untimed, then --repetitions times; t/s is the mean ± "
      "standard deviation over repetitions. --out (or --format json) writes the benchmark "
      "report that `gemmeter compare bench` and `gemmeter report render` read.");
  AddModelOptions(bench_cmd, bench.model);
  bench_cmd->add_option("-p,--prompt-tokens", bench.prompt_tokens,
                        "prompt sizes to time, comma-separated (0 = none)")->capture_default_str();
  bench_cmd->add_option("-n,--gen-tokens", bench.gen_tokens,
                        "generation lengths to time, comma-separated (0 = none)")->capture_default_str();
  bench_cmd->add_option("-r,--repetitions", bench.repetitions, "timed runs of each test")
      ->capture_default_str()->check(CLI::PositiveNumber);
  bench_cmd->add_option("--warmup", bench.warmup, "untimed runs of each test first")
      ->capture_default_str()->check(CLI::NonNegativeNumber);
  bench_cmd->add_option("-o,--format", bench.format, "table, md, csv or json (the report)")
      ->capture_default_str();
  bench_cmd->add_option("--out", bench.out, "also write the JSON benchmark report to this file");

  CompareBenchOptions compare_bench;
  auto* compare_cmd = app.add_subcommand(
      "compare", "compare two reports: `compare bench` gates benchmark regressions, "
                 "`compare evals` compares accuracy across backends and weights");
  compare_cmd->require_subcommand(1);
  auto* compare_bench_cmd = compare_cmd->add_subcommand(
      "bench",
      "compare two benchmark reports (gemmeter_bench --report, gemmeter bench --out, "
      "tools/bench_instructions.py) benchmark by benchmark");
  compare_bench_cmd->footer(fmt::format(
      "For each benchmark in both reports: the median real time of each, the change, a "
      "two-sided Mann-Whitney U test over the repetitions and a verdict (slower, faster, same, "
      "too few repetitions: with 3 repetitions a side no change is significant at 5%; use 9 or "
      "more). Exit status {} when some benchmark is significantly slower by more than its "
      "threshold, 1 on an error, 0 otherwise.",
      kRegressionExitStatus));
  compare_bench_cmd->add_option("base", compare_bench.base, "the baseline report")->required();
  compare_bench_cmd->add_option("new", compare_bench.next, "the report to check")->required();
  compare_bench_cmd->add_option("--metric", compare_bench.metric,
                                "time (real time over repetitions, tested) or instructions "
                                "(counts from tools/bench_instructions.py, deterministic: any "
                                "change beyond the threshold counts)")
      ->capture_default_str();
  compare_bench_cmd->add_option("--alpha", compare_bench.alpha, "significance level")
      ->capture_default_str()->check(CLI::Range(1e-9, 0.5));
  compare_bench_cmd->add_option("--threshold", compare_bench.threshold_percent,
                                "slowdown (percent of the median) that counts as a regression")
      ->capture_default_str()->check(CLI::NonNegativeNumber);
  compare_bench_cmd->add_option("--threshold-for", compare_bench.per_prefix,
                                "PREFIX=PERCENT: another threshold for benchmarks whose name "
                                "starts with PREFIX (repeatable; the longest prefix wins)");
  compare_bench_cmd->add_flag("--markdown", compare_bench.markdown,
                              "print a markdown table (a CI job summary)");
  compare_bench_cmd->add_option("--json", compare_bench.json_out,
                                "also write the comparison as JSON to this file");

  CompareEvalsOptions compare_evals;
  auto* compare_evals_cmd = compare_cmd->add_subcommand(
      "evals",
      "compare two evaluation reports (gemmeter eval --out) of the same model, data and "
      "prompts: onednn vs reference, bf16 vs f32 weights, a new kernel vs the old");
  compare_evals_cmd->footer(fmt::format(
      "Per task and metric: both accuracies on the documents both reports scored, an exact "
      "McNemar test of the change, the share of identical predictions and the documents whose "
      "prediction flipped; per task the |log-likelihood| differences of every choice (max, "
      "99th percentile, mean). Reports of different models, data files, protocols or shots are "
      "refused. Exit status {} when some accuracy changed significantly (p < --alpha) or a "
      "log-likelihood moved more than --max-ll-diff, 1 on an error, 0 otherwise.",
      kRegressionExitStatus));
  compare_evals_cmd->add_option("a", compare_evals.a, "the first report")->required();
  compare_evals_cmd->add_option("b", compare_evals.b, "the second report")->required();
  compare_evals_cmd->add_option("--alpha", compare_evals.alpha, "McNemar significance level")
      ->capture_default_str()->check(CLI::Range(1e-9, 0.5));
  compare_evals_cmd->add_option("--max-ll-diff", compare_evals.max_ll_diff,
                                "largest |log-likelihood difference| accepted (default: none)")
      ->check(CLI::NonNegativeNumber);
  compare_evals_cmd->add_flag("--markdown", compare_evals.markdown, "print markdown");
  compare_evals_cmd->add_option("--data-dir", compare_evals.data_dir,
                                "datasets folder for the flipped documents' text (default: the "
                                "one report A was made from)");
  compare_evals_cmd->add_flag("--no-text", compare_evals.no_text,
                              "list flipped documents by index only (do not read the datasets)");
  compare_evals_cmd->add_option("--json", compare_evals.json_out,
                                "also write the comparison as JSON to this file");

  MergeOptions merge;
  auto* merge_cmd = app.add_subcommand(
      "merge", "join the reports of an evaluation's shards (eval --shard) into one report");
  merge_cmd->add_option("shards", merge.shards, "the shard reports, one per shard")->required();
  merge_cmd->add_option("-o,--out", merge.out, "the merged report (its records go beside it)")
      ->required();
  merge_cmd->add_flag("--markdown", merge.markdown, "print the result table as markdown");

  auto* report_cmd = app.add_subcommand(
      "report", "render a report for people (`report render`) or check it (`report validate`)");
  report_cmd->require_subcommand(1);
  ReportRenderOptions render;
  auto* render_cmd = report_cmd->add_subcommand(
      "render", "a report (benchmark, evaluation or comparison) as markdown or one "
                "self-contained HTML file with SVG charts");
  render_cmd->add_option("report", render.report, "the JSON report")->required();
  render_cmd->add_option("--format", render.format, "html or md")->capture_default_str();
  render_cmd->add_option("-o,--out", render.out,
                         "output file (default: the report's path with .html or .md; - = stdout)");
  ReportValidateOptions validate;
  auto* validate_cmd = report_cmd->add_subcommand(
      "validate", "check reports against their kind's schema (reports/schemas/)");
  validate_cmd->add_option("reports", validate.reports, "JSON reports")->required();

  auto* suite_cmd = app.add_subcommand(
      "suite", "run a suite of runs (models x backends x weights, each through evaluations and "
               "benchmarks) into one report (`suite run`), or compare two suites' results "
               "(`suite compare`)");
  suite_cmd->require_subcommand(1);
  SuiteRunOptions suite_run;
  auto* suite_run_cmd = suite_cmd->add_subcommand(
      "run", "run every step of a suite file that has no complete report yet (a suite "
             "resumes), then write DIR/suite.json and DIR/suite.html");
  suite_run_cmd->add_option("suite", suite_run.suite, "the suite file (JSON; format in README)")
      ->required()
      ->check(CLI::ExistingFile);
  suite_run_cmd->add_option("-o,--out", suite_run.out, "the results folder")->required();
  suite_run_cmd->add_flag("--slurm", suite_run.slurm,
                          "submit the steps with sbatch instead: each evaluation's shards as a job "
                          "array with a dependent merge, the benchmarks as exclusive jobs, and a "
                          "last job that writes the combined report when all have ended");
  suite_run_cmd->add_option("--sbatch-arg", suite_run.sbatch_args,
                            "an extra sbatch option for every job (repeatable), e.g. "
                            "--sbatch-arg=--partition=gpu");
  suite_run_cmd->add_flag("--dry-run", suite_run.dry_run,
                          "print the steps (or sbatch commands) without running them");
  SuiteCompareOptions suite_compare;
  auto* suite_compare_cmd = suite_cmd->add_subcommand(
      "compare", "compare two suites' results folders (two commits, say): evaluations with the "
                 "accuracy comparison, benchmarks with the regression gate; exit status 2 when "
                 "anything regressed or is missing from NEW");
  suite_compare_cmd->add_option("old", suite_compare.old_dir, "the baseline results folder")->required();
  suite_compare_cmd->add_option("new", suite_compare.new_dir, "the new results folder")->required();

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  std::string command_line;  // for reports' provenance
  for (int i = 0; i < argc; ++i) command_line += (i ? " " : "") + std::string(argv[i]);
  // The subcommand's name, for messages: "gemmeter eval: ...".
  std::string command = "gemmeter";
  for (const CLI::App* sub = &app; !sub->get_subcommands().empty();) {
    sub = sub->get_subcommands().front();
    command += " " + sub->get_name();
  }
  ExitOnOutOfMemory(command);
  // Errors that are not gemmeter's own name the step they interrupted.
  auto report_failure = [&](const std::string& what) {
    const std::string step = TakeFailedActivity();
    fmt::print(stderr, "{}: error: {}{}\n", command, what, step.empty() ? "" : " while " + step);
    return 1;
  };
  try {
    if (threads > 0) SetParallelThreads(threads);
    if (*info_cmd) RunInfo(info);
    if (*run_cmd) RunGenerate(run);
    if (*score_cmd) RunScore(score);
    if (*forward_cmd) RunForward(forward);
    if (*tokenize_cmd) RunTokenize(tokenize);
    if (*compare_bench_cmd) return RunCompareBench(compare_bench, command_line);
    if (*compare_evals_cmd) return RunCompareEvals(compare_evals, command_line);
    if (*eval_cmd) RunEval(eval, command_line);
    if (*merge_cmd) RunMerge(merge);
    if (*bench_cmd) RunBench(bench, command_line);
    if (*render_cmd) RunReportRender(render);
    if (*validate_cmd) RunReportValidate(validate);
    if (*suite_run_cmd) return RunSuite(suite_run, command_line);
    if (*suite_compare_cmd) return RunSuiteCompare(suite_compare);
  } catch (const Error& e) {
    fmt::print(stderr, "gemmeter: error: {}\n", e.what());  // names file and field itself
    return 1;
  } catch (const std::bad_alloc&) {
    return report_failure("out of memory (std::bad_alloc)");
  } catch (const std::exception& e) {
    return report_failure(e.what());
  } catch (...) {
    return report_failure("an unknown exception");
  }
  return 0;
}

}  // namespace
}  // namespace gemmeter::cli

int main(int argc, char** argv) { return gemmeter::cli::Main(argc, argv); }
