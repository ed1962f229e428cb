#!/usr/bin/env python3
"""Records the token ids that transformers' GGUF-loaded Gemma 3 tokenizer gives the eval sets.

Run by hand (needs transformers + tokenizers from PyPI, the Gemma 3 270M Q4_K_M file and
/work/shared; CI does not):

    python3 tools/make_tokenizer_goldens.py tests/fixtures/tokenizer [--gguf PATH]
        [--shared /work/shared]

The tokenizer is AutoTokenizer.from_pretrained(dir, gguf_file=name): transformers rebuilds
it from the vocabulary, scores and token types inside the GGUF, the same data the C++
tokenizer reads, and it prepends BOS (id 2). Ids are tok(strings).input_ids.

The string lists (the C++ tests enumerate exactly these, in this order):
    piqa       piqa/valid.jsonl, one JSON object per line, file order; per row:
               goal, sol1, sol2, " " + sol1, " " + sol2
    mmlu       mmlu/dev/*.csv then mmlu/test/*.csv, each folder's files sorted by name
               (byte order); rows from csv.reader(open(f, newline="", encoding="utf-8"))
               (headerless, 6 fields; "\\r" inside quoted fields is kept); per row:
               field 1 (question), then fields 2..5 (choices A-D)
    hellaswag  hellaswag/hellaswag_val_full.txt.gz, decompressed, split on "\\n" (a final
               empty piece from the trailing newline is dropped); 6 lines per task:
               context, gold index, 4 endings; per task: the context line, then
               " " + ending for each of the 4 endings
The leading-space variants are how the endings are scored after a context, so they test the
"\u2581" prefix merges.

Outputs in <out>:
    gemma3-digests.json  per dataset {"strings": N, "chunk_size": 1000, "chunk_sha256": [...]}
                         where chunk c covers strings [1000c, 1000c + 1000) and its digest is
                         sha256 over, for each string in order, its ids as little-endian
                         int32 followed by int32 -1. Covers every string; a mismatching chunk
                         narrows a failure to 1000 strings, which the C++ side can then diff
                         against the sample or a local run of this script.
    gemma3-sample.json   {"transformers", "gguf_sha256", "seed", "entries": [...]}, one entry
                         per line: {"dataset", "index" (position in that dataset's string
                         list), "ids"} plus "text" for mmlu and piqa. HellaSwag entries carry no
                         text and no ids, only "ids_sha256" (the digest rule above applied to
                         that one string) and "count" (number of ids): HellaSwag text is
                         under a DMCA claim (wikiHow) and must not be committed in any form
                         that reproduces it, and ids decode back to the text.
The sample (seeded) is about 1000 mmlu, 800 piqa and 600 hellaswag strings drawn uniformly,
plus deliberate edge cases so they are always covered: for each dataset the shortest and
longest string (by ids), mmlu/piqa strings containing "\\r", and up to 20 mmlu/piqa strings
that need byte-fallback tokens (<0x..>).

It also tokenizes every string with the independent reference tokenizer in
shared/reference/gemma3-tokenizer/ (a tokenizer.json from the original Hugging Face release,
loaded with the tokenizers library; it also adds BOS) and reports per dataset how many
strings agree, showing up to 5 differing mmlu/piqa examples (HellaSwag only by index).
Differences are reported, not fatal: the goldens are transformers-from-GGUF by definition.
"""
import argparse
import csv
import gzip
import hashlib
import json
import os
import pathlib
import random
import tempfile
import time

import numpy as np
import tokenizers
import transformers
from transformers import AutoTokenizer
from fixture_io import default_gguf, sha256_file

SEED = 31337
CHUNK = 1000
BATCH = 2000
SAMPLE_SIZES = {"mmlu": 1000, "piqa": 800, "hellaswag": 600}
DATASETS = ("piqa", "mmlu", "hellaswag")
NO_TEXT = {"hellaswag"}  # never store or print these strings or their ids


def piqa_strings(shared):
    strings = []
    with open(shared / "datasets/piqa/valid.jsonl", encoding="utf-8") as f:
        for line in f:
            row = json.loads(line)
            strings += [row["goal"], row["sol1"], row["sol2"], " " + row["sol1"], " " + row["sol2"]]
    return strings


def mmlu_strings(shared):
    strings = []
    for split in ("dev", "test"):
        folder = shared / "datasets/mmlu" / split
        for name in sorted(os.listdir(folder), key=lambda n: n.encode("utf-8")):
            if not name.endswith(".csv"):
                continue
            with open(folder / name, newline="", encoding="utf-8") as f:
                for row in csv.reader(f):
                    assert len(row) == 6, (name, row)
                    strings += row[0:5]
    return strings


def hellaswag_strings(shared):
    with gzip.open(shared / "datasets/hellaswag/hellaswag_val_full.txt.gz") as f:
        text = f.read().decode("utf-8")
    lines = text.split("\n")
    if text.endswith("\n"):
        lines.pop()
    assert len(lines) % 6 == 0, len(lines)
    strings = []
    for t in range(0, len(lines), 6):
        strings.append(lines[t])
        strings += [" " + ending for ending in lines[t + 2:t + 6]]
    return strings


def digest(id_lists):
    h = hashlib.sha256()
    for ids in id_lists:
        h.update(np.asarray(list(ids) + [-1], dtype="<i4").tobytes())
    return h.hexdigest()


def tokenize_all(name, strings, encode):
    out = []
    start = time.time()
    for b in range(0, len(strings), BATCH):
        out += encode(strings[b:b + BATCH])
        done = min(b + BATCH, len(strings))
        if done == len(strings) or (b // BATCH) % 10 == 9:
            print(f"  {name}: {done}/{len(strings)} strings, {time.time() - start:.0f} s", flush=True)
    return out


def choose_sample(name, strings, ids, rng, byte_ids):
    picks = set(rng.sample(range(len(strings)), SAMPLE_SIZES[name]))
    lengths = [len(x) for x in ids]
    picks.add(min(range(len(ids)), key=lambda i: (lengths[i], i)))
    picks.add(max(range(len(ids)), key=lambda i: (lengths[i], -i)))
    if name not in NO_TEXT:
        picks.update(i for i, s in enumerate(strings) if "\r" in s)
        with_bytes = [i for i, x in enumerate(ids) if any(t in byte_ids for t in x)]
        picks.update(rng.sample(with_bytes, min(20, len(with_bytes))))
    return sorted(picks)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("out", nargs="?", default="tests/fixtures/tokenizer")
    parser.add_argument("--gguf", help="path of gemma-3-270m-q4_k_m.gguf (default: assemble())")
    parser.add_argument("--shared", default="/work/shared", help="folder holding datasets/ and reference/")
    args = parser.parse_args()
    t0 = time.time()
    out = pathlib.Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    shared = pathlib.Path(args.shared)
    gguf_path = pathlib.Path(args.gguf) if args.gguf else pathlib.Path(default_gguf())
    gguf_sha = sha256_file(gguf_path)

    tok = AutoTokenizer.from_pretrained(str(gguf_path.parent), gguf_file=gguf_path.name)
    print(f"loaded {type(tok).__name__} from {gguf_path.name} in {time.time() - t0:.0f} s")
    with tempfile.TemporaryDirectory() as tmp:
        ref_json = pathlib.Path(tmp) / "tokenizer.json"
        with gzip.open(shared / "reference/gemma3-tokenizer/tokenizer.json.gz") as f:
            ref_json.write_bytes(f.read())
        ref = tokenizers.Tokenizer.from_file(str(ref_json))
    byte_ids = {tok.convert_tokens_to_ids(f"<0x{b:02X}>") for b in range(256)}
    assert len(byte_ids) == 256 and tok.unk_token_id not in byte_ids

    builders = {"piqa": piqa_strings, "mmlu": mmlu_strings, "hellaswag": hellaswag_strings}
    rng = random.Random(SEED)
    digests = {"transformers": transformers.__version__, "tokenizers": tokenizers.__version__,
               "gguf_sha256": gguf_sha,
               "rule": "chunk c = strings [1000c, 1000c+1000); sha256 over each string's ids "
                       "as little-endian int32 followed by int32 -1",
               "datasets": {}}
    entries = []
    agreement = {}
    for name in DATASETS:
        strings = builders[name](shared)
        print(f"{name}: {len(strings)} strings")
        ids = tokenize_all(name, strings, lambda batch: tok(batch).input_ids)
        ref_ids = tokenize_all(name + " (reference)", strings,
                               lambda batch: [e.ids for e in ref.encode_batch(batch)])
        assert all(x[0] == 2 for x in ids), f"{name}: a string without BOS"
        digests["datasets"][name] = {
            "strings": len(strings), "chunk_size": CHUNK,
            "chunk_sha256": [digest(ids[c:c + CHUNK]) for c in range(0, len(ids), CHUNK)],
        }
        differing = [i for i in range(len(ids)) if list(ids[i]) != list(ref_ids[i])]
        agreement[name] = (len(strings) - len(differing), len(strings))
        print(f"{name}: transformers-from-GGUF and reference agree on "
              f"{len(strings) - len(differing)}/{len(strings)} strings, "
              f"{sum(len(x) for x in ids)} ids in all")
        for i in differing[:5]:
            if name in NO_TEXT:
                print(f"  differs at {name}[{i}] ({len(ids[i])} vs {len(ref_ids[i])} ids)")
            else:
                print(f"  differs at {name}[{i}] {strings[i]!r}\n    transformers {ids[i]}\n"
                      f"    reference    {ref_ids[i]}")
        for i in choose_sample(name, strings, ids, rng, byte_ids):
            entry = {"dataset": name, "index": i}
            if name in NO_TEXT:
                entry["ids_sha256"] = digest([ids[i]])
                entry["count"] = len(ids[i])
            else:
                entry["text"] = strings[i]
                entry["ids"] = list(ids[i])
            entries.append(entry)

    (out / "gemma3-digests.json").write_text(json.dumps(digests, indent=1) + "\n")
    header = {"transformers": transformers.__version__, "gguf_sha256": gguf_sha, "seed": SEED}
    lines = [json.dumps(header)[:-1] + ', "entries": [']
    lines += [json.dumps(e, ensure_ascii=False) + "," for e in entries]
    lines[-1] = lines[-1][:-1]
    lines.append("]}")
    (out / "gemma3-sample.json").write_text("\n".join(lines) + "\n", encoding="utf-8")
    json.loads((out / "gemma3-sample.json").read_text(encoding="utf-8"))  # well-formed

    per = {n: sum(e["dataset"] == n for e in entries) for n in DATASETS}
    sizes = {p.name: p.stat().st_size for p in sorted(out.iterdir())}
    print(f"sample: {len(entries)} entries {per}")
    print("agreement: " + ", ".join(f"{n} {a}/{b}" for n, (a, b) in agreement.items()))
    print(f"wrote {sizes} to {out} in {time.time() - t0:.0f} s")


if __name__ == "__main__":
    main()
