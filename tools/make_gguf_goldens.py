#!/usr/bin/env python3
"""Records transformers' float32 logits and greedy continuations for Gemma 3 270M Q4_K_M.

Run by hand (needs torch + transformers + gguf + safetensors from PyPI, the model file and
/work/shared; CI does not; about two minutes on two CPU cores):

    python3 tools/make_gguf_goldens.py tests/fixtures/gemma3-270m [--gguf PATH]
        [--shared /work/shared]

transformers loads the GGUF itself (AutoModelForCausalLM.from_pretrained(dir, gguf_file=...)),
dequantizing every tensor to float32 with gguf-py, and runs with attn_implementation="eager"
in float32, model.eval(), torch.no_grad(). The oracle therefore uses exactly the quantized
weights the C++ engine reads, in float32 arithmetic; an engine that dequantizes the same
blocks should match it to float32 rounding noise, not to quantization noise.

Writes to <out>:
  logits.safetensors   for each logit prompt i = 0..8 (T = 16, 32, 64, 100, 128, 200, 300, 512, 700):
      tokens_i        int32   [T]      input ids, tokens_i[0] = BOS = 2
      top_ids_i       int32   [T, 16]  the 16 largest logits' ids per position, descending
      top_logits_i    float32 [T, 16]  those logits
      probe_ids_i     int32   [T, 16]  16 vocabulary ids per position, uniform over the
                                       vocabulary (torch.Generator seeded with 1000 + i)
      probe_logits_i  float32 [T, 16]  the logits at those ids
      logsumexp_i     float32 [T]      logsumexp of the full logit row, computed in float64
    Full rows (262144 logits per position) would be ~1.4 GB; top-16 checks the ranking
    head, the probes check the bulk of the row (mostly far-from-top logits, where the tied
    embedding and final norm matter), and logsumexp checks the whole row at once, so
    log-probabilities (top_logits - logsumexp) can be compared too.
  greedy.safetensors   for each greedy prompt j = 0..4:
      prompt_j        int32   [P]      prompt ids with BOS
      generated_j     int32   [32]     model.generate(do_sample=False, max_new_tokens=32,
                                       min_new_tokens=32): exactly 32 new tokens
      gap_j           float32 [32]     top-1 minus top-2 raw logit at each generation step
    min_new_tokens only masks EOS; the script checks that every generated token is the
    argmax of the raw (unmasked) logits, so a plain argmax loop reproduces it. It also
    re-runs one uncached forward pass over prompt + continuation and checks that it picks
    the same tokens, so the goldens do not depend on transformers' KV-cache path.
  prompts.json         the prompt texts (logit prompts: the dataset rows they were built
                       from and the decoded text), the continuations, versions, and the
                       sha256 of the GGUF file.
Both safetensors files carry the transformers/torch versions and the GGUF sha256 in their
metadata.

Logit prompts are natural text so activations look like real use: PIQA goal + correct
solution and MMLU test questions with their four choices, alternating, joined by blank
lines, drawn with a seeded random.Random, tokenized with the same GGUF tokenizer (which
adds BOS) and truncated to exactly T ids (the cut may fall inside a word; the ids are what
counts). Both datasets are licensed for reuse (PIQA AFL-3.0, MMLU MIT); HellaSwag text is
never used here because it is under a DMCA claim. The lengths cross the usual kernel tile
sizes and include 512 = the sliding window; note that with window 512 even T = 512 never
masks a key (the farthest key is 511 back), so these prompts do not exercise the window.

The script prints, per logit prompt, the smallest top-1/top-2 gap (near-ties make argmax
comparisons fragile) and the greedy continuations.
"""
import argparse
import csv
import json
import os
import pathlib
import random
import time

import torch
import transformers
from transformers import AutoModelForCausalLM, AutoTokenizer
from fixture_io import default_gguf, sha256_file, save_safetensors

# 700 > the 512-token sliding window of the local layers, so their masking is exercised.
LENGTHS = (16, 32, 64, 100, 128, 200, 300, 512, 700)
TOP_K = 16
N_PROBES = 16
NEW_TOKENS = 32
SEED = 270
JOINER = "\n\n"
GREEDY_PROMPTS = (
    "The capital of France is",
    "Water boils at sea level at a temperature of",
    "To make a simple tomato sauce, first",
    "The Roman Empire in the West fell in the year",
    "In Python, a list comprehension is",
)


def load_pieces(shared):
    """PIQA (goal + correct solution) and MMLU test questions (+ choices), with origins."""
    piqa = []
    with open(shared / "datasets/piqa/valid.jsonl", encoding="utf-8") as f, \
            open(shared / "datasets/piqa/valid-labels.lst", encoding="utf-8") as g:
        for row_index, (line, label) in enumerate(zip(f, g)):
            row = json.loads(line)
            sol = row["sol1"] if label.strip() == "0" else row["sol2"]
            piqa.append((f"{row['goal'].strip()} {sol.strip()}",
                         {"source": "piqa/valid.jsonl", "row": row_index}))
    mmlu = []
    folder = shared / "datasets/mmlu/test"
    for name in sorted(os.listdir(folder)):
        with open(folder / name, newline="", encoding="utf-8") as f:
            for row_index, row in enumerate(csv.reader(f)):
                text = row[0] + "".join(f"\n{letter}. {choice}"
                                        for letter, choice in zip("ABCD", row[1:5]))
                mmlu.append((text, {"source": f"mmlu/test/{name}", "row": row_index}))
    return piqa, mmlu


def build_prompt(tok, length, piqa, mmlu, rng):
    pieces, origins = [], []
    while True:
        source = piqa if len(pieces) % 2 == 0 else mmlu
        text, origin = source[rng.randrange(len(source))]
        pieces.append(text)
        origins.append(origin)
        ids = tok(JOINER.join(pieces)).input_ids
        if len(ids) >= length:
            return ids[:length], origins


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("out", nargs="?", default="tests/fixtures/gemma3-270m")
    parser.add_argument("--gguf", help="path of gemma-3-270m-q4_k_m.gguf (default: assemble())")
    parser.add_argument("--shared", default="/work/shared", help="folder holding datasets/")
    args = parser.parse_args()
    t0 = time.time()
    out = pathlib.Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    gguf_path = pathlib.Path(args.gguf) if args.gguf else pathlib.Path(default_gguf())
    gguf_sha = sha256_file(gguf_path)
    versions = {"transformers": transformers.__version__, "torch": torch.__version__}
    metadata = {**versions, "gguf_sha256": gguf_sha, "gguf_file": gguf_path.name}
    torch.manual_seed(0)

    tok = AutoTokenizer.from_pretrained(str(gguf_path.parent), gguf_file=gguf_path.name)
    model = AutoModelForCausalLM.from_pretrained(
        str(gguf_path.parent), gguf_file=gguf_path.name, dtype=torch.float32,
        attn_implementation="eager").eval()
    vocab = model.config.vocab_size
    print(f"loaded {type(model).__name__} (vocab {vocab}) in {time.time() - t0:.0f} s")

    piqa, mmlu = load_pieces(pathlib.Path(args.shared))
    rng = random.Random(SEED)
    goldens, logit_prompts = {}, []
    with torch.no_grad():
        for i, length in enumerate(LENGTHS):
            ids, origins = build_prompt(tok, length, piqa, mmlu, rng)
            assert len(ids) == length and ids[0] == 2
            x = torch.tensor([ids])
            logits = model(input_ids=x, use_cache=False).logits[0].float()  # [T, V]
            top = logits.topk(TOP_K, dim=-1, sorted=True)
            probe_gen = torch.Generator().manual_seed(1000 + i)
            probe_ids = torch.randint(0, vocab, (length, N_PROBES), generator=probe_gen)
            goldens[f"tokens_{i}"] = x[0].to(torch.int32)
            goldens[f"top_ids_{i}"] = top.indices.to(torch.int32)
            goldens[f"top_logits_{i}"] = top.values.contiguous()
            goldens[f"probe_ids_{i}"] = probe_ids.to(torch.int32)
            goldens[f"probe_logits_{i}"] = logits.gather(1, probe_ids).contiguous()
            goldens[f"logsumexp_{i}"] = logits.double().logsumexp(-1).float()
            gaps = top.values[:, 0] - top.values[:, 1]
            worst = int(gaps.argmin())
            print(f"logit prompt {i}: {length:3d} tokens, smallest top-1/top-2 gap "
                  f"{gaps[worst]:.3e} at position {worst}, median gap {gaps.median():.3f}, "
                  f"logits range [{logits.min():.1f}, {logits.max():.1f}]", flush=True)
            logit_prompts.append({
                "index": i, "tokens": length, "built_from": origins,
                "how": "pieces joined by a blank line; piqa = goal + ' ' + correct solution; "
                       "mmlu = question + '\\nA. ' choice ... '\\nD. ' choice; tokenized with "
                       "BOS and truncated to `tokens` ids",
                "text": tok.decode(ids[1:]),
                "smallest_top2_gap": float(gaps[worst]),
            })
            del logits
    save_safetensors(goldens, str(out / "logits.safetensors"), metadata=metadata)

    greedy, greedy_prompts = {}, []
    with torch.no_grad():
        for j, text in enumerate(GREEDY_PROMPTS):
            prompt = tok(text, return_tensors="pt").input_ids
            assert prompt[0, 0] == 2
            result = model.generate(
                prompt, max_new_tokens=NEW_TOKENS, min_new_tokens=NEW_TOKENS, do_sample=False,
                output_logits=True, return_dict_in_generate=True, pad_token_id=0)
            generated = result.sequences[0, prompt.shape[1]:]
            assert generated.numel() == NEW_TOKENS, generated.shape
            raw = torch.cat(result.logits).float()  # [32, V], before EOS masking
            top2 = raw.topk(2, dim=-1)
            assert torch.equal(top2.indices[:, 0], generated), f"prompt {j}: not raw argmax"
            # Uncached cross-check: one forward pass over prompt + continuation.
            full = model(input_ids=result.sequences, use_cache=False).logits[0].float()
            steps = full[prompt.shape[1] - 1:-1]
            assert torch.equal(steps.argmax(-1), generated), f"prompt {j}: cache path differs"
            drift = (steps - raw).abs().max().item()
            gaps = top2.values[:, 0] - top2.values[:, 1]
            greedy[f"prompt_{j}"] = prompt[0].to(torch.int32)
            greedy[f"generated_{j}"] = generated.to(torch.int32)
            greedy[f"gap_{j}"] = gaps.contiguous()
            continuation = tok.decode(generated)
            print(f"greedy {j}: {text!r} -> {continuation!r} (smallest gap {gaps.min():.3e}, "
                  f"cached vs uncached max |diff| {drift:.1e})", flush=True)
            greedy_prompts.append({"index": j, "text": text, "tokens": prompt.shape[1],
                                   "continuation": continuation,
                                   "smallest_gap": float(gaps.min())})
    save_safetensors(greedy, str(out / "greedy.safetensors"), metadata=metadata)

    info = {**metadata, "seed": SEED, "logit_prompts": logit_prompts,
            "greedy": {"max_new_tokens": NEW_TOKENS, "min_new_tokens": NEW_TOKENS,
                       "do_sample": False, "prompts": greedy_prompts}}
    (out / "prompts.json").write_text(json.dumps(info, indent=1, ensure_ascii=False) + "\n",
                                      encoding="utf-8")
    sizes = {p.name: p.stat().st_size for p in sorted(out.iterdir())}
    print(f"wrote {sizes} ({sum(sizes.values()) / 1e6:.2f} MB) to {out} in "
          f"{time.time() - t0:.0f} s ({versions})")


if __name__ == "__main__":
    main()
