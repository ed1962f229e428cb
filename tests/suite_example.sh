#!/usr/bin/env bash
# The README's example suite end to end with one command: the default model on the
# reference and onednn backends with f32 and native weights, 50 PIQA documents each and
# the quick throughput benchmark, plus the quick layer benchmarks. Checks that every step
# ran, that the combined report validates and compares every two runs (six pairs; the
# backends agree on every prediction), and that its HTML page renders with its charts.
# Needs the default model and the datasets; exits 77 (skipped) without them.
set -u
source "$(dirname "$0")/needs_model_and_data.sh" "$@"
suite="$3"
source "$(dirname "$0")/scratch.sh"
start=$SECONDS
GEMMETER_DATASETS="$data" "$gemmeter" suite run "$suite" --out "$tmp/out" >"$tmp/run.md" 2>"$tmp/run.log" ||
  { tail -30 "$tmp/run.log"; echo "FAIL: the suite did not complete"; exit 1; }
echo "ok: suite ran in $((SECONDS - start)) s"
"$gemmeter" report validate "$tmp/out/suite.json" || exit 1
python3 - "$tmp/out/suite.json" <<'PY' || { echo "FAIL: suite.json content"; exit 1; }
import json, sys
r = json.load(open(sys.argv[1]))
assert len(r["runs"]) == 4
for run in r["runs"]:
    assert not run["evaluations"][0]["missing"], run["name"]
    assert run["throughput"]["tokens_per_second"]["tg32"] > 0, run["name"]
assert r["layer_benchmarks"]["missing"] is False
assert len(r["comparisons"]) == 6, len(r["comparisons"])
for c in r["comparisons"]:
    for m in c["metrics"]:
        assert m["identical"] == 1.0, (c["a"], c["b"], m)
print("ok:", ", ".join(f'{run["name"]} tg32 {run["throughput"]["tokens_per_second"]["tg32"]:.1f} t/s'
                       for run in r["runs"]))
PY
grep -q "<svg" "$tmp/out/suite.html" || { echo "FAIL: suite.html has no chart"; exit 1; }
cat "$tmp/run.md"
echo "ok: the example suite end to end"
