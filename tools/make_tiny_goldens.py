#!/usr/bin/env python3
"""Builds tiny random Gemma checkpoints and records transformers' float32 logits for them.

Run by hand (needs torch + transformers from PyPI; CI does not):

    python3 tools/make_tiny_goldens.py tests/fixtures/tiny

For each family it writes <out>/<name>/config.json, the weights as safetensors, and
golden.safetensors holding for every test sequence i:
    tokens_i  int32 [T]      the input ids (token 0 is BOS = 2)
    logits_i  float32 [T, V] transformers' logits at every position
transformers runs with attn_implementation="eager" in float32: the SDPA path of
Gemma 2 skips attention soft-capping, and float32 makes the goldens an exact oracle.

Weights are drawn so that every term of the forward pass matters: norm weights are
random (so Gemma's (1 + w) gain is exercised), linear weights have std 1/sqrt(fan_in)
(activations stay O(1) through the layers), and embeddings have std 0.3 so logits have a
spread of a few units (few near-ties for argmax checks).
"""
import json
import math
import pathlib
import sys

import torch
import transformers
from safetensors.torch import save_file

VOCAB = 320
SEQUENCE_LENGTHS = (7, 16, 24)  # 24 > every sliding window below

FIXTURES = {
    # Gemma 1, multi-query attention (1 kv head), heads * head_dim == hidden.
    "gemma-mqa": dict(
        cls="GemmaConfig", seed=1, dtype="f32", shards=1,
        config=dict(hidden_size=64, intermediate_size=96, num_hidden_layers=2,
                    num_attention_heads=4, num_key_value_heads=1, head_dim=16)),
    # Gemma 1, multi-head attention with heads * head_dim (64) != hidden (48), as gemma-7b.
    "gemma-mha": dict(
        cls="GemmaConfig", seed=2, dtype="f32", shards=1,
        config=dict(hidden_size=48, intermediate_size=96, num_hidden_layers=2,
                    num_attention_heads=4, num_key_value_heads=4, head_dim=16)),
    # Gemma 2: grouped-query attention, both soft-caps active, sliding window 6 on even
    # layers, query_pre_attn_scalar != head_dim; stored as two shards with an index.
    "gemma2": dict(
        cls="Gemma2Config", seed=3, dtype="f32", shards=2,
        config=dict(hidden_size=64, intermediate_size=96, num_hidden_layers=4,
                    num_attention_heads=4, num_key_value_heads=2, head_dim=16,
                    sliding_window=6, attn_logit_softcapping=2.0,
                    final_logit_softcapping=10.0, query_pre_attn_scalar=20)),
    # Gemma 3: 7 layers = 5 local, 1 global (layer 5), 1 local; window 5; q/k norms;
    # local RoPE base 1e4, global 1e6 with linear scaling 2 (as the 4B+ models).
    "gemma3": dict(
        cls="Gemma3TextConfig", seed=4, dtype="f32", shards=1,
        config=dict(hidden_size=64, intermediate_size=96, num_hidden_layers=7,
                    num_attention_heads=4, num_key_value_heads=2, head_dim=32,
                    sliding_window=5, query_pre_attn_scalar=32,
                    rope_parameters={
                        "full_attention": {"rope_type": "linear", "factor": 2.0,
                                           "rope_theta": 1000000.0},
                        "sliding_attention": {"rope_type": "default", "rope_theta": 10000.0},
                    })),
    # Gemma 3 with bf16 weights in the file; goldens from those weights upcast to f32.
    "gemma3-bf16": dict(
        cls="Gemma3TextConfig", seed=5, dtype="bf16", shards=1,
        config=dict(hidden_size=64, intermediate_size=96, num_hidden_layers=6,
                    num_attention_heads=4, num_key_value_heads=1, head_dim=32,
                    sliding_window=5, query_pre_attn_scalar=32,
                    rope_parameters={
                        "full_attention": {"rope_type": "default", "rope_theta": 1000000.0},
                        "sliding_attention": {"rope_type": "default", "rope_theta": 10000.0},
                    })),
}

MODEL_CLASSES = {
    "GemmaConfig": "GemmaForCausalLM",
    "Gemma2Config": "Gemma2ForCausalLM",
    "Gemma3TextConfig": "Gemma3ForCausalLM",
}


def randomize(model, generator):
    with torch.no_grad():
        for name, p in model.named_parameters():
            if name.endswith("norm.weight"):
                p.copy_(torch.randn(p.shape, generator=generator) * 0.3)
            elif "embed_tokens" in name:
                p.copy_(torch.randn(p.shape, generator=generator) * 0.3)
            else:  # Linear [out, in]
                p.copy_(torch.randn(p.shape, generator=generator) / math.sqrt(p.shape[1]))


def save_weights(state, folder, dtype, shards):
    state = {k: v.contiguous() for k, v in state.items() if k != "lm_head.weight"}
    if dtype == "bf16":
        state = {k: v.to(torch.bfloat16) for k, v in state.items()}
    if shards == 1:
        save_file(state, str(folder / "model.safetensors"), metadata={"format": "pt"})
        return
    names = sorted(state)
    weight_map = {}
    for s in range(shards):
        part = names[s::shards]
        file = f"model-{s + 1:05d}-of-{shards:05d}.safetensors"
        save_file({k: state[k] for k in part}, str(folder / file), metadata={"format": "pt"})
        weight_map.update({k: file for k in part})
    index = {"metadata": {"total_size": sum(v.numel() * v.element_size() for v in state.values())},
             "weight_map": weight_map}
    (folder / "model.safetensors.index.json").write_text(json.dumps(index, indent=2) + "\n")


def build(name, spec, out):
    folder = out / name
    folder.mkdir(parents=True, exist_ok=True)
    config_cls = getattr(transformers, spec["cls"])
    config = config_cls(vocab_size=VOCAB, attn_implementation="eager", **spec["config"])
    config.dtype = "float32"
    model = getattr(transformers, MODEL_CLASSES[spec["cls"]])(config).float().eval()
    generator = torch.Generator().manual_seed(spec["seed"])
    randomize(model, generator)
    if spec["dtype"] == "bf16":  # the oracle runs on exactly the weights stored in the file
        with torch.no_grad():
            for p in model.parameters():
                p.copy_(p.to(torch.bfloat16).float())
    save_weights(model.state_dict(), folder, spec["dtype"], spec["shards"])
    config.save_pretrained(folder)

    goldens = {}
    with torch.no_grad():
        for i, length in enumerate(SEQUENCE_LENGTHS):
            ids = torch.randint(4, VOCAB, (1, length), generator=generator)
            ids[0, 0] = 2  # BOS
            logits = model(input_ids=ids, use_cache=False).logits[0].float()
            goldens[f"tokens_{i}"] = ids[0].to(torch.int32).contiguous()
            goldens[f"logits_{i}"] = logits.contiguous()
            top2 = logits.topk(2, dim=-1).values
            print(f"{name}: sequence {i} ({length} tokens), logits std {logits.std():.2f}, "
                  f"smallest top-2 gap {(top2[:, 0] - top2[:, 1]).min():.2e}")
    save_file(goldens, str(folder / "golden.safetensors"),
              metadata={"transformers": transformers.__version__, "torch": torch.__version__})


def main():
    out = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else "tests/fixtures/tiny")
    torch.manual_seed(0)
    for name, spec in FIXTURES.items():
        build(name, spec, out)
    print(f"wrote {len(FIXTURES)} fixtures under {out} "
          f"(transformers {transformers.__version__}, torch {torch.__version__})")


if __name__ == "__main__":
    main()
