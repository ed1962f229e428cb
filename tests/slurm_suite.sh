#!/usr/bin/env bash
# A suite on a real Slurm cluster (tests/slurm_cluster.sh: munge, slurmctld and slurmd on
# localhost): `gemmeter suite run --slurm` submits two runs of the default model (onednn
# with native weights as a 2-shard job array and its merge, onednn with f32 weights as one
# job) and a last job, depending on all of them, that writes the combined report. Checks:
# the combined report lists both evaluations and compares them (identical predictions);
# the merged native report equals the same evaluation run in one process
# (tests/compare_merged.py). Needs root, slurm-wlm and munge, the default model and the
# datasets; exits 77 (skipped, saying why) otherwise.
set -u
source "$(dirname "$0")/needs_model_and_data.sh" "$@"
here="$(cd "$(dirname "$0")" && pwd)"
source "$here/slurm_cluster.sh"
source "$here/scratch.sh"  # after slurm_cluster.sh: keeps its $tmp

docs=60
cat >"$tmp/suite.json" <<JSON
{"name": "slurm-test", "data_dir": "$data",
 "runs": [
  {"name": "native", "backend": "onednn", "weights": "native", "threads": 1,
   "tasks": [{"task": "piqa", "limit": $docs}], "shards": 2},
  {"name": "f32", "backend": "onednn", "weights": "f32", "threads": 1,
   "tasks": [{"task": "piqa", "limit": $docs}]}
 ]}
JSON
start=$SECONDS
(cd "$tmp" && "$gemmeter" suite run suite.json --out out --slurm) 2>"$tmp/submit.log" ||
  { cat "$tmp/submit.log"; exit 1; }
final=$(sed -n 's/.*; job \([0-9]*\) writes.*/\1/p' "$tmp/submit.log")
[[ -n "$final" ]] || { echo "FAIL: no final job in: $(cat "$tmp/submit.log")"; exit 1; }
echo "ok: submitted ($(grep -c . "$tmp/submit.log") lines); the combined report is job $final"
wait_job "$final" 900 || exit 1
echo "ok: suite done on Slurm in $((SECONDS - start)) s"
[[ -f "$tmp/out/suite.json" ]] || { echo "FAIL: no suite.json"; cat "$tmp/out/suite.log"; exit 1; }

python3 - "$tmp/out/suite.json" <<'PY' || fail "suite.json content"
import json, sys
r = json.load(open(sys.argv[1]))
for run in r["runs"]:
    e = run["evaluations"][0]
    assert not e["missing"], f"{run['name']} missing"
    assert e["docs"] == 60, e["docs"]
c = r["comparisons"]
assert len(c) == 1 and all(m["identical"] == 1.0 for m in c[0]["metrics"]), c
PY
"$gemmeter" --threads 1 eval --tasks piqa --limit "$docs" --data-dir "$data" --weights native \
  --out "$tmp/single.json" >/dev/null 2>"$tmp/single.log" || { cat "$tmp/single.log"; exit 1; }
python3 "$here/compare_merged.py" "$tmp/single.json" "$tmp/out/native/piqa.json" \
  "$tmp"/out/native/piqa.shard-{0,1}-of-2.json || fail "the merged report differs from the single run"

[[ $failures -eq 0 ]] && echo "ok: a suite on Slurm" || exit 1
