#!/usr/bin/env bash
# Every report kind the project writes is valid against its schema (reports/schemas/) and
# renders: `gemmeter bench` (table, markdown, CSV, JSON), gemmeter_bench --report,
# `compare bench --json`, and with the default model and datasets `gemmeter eval` (PIQA,
# MMLU) and `compare evals --json`.
#   cli_reports.sh GEMMETER GEMMETER_BENCH TINY_CHECKPOINT DATASETS
set -u
gemmeter="$1" bench="$2" tiny="$3" data="${GEMMETER_DATASETS:-$4}"
source "$(dirname "$0")/scratch.sh"

# valid FILE KIND: `report validate` accepts FILE as a KIND report, and it renders to HTML
# (one chart at least) and markdown.
valid() {
  local out
  out="$("$gemmeter" report validate "$1" 2>&1)" || { fail "$1 invalid: $out"; return; }
  grep -qF "$2 report, schema_version 1, valid" <<<"$out" || fail "$1: $out"
  "$gemmeter" report render "$1" -o "$1.html" 2>/dev/null || fail "render html $1"
  "$gemmeter" report render "$1" --format md -o "$1.md" 2>/dev/null || fail "render md $1"
  grep -q "<svg" "$1.html" || fail "$1.html has no chart"
  echo "ok: $1 ($2)"
}

# gemmeter bench on the tiny checkpoint: a table with pp16 and tg4 rows, markdown, CSV
# with one column per field, and the JSON report.
"$gemmeter" bench --model "$tiny" -p 16 -n 4 -r 2 --out "$tmp/bench.json" >"$tmp/bench.txt" 2>/dev/null ||
  fail "gemmeter bench"
grep -q "pp16" "$tmp/bench.txt" && grep -q "tg4" "$tmp/bench.txt" || fail "bench table: $(cat "$tmp/bench.txt")"
valid "$tmp/bench.json" benchmark
"$gemmeter" bench --model "$tiny" -p 8 -n 0 -r 3 -o md 2>/dev/null | grep -qE '^\|.*\| +pp8 \| ' || fail "bench markdown"
csv="$("$gemmeter" bench --model "$tiny" -p 8 -n 2 -r 2 -o csv 2>/dev/null)"
[[ "$(head -1 <<<"$csv" | tr ',' '\n' | wc -l)" -eq 13 && "$(wc -l <<<"$csv")" -eq 3 ]] || fail "bench csv: $csv"
"$gemmeter" bench --model "$tiny" -p 8 -n 0 -r 2 -o json >"$tmp/stdout.json" 2>/dev/null || fail "bench -o json"
valid "$tmp/stdout.json" benchmark
"$gemmeter" bench --model "$tiny" -p 0 -n 0 >/dev/null 2>&1 && fail "bench with nothing to run succeeded"

# gemmeter_bench's report, and a comparison of it with itself.
"$bench" --no_calibration --benchmark_filter='^rms_norm/reference/f32/gemma-3-270m/[a-z]+/T=1/' \
  --benchmark_min_time=0.01 --benchmark_repetitions=3 --report "$tmp/ops.json" >/dev/null 2>&1 ||
  fail "gemmeter_bench --report"
valid "$tmp/ops.json" benchmark
"$gemmeter" compare bench "$tmp/ops.json" "$tmp/ops.json" --json "$tmp/ops-cmp.json" >/dev/null 2>&1 ||
  fail "compare bench of a report with itself"
valid "$tmp/ops-cmp.json" benchmark-comparison

# Evaluation reports (PIQA and MMLU) and their comparison, where the model and data exist.
if [[ -d "$data/piqa" ]] && "$gemmeter" info >/dev/null 2>&1; then
  "$gemmeter" eval --tasks piqa,mmlu --subjects anatomy --limit 2 --data-dir "$data" \
    --out "$tmp/ev-f32.json" --weights f32 >/dev/null 2>&1 || fail "eval f32"
  "$gemmeter" eval --tasks piqa,mmlu --subjects anatomy --limit 2 --data-dir "$data" \
    --out "$tmp/ev-native.json" >/dev/null 2>&1 || fail "eval native"
  valid "$tmp/ev-f32.json" evaluation
  "$gemmeter" compare evals "$tmp/ev-f32.json" "$tmp/ev-native.json" --json "$tmp/ev-cmp.json" \
    >/dev/null 2>&1
  [[ $? -le 2 ]] || fail "compare evals"
  valid "$tmp/ev-cmp.json" evaluation-comparison
else
  echo "note: no default model or datasets: evaluation reports not checked"
fi

echo "$failures failure(s)"
[[ $failures -eq 0 ]]
