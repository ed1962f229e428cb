#!/usr/bin/env python3
"""Checks that a merged sharded evaluation equals the single-process run.

usage: compare_merged.py SINGLE.json MERGED.json SHARD.json...

Equal means: the same documents in the same order, the same predictions and metrics,
log-likelihoods within 1e-5 per continuation token (the determinism budget when a
document is batched with other neighbours), no shard marker left in the merged report,
and shards whose document counts differ by at most a few (balanced by tokens, not by
count). Prints one line per task; exits 1 on any difference.
"""
import json
import sys


def main():
    single, merged, *shards = (json.load(open(p)) for p in sys.argv[1:])
    ok = True

    def check(cond, what):
        nonlocal ok
        if not cond:
            print("FAIL:", what)
            ok = False

    for task in single["tasks"]:
        a, b = single["documents"][task], merged["documents"][task]
        check([d["index"] for d in a] == [d["index"] for d in b], f"{task}: documents differ")
        check([d["predictions"] for d in a] == [d["predictions"] for d in b],
              f"{task}: predictions differ")
        check(single["tasks"][task]["metrics"] == merged["tasks"][task]["metrics"],
              f"{task}: metrics differ")
        worst = 0.0
        for x, y in zip(a, b):
            for lx, ly, n in zip(x["loglikelihoods"], y["loglikelihoods"], x["token_counts"]):
                worst = max(worst, abs(lx - ly) / n)
        check(worst <= 1e-5, f"{task}: log-likelihoods differ by {worst:.2e} per token")
        check("shard" not in merged["tasks"][task], f"{task}: the merged report still says shard")
        sizes = [len(s["documents"][task]) for s in shards]
        check(sum(sizes) == len(a), f"{task}: shards hold {sum(sizes)} documents of {len(a)}")
        check(max(sizes) - min(sizes) <= max(2, len(a) // 20), f"{task}: unbalanced shards {sizes}")
        metrics = ", ".join(f"{k} {v['value']:.4f}" for k, v in merged["tasks"][task]["metrics"].items())
        print(f"ok: {task}: {len(a)} documents in shards of {sizes}; {metrics} in both; "
              f"log-likelihoods within {worst:.1e} per token")
    check([s["tasks"][next(iter(s["tasks"]))]["shard"]["index"] for s in shards] == list(range(len(shards))),
          "shards given out of order or with wrong indexes")
    check(len(merged["provenance"]["merged_from"]) == len(shards), "provenance.merged_from")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
