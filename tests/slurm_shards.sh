#!/usr/bin/env bash
# Sharded evaluation on a real Slurm cluster: munge, slurmctld and slurmd started here on
# localhost (private socket, ports and state folder; stopped at exit), a 4-shard PIQA
# evaluation of the default model submitted as a job array (each task `gemmeter eval
# --shard 4`, its index from SLURM_ARRAY_TASK_ID) with a merge job that depends on it.
#  1. The merged report equals the single-process run (tests/compare_merged.py).
#  2. A shard cancelled mid-run (scancel) leaves the merge pending; resubmitting that one
#     task resumes it from its records, the other shards are not redone, and the merge
#     then completes with the same result.
# Needs root (munged --force), Debian's slurm-wlm and munge (tools/setup.sh installs
# them), the default model and the datasets; exits 77 (skipped, saying why) otherwise.
# PIQA documents: $GEMMETER_SLURM_DOCS (default 400; 0 = all 1,838).
set -u
source "$(dirname "$0")/needs_model_and_data.sh" "$@"
here="$(cd "$(dirname "$0")" && pwd)"
docs="${GEMMETER_SLURM_DOCS:-400}"
source "$here/slurm_cluster.sh"

limit=()
[[ $docs -gt 0 ]] && limit=(--limit "$docs")
eval_args=(eval --tasks piqa "${limit[@]}" --data-dir "$data")


# The array (extra eval flags $2) and its merge job in folder $1; prints "ARRAY MERGE".
submit() {
  local dir="$1" extra="${2:-}"
  mkdir -p "$dir"
  local array merge
  array=$(sbatch --parsable --array=0-3 --cpus-per-task=1 --chdir="$dir" \
    --output="$dir/shard-%a.log" --wrap "'$gemmeter' --threads 1 ${eval_args[*]} $extra --shard 4")
  merge=$(sbatch --parsable --dependency=afterok:"$array" --chdir="$dir" --output="$dir/merge.log" \
    --wrap "'$gemmeter' merge gemmeter-eval/*.shard-0-of-4.json gemmeter-eval/*.shard-1-of-4.json \
            gemmeter-eval/*.shard-2-of-4.json gemmeter-eval/*.shard-3-of-4.json -o merged.json")
  echo "$array $merge"
}
shards_of() { ls "$1"/gemmeter-eval/*.shard-{0,1,2,3}-of-4.json; }

start=$(date +%s)
"$gemmeter" "${eval_args[@]}" --out "$tmp/single.json" >/dev/null 2>"$tmp/single.log" ||
  { cat "$tmp/single.log"; exit 1; }
single_seconds=$(($(date +%s) - start))

# 1. Four shards and the merge.
start=$(date +%s)
read -r array merge < <(submit "$tmp/run1")
wait_job "$array" 1800 && wait_job "$merge" 120 || exit 1
shard_seconds=$(($(date +%s) - start))
[[ -f "$tmp/run1/merged.json" ]] || { echo "FAIL: no merged report"; cat "$tmp"/run1/*.log; exit 1; }
python3 "$here/compare_merged.py" "$tmp/single.json" "$tmp/run1/merged.json" $(shards_of "$tmp/run1") ||
  exit 1
printf 'ok: PIQA (%s documents) in one process, all cores: %s s; 4 Slurm shards (1 thread each, one per core at a time) and the merge: %s s\n' \
  "${docs/#0/all}" "$single_seconds" "$shard_seconds"

# 2. Cancel shard 2 once it has recorded some documents; the merge cannot run. (Small
# forward passes, so documents finish one by one rather than together at the end.)
read -r array merge < <(submit "$tmp/run2" "--batch-tokens 48")
records=""
for _ in $(seq 1200); do
  records=$(ls "$tmp"/run2/gemmeter-eval/*.shard-2-of-4.records.jsonl 2>/dev/null)
  [[ -n "$records" && $(wc -l <"$records") -ge 6 ]] && break
  sleep 0.1
done
echo "cancelling shard 2 at $(($(wc -l <"$records") - 1)) recorded documents"
scancel "${array}_2"
wait_job "$array" 1800 || exit 1
sleep 2  # tasks that left the queue may still be finishing their reports
[[ ! -f "$tmp/run2/merged.json" ]] || { echo "FAIL: the merge ran without shard 2"; exit 1; }
scancel "$merge" 2>/dev/null  # its dependency can no longer be satisfied
kept=$(wc -l <"$records")
before=$(stat -c '%n %Y %s' "$tmp"/run2/gemmeter-eval/*.shard-[013]-of-4.json)
echo "ok: shard 2 cancelled with $((kept - 1)) documents recorded; the merge did not run"

# Resubmit shard 2 alone, and the merge after it.
array=$(sbatch --parsable --array=2 --cpus-per-task=1 --chdir="$tmp/run2" \
  --output="$tmp/run2/shard-%a-again.log" --wrap "'$gemmeter' --threads 1 ${eval_args[*]} --batch-tokens 48 --shard 4")
merge=$(sbatch --parsable --dependency=afterok:"$array" --chdir="$tmp/run2" --output="$tmp/run2/merge.log" \
  --wrap "'$gemmeter' merge gemmeter-eval/*.shard-0-of-4.json gemmeter-eval/*.shard-1-of-4.json \
          gemmeter-eval/*.shard-2-of-4.json gemmeter-eval/*.shard-3-of-4.json -o merged.json")
wait_job "$array" 1800 && wait_job "$merge" 120 || exit 1
[[ -f "$tmp/run2/merged.json" ]] || { echo "FAIL: no merged report after the rerun"; cat "$tmp"/run2/*.log; exit 1; }
after=$(stat -c '%n %Y %s' "$tmp"/run2/gemmeter-eval/*.shard-[013]-of-4.json)
[[ "$before" == "$after" ]] || { echo "FAIL: finished shards were rewritten: $before -> $after"; exit 1; }
resumed=$(python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['tasks']['piqa']['resumed_docs'])" \
  "$(ls "$tmp"/run2/gemmeter-eval/*.shard-2-of-4.json)")
[[ $resumed -ge $((kept - 1)) ]] || { echo "FAIL: the rerun shard resumed $resumed documents, $((kept - 1)) were recorded"; exit 1; }
python3 "$here/compare_merged.py" "$tmp/single.json" "$tmp/run2/merged.json" $(shards_of "$tmp/run2") ||
  exit 1
echo "ok: the resubmitted shard resumed $resumed documents from its records, the others were not redone, and the merge equals the single run"
