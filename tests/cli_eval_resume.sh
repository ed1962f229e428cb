#!/usr/bin/env bash
# `gemmeter eval` resumes: a run killed with SIGKILL mid-way, and a records file whose
# last line was cut short, both finish on rerun with the report of an uninterrupted run
# (same predictions, log-likelihoods within 1e-4) without rescoring finished documents.
# Needs the default model and the datasets; exits 77 (skipped) without them.
set -u
source "$(dirname "$0")/needs_model_and_data.sh" "$@"
source "$(dirname "$0")/scratch.sh"

args=(eval --tasks piqa --limit 8 --batch-tokens 24 --data-dir "$data")
run() { "$gemmeter" "${args[@]}" "$@"; }

run --out "$tmp/a/r.json" >/dev/null 2>"$tmp/a.log" || { cat "$tmp/a.log"; exit 1; }

# 1. SIGKILL once two documents are recorded (header + 2 lines), then rerun.
"$gemmeter" "${args[@]}" --out "$tmp/b/r.json" >/dev/null 2>"$tmp/b1.log" &
pid=$!
for _ in $(seq 600); do
  [[ -f "$tmp/b/r.records.jsonl" && $(wc -l <"$tmp/b/r.records.jsonl") -ge 3 ]] && break
  sleep 0.05
done
kill -9 "$pid" 2>/dev/null
wait "$pid" 2>/dev/null
if [[ -f "$tmp/b/r.json" ]]; then echo "FAIL: the killed run finished before it was killed"; exit 1; fi
run --out "$tmp/b/r.json" >/dev/null 2>"$tmp/b2.log" || { cat "$tmp/b2.log"; exit 1; }

# 2. A records file whose last record is cut in half, as a kill during a write leaves it.
mkdir -p "$tmp/c"
head -n 6 "$tmp/a/r.records.jsonl" >"$tmp/c/r.records.jsonl"
tail -n +7 "$tmp/a/r.records.jsonl" | head -n 1 | head -c 40 >>"$tmp/c/r.records.jsonl"
run --out "$tmp/c/r.json" >/dev/null 2>"$tmp/c.log" || { cat "$tmp/c.log"; exit 1; }

# 3. Records of another run (different weights) are refused, not mixed in.
if run --out "$tmp/c/r.json" --weights bf16 >/dev/null 2>"$tmp/d.log"; then
  echo "FAIL: records of an f32 run were reused by a bf16 run"; exit 1
fi
grep -q "records of another run" "$tmp/d.log" || { cat "$tmp/d.log"; exit 1; }

# 4. An unknown subject is named.
if "$gemmeter" eval --tasks mmlu --subjects anatomy,astrology --limit 1 --data-dir "$data" \
    --out "$tmp/e/r.json" >/dev/null 2>"$tmp/e.log"; then
  echo "FAIL: an unknown subject was accepted"; exit 1
fi
grep -q "no subject 'astrology'" "$tmp/e.log" || { cat "$tmp/e.log"; exit 1; }

# 5. --log-samples puts each request's strings in the records.
"$gemmeter" eval --tasks piqa --limit 1 --log-samples --data-dir "$data" --out "$tmp/f/r.json" \
    >/dev/null 2>"$tmp/f.log" || { cat "$tmp/f.log"; exit 1; }
python3 - "$tmp/f/r.records.jsonl" <<'PY' || { echo "FAIL: --log-samples"; exit 1; }
import json, sys
record = [json.loads(l) for l in open(sys.argv[1])][1]
want = "Question: How do I ready a guinea pig cage for it's new occupants?\nAnswer:"
assert [r["context"] for r in record["requests"]] == [want, want], record["requests"]
assert record["requests"][1]["continuation"].startswith(" Provide the guinea pig"), record
PY

python3 - "$tmp" <<'PY'
import json, sys
tmp = sys.argv[1]
def load(name):
    return json.load(open(f"{tmp}/{name}/r.json"))
a = load("a")
ok = True
for name, min_resumed in (("b", 1), ("c", 5)):
    r = load(name)
    resumed = r["tasks"]["piqa"]["resumed_docs"]
    docs_a, docs_r = a["documents"]["piqa"], r["documents"]["piqa"]
    worst = max(abs(x - y) for da, dr in zip(docs_a, docs_r)
                for x, y in zip(da["loglikelihoods"], dr["loglikelihoods"]))
    same = all(da["index"] == dr["index"] and da["predictions"] == dr["predictions"]
               for da, dr in zip(docs_a, docs_r)) and len(docs_a) == len(docs_r) == 8
    lines = open(f"{tmp}/{name}/r.records.jsonl").read().splitlines()
    print(f"{name}: {resumed} of 8 documents resumed, max |ll diff| {worst:.2e}, "
          f"same predictions: {same}, {len(lines) - 1} records")
    if not (same and worst <= 1e-4 and resumed >= min_resumed and len(lines) == 9
            and r["tasks"]["piqa"]["metrics"] == a["tasks"]["piqa"]["metrics"]):
        ok = False
sys.exit(0 if ok else 1)
PY
