#!/usr/bin/env bash
# Suites end to end on the default model (gemmeter suite run / compare): two onednn runs
# (native and f32 weights) over 12 PIQA documents, one with a quick throughput benchmark,
# and a run that fails (an unknown backend). Checks: the combined report validates and
# compares the two runs (identical predictions), the HTML has its charts, the failure is
# reported (status 1) without stopping the other runs and is listed as missing; a rerun
# skips what is done; `suite compare` passes on equal results and fails (status 2) when
# a result is missing from the new ones; a bad suite file names the field; --slurm
# --dry-run submits shards as an array with a dependent merge. Needs the default model
# and the datasets; exits 77 (skipped) without them.
set -u
source "$(dirname "$0")/needs_model_and_data.sh" "$@"
source "$(dirname "$0")/scratch.sh"

cat >"$tmp/suite.json" <<JSON
{"name": "cli-test", "data_dir": "$data",
 "runs": [
  {"name": "native", "backend": "onednn", "weights": "native",
   "tasks": [{"task": "piqa", "limit": 12}], "bench": "quick", "shards": 2},
  {"name": "f32", "backend": "onednn", "weights": "f32", "tasks": [{"task": "piqa", "limit": 12}]},
  {"name": "broken", "backend": "tpu", "tasks": [{"task": "piqa", "limit": 12}]}
 ]}
JSON
"$gemmeter" suite run "$tmp/suite.json" --out "$tmp/out" >"$tmp/run.md" 2>"$tmp/run.log"
status=$?
[[ $status -eq 1 ]] || fail "a suite with a failing run should exit 1, got $status"
grep -q "broken: piqa failed" "$tmp/run.log" || fail "the failed step is not named: $(tail -3 "$tmp/run.log")"
"$gemmeter" report validate "$tmp/out/suite.json" >/dev/null || fail "suite.json does not validate"
python3 - "$tmp/out/suite.json" <<'PY' || fail "suite.json content"
import json, sys
r = json.load(open(sys.argv[1]))
runs = {run["name"]: run for run in r["runs"]}
assert not runs["native"]["evaluations"][0]["missing"], "native evaluated"
assert runs["native"]["throughput"]["tokens_per_second"]["pp128"] > 0, "pp128 measured"
assert runs["broken"]["evaluations"][0]["missing"], "broken listed as missing"
c = r["comparisons"]
assert len(c) == 1 and (c[0]["a"], c[0]["b"]) == ("native", "f32"), c
assert all(m["identical"] == 1.0 for m in c[0]["metrics"]), c[0]["metrics"]
assert c[0]["ll_max"] < 1e-3, c[0]["ll_max"]
PY
grep -q "<svg" "$tmp/out/suite.html" && grep -q "piqa acc" "$tmp/out/suite.html" ||
  fail "suite.html lacks its chart or table"
grep -q "| native | onednn | native |" "$tmp/run.md" || fail "no markdown table on stdout"

"$gemmeter" suite run "$tmp/suite.json" --out "$tmp/out" >/dev/null 2>"$tmp/rerun.log"
[[ $(grep -c "done already" "$tmp/rerun.log") -eq 3 ]] ||
  fail "a rerun should skip the 3 finished steps: $(grep suite: "$tmp/rerun.log")"

cp -r "$tmp/out" "$tmp/next"
"$gemmeter" suite compare "$tmp/out" "$tmp/next" >"$tmp/compare.txt" 2>&1 ||
  fail "equal results should compare clean: $(tail -5 "$tmp/compare.txt")"
rm "$tmp/next/f32/piqa.json"
"$gemmeter" suite compare "$tmp/out" "$tmp/next" >"$tmp/compare2.txt" 2>&1
status=$?
[[ $status -eq 2 ]] || fail "a result missing from the new suite should exit 2, got $status"
grep -q "f32/piqa .*missing" "$tmp/compare2.txt" || fail "the missing result is not named"

echo '{"runs": [{"name": "x", "backend": "onednn", "tasks": [{"task": "piqa"}], "weigths": "f32"}]}' >"$tmp/bad.json"
out="$("$gemmeter" suite run "$tmp/bad.json" --out "$tmp/bad" 2>&1)"
[[ $? -eq 1 && "$out" == *"bad.json: runs[0]: unknown field \"weigths\""* ]] ||
  fail "a misspelt field should be named: $out"

out="$("$gemmeter" suite run "$tmp/suite.json" --out "$tmp/slurm" --slurm --dry-run 2>&1)"
[[ "$out" == *"--array=0-1"* && "$out" == *'"${SLURM_ARRAY_TASK_ID}"'* &&
   "$out" == *"--dependency=afterok:DRY-RUN-1"* && "$out" == *"--dependency=afterany:"* ]] ||
  fail "--slurm --dry-run should submit an array, its merge and the final job: $out"

[[ $failures -eq 0 ]] && echo "ok: suites end to end" || exit 1
