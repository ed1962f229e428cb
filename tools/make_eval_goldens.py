#!/usr/bin/env python3
"""Records transformers' float32 log-likelihoods of lm-eval style multiple-choice requests
(PIQA, HellaSwag, MMLU 5-shot) for Gemma 3 270M Q4_K_M.

Run by hand (needs torch + transformers + gguf + safetensors + sentencepiece from PyPI, the
model file and /work/shared; CI does not; about 15-30 minutes on two busy CPU cores):

    nice -n 19 python3 tools/make_eval_goldens.py
        [tests/fixtures/evals/transformers-loglikelihoods.json] [--gguf PATH]
        [--shared /work/shared]

transformers loads the GGUF itself (AutoModelForCausalLM.from_pretrained(dir, gguf_file=...)),
dequantizing every tensor to float32 with gguf-py, and runs with attn_implementation="eager"
in float32, model.eval(), torch.no_grad(), like tools/make_gguf_goldens.py. The tokenizer is
the GGUF's, as transformers loads it (AutoTokenizer.from_pretrained(dir, gguf_file=...)); it
must add exactly one BOS (id 2), which the script checks.

Documents (0-based indices, the ones the C++ harness uses):
  piqa       valid.jsonl line i (+ valid-labels.lst line i), i = 0..199
  hellaswag  task i of llama.cpp's six-line hellaswag_val_full.txt(.gz): line 6i is the
             context (used as given, no lm-eval preprocessing), 6i+1 the gold index, 6i+2..6i+5
             the 4 endings; i = 0..199
  mmlu       the first 4 test rows of each of the 57 subjects (sorted by file name); index =
             position among all test rows concatenated in subject order then row order
             (so subject k's rows are not contiguous indices 4k..4k+3 but their global
             positions); "subject" and "row" (0-based row in its file) are recorded too

Requests (lm-evaluation-harness, see /work/shared/notes/eval-protocols.md sections 1.1-1.6):
  piqa       context "Question: " + goal + "\\nAnswer:", continuations " " + sol1, " " + sol2
  hellaswag  context = the context line, continuations " " + ending (4)
  mmlu       "The following are multiple choice questions (with answers) about <subject with
             _ -> space>.\\n\\n" + 5 dev rows (file order), each question.strip() + "\\nA. " ...
             "\\nD. " + D + "\\nAnswer: " + letter + "\\n\\n", then the test row the same way
             ending in "\\nAnswer:"; continuations " A", " B", " C", " D"
Encoding (lm-eval _encode_pair): trailing whitespace of the context moves to the front of the
continuation (none of these documents has any); whole = tok(context + continuation),
ctx = tok(context), both with one BOS; cont = whole[len(ctx):]. Each request runs alone (no
batching, no padding): input = ctx + cont[:-1]; ll = float32 sum of float32
log_softmax(logits[p])[cont token] over the len(cont) positions that predict cont; greedy =
every cont token is the argmax of its row. For MMLU every continuation is checked to be one
token and the 4 letters are scored from one forward pass over ctx (the same input each
request would have alone). Only the logits of the scored positions are computed
(logits_to_keep), which changes nothing but time.

Writes one compact JSON file:
  {"generator", "model_sha256", "gguf_file", "versions", "protocol", "datasets" (sha256 of
   every input file), "tasks": {"piqa": [doc...], "hellaswag": [...], "mmlu": [...]}}
  doc = {"index", "gold", "loglikelihoods" [per choice], "token_counts" [len(cont) per choice],
         "context_tokens" (len(ctx), BOS included), "greedy" [per choice],
         "request_sha256" [sha256 of utf-8 (context + "\\0" + continuation) per choice, the
         request strings as built, before _encode_pair]} (+ "subject", "row" for mmlu)
HellaSwag text is under a DMCA claim (see /work/shared/datasets/README.md): the fixture holds
only indices, numbers and digests of it, and the script prints none of its text.

Prints, per task, acc (argmax ll == gold), acc_norm (argmax ll / len(choice) in characters,
without the leading space, == gold; first maximum wins, like np.argmax) and the smallest gap
between the best and second-best ll of a document (near-ties make argmax comparisons fragile).
"""
import argparse
import csv
import gzip
import hashlib
import json
import os
import pathlib
import platform
import time

import torch
import transformers
from transformers import AutoModelForCausalLM, AutoTokenizer
from fixture_io import default_gguf, sha256_file

N_PIQA = 200
N_HELLASWAG = 200
MMLU_ROWS_PER_SUBJECT = 4
MMLU_SHOTS = 5
BOS = 2
PROTOCOL = (
    "lm-evaluation-harness multiple-choice loglikelihood requests; piqa: 'Question: '+goal+"
    "'\\nAnswer:' / ' '+sol; hellaswag: llama.cpp six-line context as given / ' '+ending; mmlu "
    "5-shot (first 5 dev rows, lm-eval default prompt, header '\\n\\n', question.strip()) / "
    "' A'..' D'; _encode_pair with one BOS (ctx = tok(context), cont = tok(context+cont)"
    "[len(ctx):]); each request alone, float32 eager transformers on the dequantized GGUF; "
    "ll = float32 sum of float32 log_softmax over cont tokens; context_tokens includes BOS")


def sha256_text(text):
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def load_piqa(shared):
    docs = []
    with open(shared / "datasets/piqa/valid.jsonl", encoding="utf-8") as f, \
            open(shared / "datasets/piqa/valid-labels.lst", encoding="utf-8") as g:
        for index, (line, label) in enumerate(zip(f, g)):
            if index >= N_PIQA:
                break
            row = json.loads(line)
            docs.append({"index": index, "gold": int(label),
                         "context": "Question: " + row["goal"] + "\nAnswer:",
                         "choices": [row["sol1"], row["sol2"]]})
    return docs


def load_hellaswag(shared):
    raw = gzip.open(shared / "datasets/hellaswag/hellaswag_val_full.txt.gz", "rb").read()
    lines = raw.decode("utf-8").split("\n")
    docs = []
    for index in range(N_HELLASWAG):
        block = lines[6 * index:6 * index + 6]
        gold = int(block[1])
        assert 0 <= gold < 4 and all(block[2:6]), f"hellaswag task {index} malformed"
        docs.append({"index": index, "gold": gold, "context": block[0], "choices": block[2:6]})
    return docs


def render_mmlu(row, answer):
    question, a, b, c, d = row[:5]
    text = f"{question.strip()}\nA. {a}\nB. {b}\nC. {c}\nD. {d}\nAnswer:"
    return text + (f" {answer}\n\n" if answer else "")


def read_csv(path):
    with open(path, newline="", encoding="utf-8") as f:
        rows = list(csv.reader(f))
    assert all(len(r) == 6 and r[5] in ("A", "B", "C", "D") for r in rows), path
    return rows


def load_mmlu(shared):
    folder = shared / "datasets/mmlu"
    docs, offset = [], 0
    for name in sorted(os.listdir(folder / "test")):
        assert name.endswith("_test.csv"), name
        subject = name[:-len("_test.csv")]
        test = read_csv(folder / "test" / name)
        dev = read_csv(folder / "dev" / f"{subject}_dev.csv")
        header = ("The following are multiple choice questions (with answers) about "
                  f"{subject.replace('_', ' ')}.\n\n")
        shots = "".join(render_mmlu(r, r[5]) for r in dev[:MMLU_SHOTS])
        for row_index, row in enumerate(test[:MMLU_ROWS_PER_SUBJECT]):
            docs.append({"index": offset + row_index, "subject": subject, "row": row_index,
                         "gold": "ABCD".index(row[5]),
                         "context": header + shots + render_mmlu(row, None),
                         "choices": ["A", "B", "C", "D"]})
        offset += len(test)
    assert len(docs) == 57 * MMLU_ROWS_PER_SUBJECT and offset == 14042, (len(docs), offset)
    return docs


def encode_pair(tok, context, continuation):
    """lm-eval's _encode_pair; returns (ctx ids, cont ids, whether ctx is a prefix of whole)."""
    n_space = len(context) - len(context.rstrip())
    if n_space:
        continuation = context[-n_space:] + continuation
        context = context[:-n_space]
    whole = tok(context + continuation).input_ids
    ctx = tok(context).input_ids
    assert ctx[0] == BOS and ctx.count(BOS) == 1 and whole[0] == BOS and whole.count(BOS) == 1
    return ctx, whole[len(ctx):], whole[:len(ctx)] == ctx


def score(model, ids, n_cont):
    """log-likelihood and greedy flag of the last n_cont ids, given the ids before them."""
    x = torch.tensor([ids[:-1]])
    logits = model(input_ids=x, use_cache=False, logits_to_keep=n_cont).logits[0]
    logp = torch.log_softmax(logits.float(), dim=-1)  # [n_cont, V], float32
    target = torch.tensor(ids[-n_cont:])
    ll = logp.gather(1, target[:, None]).squeeze(1).sum()
    greedy = bool(torch.equal(logp.argmax(-1), target))
    return float(ll), greedy


def run_task(name, docs, tok, model, stats):
    out = []
    t0 = time.time()
    for n, doc in enumerate(docs):
        ctx = None
        requests = [(doc["context"], " " + c) for c in doc["choices"]]
        entry = {"index": doc["index"], "gold": doc["gold"], "loglikelihoods": [],
                 "token_counts": [], "context_tokens": None, "greedy": [],
                 "request_sha256": [sha256_text(c + "\x00" + k) for c, k in requests]}
        if "subject" in doc:
            entry.update(subject=doc["subject"], row=doc["row"])
        encoded = [encode_pair(tok, c, k) for c, k in requests]
        ctx = encoded[0][0]
        assert all(e[0] == ctx for e in encoded)
        stats["prefix_mismatch"] += sum(not e[2] for e in encoded)
        stats["max_tokens"] = max(stats["max_tokens"], max(len(ctx) + len(e[1]) for e in encoded))
        entry["context_tokens"] = len(ctx)
        if name == "mmlu":
            assert all(len(e[1]) == 1 for e in encoded), f"mmlu doc {doc['index']}: letters"
            x = torch.tensor([ctx])
            logits = model(input_ids=x, use_cache=False, logits_to_keep=1).logits[0, -1]
            logp = torch.log_softmax(logits.float(), dim=-1)
            best = int(logp.argmax())
            for _, cont, _ in encoded:
                entry["loglikelihoods"].append(float(logp[cont[0]]))
                entry["token_counts"].append(1)
                entry["greedy"].append(best == cont[0])
        else:
            for _, cont, _ in encoded:
                assert len(cont) >= 1
                ll, greedy = score(model, ctx + cont, len(cont))
                entry["loglikelihoods"].append(ll)
                entry["token_counts"].append(len(cont))
                entry["greedy"].append(greedy)
        entry["_choice_chars"] = [len(c) for c in doc["choices"]]
        out.append(entry)
        if (n + 1) % 25 == 0:
            print(f"  {name}: {n + 1}/{len(docs)} docs, {time.time() - t0:.0f} s", flush=True)
    return out, time.time() - t0


def argmax(values):
    return max(range(len(values)), key=lambda i: (values[i], -i))  # first maximum wins


def top2_gap(values):
    best, second = sorted(values, reverse=True)[:2]
    return best - second


def summarize(name, entries, seconds):
    acc = sum(argmax(e["loglikelihoods"]) == e["gold"] for e in entries) / len(entries)
    acc_norm = sum(argmax([ll / n for ll, n in zip(e["loglikelihoods"], e["_choice_chars"])])
                   == e["gold"] for e in entries) / len(entries)

    def smallest_gap(key):
        return min((top2_gap(key(e)), e["index"]) for e in entries)

    gap, gap_doc = smallest_gap(lambda e: e["loglikelihoods"])
    ngap, ngap_doc = smallest_gap(
        lambda e: [ll / n for ll, n in zip(e["loglikelihoods"], e["_choice_chars"])])
    close = sum(1 for e in entries if top2_gap(e["loglikelihoods"]) < 4e-3)
    print(f"{name}: {len(entries)} docs, acc {acc:.4f}, acc_norm {acc_norm:.4f}, smallest "
          f"best/second ll gap {gap:.3e} (doc {gap_doc}), smallest normalised gap {ngap:.3e} "
          f"(doc {ngap_doc}), docs with ll gap < 4e-3: {close}, {seconds:.0f} s", flush=True)
    return {"acc": acc, "acc_norm": acc_norm, "smallest_gap": gap}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("out", nargs="?",
                        default="tests/fixtures/evals/transformers-loglikelihoods.json")
    parser.add_argument("--gguf", help="path of gemma-3-270m-q4_k_m.gguf (default: assemble())")
    parser.add_argument("--shared", default="/work/shared", help="folder holding datasets/")
    parser.add_argument("--limit", type=int, help="score only the first N docs of each task "
                        "(a quick trial; do not keep its output as the fixture)")
    args = parser.parse_args()
    t0 = time.time()
    shared = pathlib.Path(args.shared)
    out = pathlib.Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    gguf_path = pathlib.Path(args.gguf) if args.gguf else pathlib.Path(default_gguf())
    import gguf
    import tokenizers
    versions = {"transformers": transformers.__version__, "torch": torch.__version__,
                "gguf": gguf.__version__ if hasattr(gguf, "__version__") else "?",
                "tokenizers": tokenizers.__version__, "python": platform.python_version()}
    try:
        from importlib.metadata import version
        versions["gguf"] = version("gguf")
    except Exception:
        pass
    torch.manual_seed(0)

    tok = AutoTokenizer.from_pretrained(str(gguf_path.parent), gguf_file=gguf_path.name)
    model = AutoModelForCausalLM.from_pretrained(
        str(gguf_path.parent), gguf_file=gguf_path.name, dtype=torch.float32,
        attn_implementation="eager").eval()
    print(f"loaded {type(model).__name__} / {type(tok).__name__} in {time.time() - t0:.0f} s",
          flush=True)
    probe = tok("Question: x\nAnswer:").input_ids
    assert probe[0] == BOS and probe.count(BOS) == 1, probe
    assert tok("").input_ids == [BOS], tok("").input_ids

    dataset_files = ["piqa/valid.jsonl", "piqa/valid-labels.lst",
                     "hellaswag/hellaswag_val_full.txt.gz"]
    dataset_files += [f"mmlu/{split}/{name}" for split in ("dev", "test")
                      for name in sorted(os.listdir(shared / "datasets/mmlu" / split))]
    datasets = {f: sha256_file(shared / "datasets" / f) for f in dataset_files}

    tasks = {"piqa": load_piqa(shared), "hellaswag": load_hellaswag(shared),
             "mmlu": load_mmlu(shared)}
    if args.limit:
        tasks = {name: docs[:args.limit] for name, docs in tasks.items()}
    results, summary = {}, {}
    with torch.no_grad():
        for name, docs in tasks.items():
            stats = {"prefix_mismatch": 0, "max_tokens": 0}
            entries, seconds = run_task(name, docs, tok, model, stats)
            summary[name] = summarize(name, entries, seconds)
            print(f"  {name}: longest request {stats['max_tokens']} tokens; requests whose "
                  f"tok(context) is not a prefix of tok(context + continuation): "
                  f"{stats['prefix_mismatch']}", flush=True)
            for e in entries:
                del e["_choice_chars"]
            results[name] = entries

    fixture = {"generator": "tools/make_eval_goldens.py", "model_sha256": sha256_file(gguf_path),
               "gguf_file": gguf_path.name, "versions": versions, "protocol": PROTOCOL,
               "datasets": datasets, "tasks": results}
    text = json.dumps(fixture, separators=(",", ":"), ensure_ascii=False) + "\n"
    out.write_text(text, encoding="utf-8")
    print(f"wrote {out} ({len(text.encode()) / 1e3:.0f} kB) in {time.time() - t0:.0f} s "
          f"({versions})")


if __name__ == "__main__":
    main()
