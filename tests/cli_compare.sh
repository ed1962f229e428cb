#!/usr/bin/env bash
# `gemmeter compare bench` end to end on synthetic Google Benchmark reports: an unchanged
# run passes (status 0), a 20% slowdown over 9 repetitions fails with status 2 naming the
# benchmark, a per-prefix threshold forgives it, and unreadable input is an error (1).
set -u
gemmeter="$1"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
failures=0

# report FILE MS...: one benchmark "matmul/onednn/q8_0/x/T=1" with these repetitions (ms).
report() {
  local file="$1" first=1
  shift
  {
    echo '{"context": {}, "benchmarks": ['
    local i=0
    for ms in "$@"; do
      [[ $first -eq 1 ]] || echo ','
      first=0
      echo "{\"name\": \"matmul/onednn/q8_0/x/T=1\", \"run_name\": \"matmul/onednn/q8_0/x/T=1\", \"run_type\": \"iteration\", \"repetition_index\": $i, \"real_time\": $ms, \"time_unit\": \"ms\"}"
      i=$((i + 1))
    done
    echo ']}'
  } >"$file"
}
report "$tmp/base.json" 10.0 10.1 9.9 10.05 9.95 10.02 9.98 10.03 9.97
report "$tmp/same.json" 10.01 9.99 10.04 9.96 10.0 10.1 9.9 10.02 9.98
report "$tmp/slow.json" 12.0 12.1 11.9 12.05 11.95 12.02 11.98 12.03 11.97
printf '{"benchmarks": "no"' >"$tmp/broken.json"

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

echo "$failures failure(s)"
[[ $failures -eq 0 ]]
