#!/usr/bin/env bash
# Sharded evaluation: three shards of PIQA and MMLU (anatomy, 5-shot) merged with
# `gemmeter merge` equal the single run (same documents in the same order, same
# predictions and metrics, log-likelihoods within 1e-5 per token: the determinism budget
# across batch compositions); the shard index from Slurm's or Kubernetes' environment; a
# rerun shard resumes its own records; merge refuses missing, duplicated, unsharded and
# foreign shards, naming them. Needs the default model and the datasets; exits 77
# (skipped) without them.
set -u
source "$(dirname "$0")/needs_model_and_data.sh" "$@"
source "$(dirname "$0")/scratch.sh"

args=(eval --tasks piqa,mmlu --subjects anatomy --limit 12 --data-dir "$data")
"$gemmeter" "${args[@]}" --out "$tmp/single.json" >/dev/null 2>"$tmp/single.log" ||
  { cat "$tmp/single.log"; exit 1; }
"$gemmeter" "${args[@]}" --shard 0/3 --out "$tmp/s0.json" >/dev/null 2>"$tmp/s0.log" ||
  { cat "$tmp/s0.log"; exit 1; }
# Shard 1 from a Slurm array task (one resubmitted alone: its SLURM_ARRAY_TASK_MIN is its
# own id); shard 2 from a Kubernetes Indexed Job. Both write to the default path, which
# names the shard.
(cd "$tmp" && SLURM_ARRAY_TASK_ID=1 SLURM_ARRAY_TASK_MIN=1 "$gemmeter" "${args[@]}" --shard 3 \
   >/dev/null 2>"$tmp/s1.log") || { cat "$tmp/s1.log"; exit 1; }
(cd "$tmp" && JOB_COMPLETION_INDEX=2 "$gemmeter" "${args[@]}" --shard 3 \
   >/dev/null 2>"$tmp/s2.log") || { cat "$tmp/s2.log"; exit 1; }
s1="$(ls "$tmp"/gemmeter-eval/*.shard-1-of-3.json)"
s2="$(ls "$tmp"/gemmeter-eval/*.shard-2-of-3.json)"
"$gemmeter" merge "$s2" "$tmp/s0.json" "$s1" -o "$tmp/merged.json" >/dev/null 2>"$tmp/merge.log" ||
  { cat "$tmp/merge.log"; exit 1; }
"$gemmeter" report validate "$tmp/merged.json" "$tmp/s0.json" >/dev/null || fail "reports do not validate"

python3 "$(dirname "$0")/compare_merged.py" "$tmp/single.json" "$tmp/merged.json" "$tmp/s0.json" "$s1" "$s2" ||
  failures=$((failures + 1))

# A rerun of a finished shard takes every document from its records.
"$gemmeter" "${args[@]}" --shard 0/3 --out "$tmp/s0.json" >/dev/null 2>"$tmp/s0b.log" ||
  { cat "$tmp/s0b.log"; exit 1; }
python3 -c "import json,sys; r=json.load(open(sys.argv[1])); t=r['tasks']['piqa']; sys.exit(t['resumed_docs']!=t['docs'])" \
  "$tmp/s0.json" || fail "a rerun shard rescored documents"

# Refusals.
expect_merge_error() {
  local pattern="$1"
  shift
  local err status
  err="$("$gemmeter" merge "$@" -o "$tmp/bad.json" 2>&1 >/dev/null)"
  status=$?
  if [[ $status -ne 1 ]] || ! grep -qF -- "$pattern" <<<"$err"; then
    fail "merge $* wanted status 1 and \"$pattern\", got $status: $err"
  else
    echo "ok: merge refused: $err"
  fi
}
python3 - "$s1" "$tmp/other_model.json" "$tmp/other_commit.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
r["provenance"]["model_sha256"] = "0" * 64
json.dump(r, open(sys.argv[2], "w"))
r = json.load(open(sys.argv[1]))
r["provenance"]["git_commit"] = "f" * 40
json.dump(r, open(sys.argv[3], "w"))
PY
expect_merge_error "shard 2 of 3 is missing" "$tmp/s0.json" "$s1"
expect_merge_error "are both shard 0 of 3" "$tmp/s0.json" "$tmp/s0.json" "$s1" "$s2"
expect_merge_error "it was not run with --shard" "$tmp/single.json" "$tmp/s0.json"
expect_merge_error "provenance.model_sha256 differs" "$tmp/s0.json" "$tmp/other_model.json" "$s2"
expect_merge_error "provenance.git_commit differs" "$tmp/s0.json" "$tmp/other_commit.json" "$s2"
err="$("$gemmeter" "${args[@]}" --shard 3 --out "$tmp/x.json" 2>&1 >/dev/null)"
[[ $? -eq 1 ]] && grep -q "SLURM_ARRAY_TASK_ID or JOB_COMPLETION_INDEX" <<<"$err" ||
  fail "--shard N without an index in the environment: $err"
err="$("$gemmeter" "${args[@]}" --shard 3/3 --out "$tmp/x.json" 2>&1 >/dev/null)"
[[ $? -eq 1 ]] && grep -q "out of range" <<<"$err" || fail "--shard 3/3: $err"

echo "$failures failed"
[[ $failures -eq 0 ]]
