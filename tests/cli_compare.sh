#!/usr/bin/env bash
# `gemmeter compare bench` end to end on synthetic benchmark reports: an unchanged run
# passes (status 0), a 20% slowdown over 9 repetitions fails with status 2 naming the
# benchmark, a per-prefix threshold forgives it, and unreadable input is an error (1):
# broken JSON, a raw Google Benchmark file, a newer schema_version, another kind, a
# missing field. The comparison it writes is itself a valid report that renders.
set -u
gemmeter="$1"
source "$(dirname "$0")/scratch.sh"

PROVENANCE='"provenance": {"gemmeter_version": "0.1.0", "git_commit": "abc", "build_type": "release",
 "compiler": "gcc 12", "compiler_flags": "-O3", "libraries": "fmt 9", "cpu_model": "test CPU",
 "cpu_cores": 2, "kernel_isa": "avx2", "date": "2026-11-29T00:00:00Z", "command": "test",
 "threads": 2, "backends": ["onednn"], "backend_versions": {}}'
DEVICES='"devices": {"cpu": {"name": "test CPU", "cores": 2, "peaks": {"f32_gflops": null,
 "f32_impl": "", "bf16_gflops": null, "bf16_impl": "", "read_bandwidth_gbs": null}}}'

# report FILE MS...: one benchmark "matmul/onednn/q8_0/x/T=1" with these repetitions (ms).
report() {
  local file="$1" first=1
  shift
  {
    echo "{\"schema_version\": ${VERSION:-1}, \"kind\": \"benchmark\", $PROVENANCE, \"profile\": \"test\", $DEVICES, \"benchmarks\": ["
    local i=0
    for ms in "$@"; do
      [[ $first -eq 1 ]] || echo ','
      first=0
      echo "{\"name\": \"matmul/onednn/q8_0/x/T=1\", \"run_name\": \"matmul/onednn/q8_0/x/T=1\", \"run_type\": \"iteration\", \"repetitions\": $#, \"repetition_index\": $i, \"iterations\": 100, \"real_time\": $ms, \"time_unit\": \"ms\"}"
      i=$((i + 1))
    done
    echo ']}'
  } >"$file"
}
report "$tmp/base.json" 10.0 10.1 9.9 10.05 9.95 10.02 9.98 10.03 9.97
report "$tmp/same.json" 10.01 9.99 10.04 9.96 10.0 10.1 9.9 10.02 9.98
report "$tmp/slow.json" 12.0 12.1 11.9 12.05 11.95 12.02 11.98 12.03 11.97
printf '{"benchmarks": "no"' >"$tmp/broken.json"
VERSION=2 report "$tmp/newer.json" 10.0
echo '{"context": {"date": "x"}, "benchmarks": []}' >"$tmp/raw.json"
sed 's/"real_time": 10.0,//' "$tmp/base.json" >"$tmp/no_time.json"
sed 's/"kind": "benchmark"/"kind": "evaluation"/' "$tmp/base.json" >"$tmp/other_kind.json"

# expect STATUS PATTERN -- ARGS...: runs gemmeter ARGS, checks status and output.
expect() {
  local want_status="$1" pattern="$2"
  shift 3
  local out status
  out="$("$gemmeter" "$@" 2>&1)"
  status=$?
  if [[ $status -ne $want_status ]] || ! grep -qF -- "$pattern" <<<"$out"; then
    echo "FAIL: gemmeter $*"
    echo "  wanted status $want_status and output containing: $pattern"
    echo "  got status $status: $out"
    failures=$((failures + 1))
  else
    echo "ok: gemmeter $* -> $status"
  fi
}

expect 0 "0 slower" -- compare bench "$tmp/base.json" "$tmp/same.json"
expect 2 "slower" -- compare bench "$tmp/base.json" "$tmp/slow.json"
expect 2 '**slower**' -- compare bench "$tmp/base.json" "$tmp/slow.json" --markdown
expect 0 "0 slower" -- compare bench "$tmp/base.json" "$tmp/slow.json" --threshold-for matmul/onednn=25
expect 2 "slower" -- compare bench "$tmp/base.json" "$tmp/slow.json" --json "$tmp/out.json"
grep -q '"regressed": true' "$tmp/out.json" || { echo "FAIL: --json did not record the regression"; failures=$((failures + 1)); }
expect 1 "broken.json: not valid JSON" -- compare bench "$tmp/base.json" "$tmp/broken.json"
expect 1 "absent.json: cannot open" -- compare bench "$tmp/absent.json" "$tmp/base.json"
expect 1 "not PREFIX=PERCENT" -- compare bench "$tmp/base.json" "$tmp/same.json" --threshold-for matmul
expect 1 "newer.json: benchmark report schema_version 2 is newer than this gemmeter reads (1)" -- compare bench "$tmp/base.json" "$tmp/newer.json"
expect 1 "raw.json: a Google Benchmark JSON file, not a gemmeter benchmark report" -- compare bench "$tmp/raw.json" "$tmp/base.json"
expect 1 "benchmarks[0].real_time" -- compare bench "$tmp/no_time.json" "$tmp/base.json"
expect 1 "other_kind.json: a report of kind \"evaluation\", expected benchmark" -- compare bench "$tmp/other_kind.json" "$tmp/base.json"
expect 0 "benchmark-comparison report, schema_version 1, valid" -- report validate "$tmp/out.json"
expect 0 "wrote" -- report render "$tmp/out.json" -o "$tmp/out.html"
grep -q "<svg" "$tmp/out.html" || { echo "FAIL: the rendered comparison has no chart"; failures=$((failures + 1)); }

echo "$failures failure(s)"
[[ $failures -eq 0 ]]
