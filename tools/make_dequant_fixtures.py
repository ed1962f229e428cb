#!/usr/bin/env python3
"""Writes GGUF dequantization fixtures whose expected values come from gguf-py, not from us.

Run by hand (needs numpy, torch, safetensors and gguf from PyPI, plus the Gemma 3 270M
Q4_K_M file; CI does not):

    python3 tools/make_dequant_fixtures.py tests/fixtures/dequant [--gguf PATH]

It writes two files to <out>:
    blocks.gguf            a GGUF (architecture "dequant-fixture") holding raw tensors
    expected.safetensors   for every tensor of blocks.gguf, float32 [rows, ne0] (PyTorch
                           order) = gguf.quants.dequantize(raw bytes, type)
Tensor names are "<TYPE>.real" and "<TYPE>.random":
    <TYPE>.real    TYPE in F32, Q8_0, Q5_0, Q4_K, Q6_K (the types the 270M file uses): the
                   raw bytes of the first 2 rows of the first tensor of that type in the
                   file, same ne0 as the source. The file has no 2-D F32 tensor, so F32.real
                   is one row: the first 1-D norm weight. The source of each is recorded in
                   the safetensors metadata (key = tensor name).
    <TYPE>.random  TYPE in F32, F16, BF16, Q8_0, Q4_0, Q5_0, Q4_K, Q5_K, Q6_K: 3 rows of
                   ne0 = 512 (two 256-element super-blocks, sixteen 32-element blocks).
Random blocks are random bytes, except that every fp16 scale field (d, and dmin for the
K-quants) is overwritten with a random finite fp16 of magnitude in [1e-3, 1e-1] and random
sign: random bytes there would give NaN/Inf (and huge values) that say nothing about the
decoder. Every other bit (quants, high bits, packed 6-bit scales/mins, int8 sub-scales)
stays random, so all code paths of the unpacking see arbitrary patterns, unlike the real
rows whose quants come from a quantizer. Float tensors are random normal values.

The script re-reads blocks.gguf with gguf.GGUFReader and checks that every tensor's type,
shape and bytes round-trip, and that no expected value is NaN/Inf. Deterministic: numpy
Generator with a fixed seed.
"""
import argparse
import json
import pathlib
from importlib.metadata import version

import numpy as np
import torch
import gguf
from gguf import GGMLQuantizationType as QT
from gguf.quants import dequantize
from fixture_io import default_gguf, sha256_file, save_safetensors

SEED = 20240601
RANDOM_ROWS = 3
RANDOM_NE0 = 512  # multiple of 32 (legacy blocks) and of 256 (K-quant super-blocks)
REAL_ROWS = 2

REAL_TYPES = ("F32", "Q8_0", "Q5_0", "Q4_K", "Q6_K")
RANDOM_TYPES = ("F32", "F16", "BF16", "Q8_0", "Q4_0", "Q5_0", "Q4_K", "Q5_K", "Q6_K")

# Byte offsets of the fp16 scale fields inside one block, per type (GGML layouts):
#   Q8_0  34 B: half d, int8 qs[32]
#   Q4_0  18 B: half d, u8 qs[16]
#   Q5_0  22 B: half d, u8 qh[4], u8 qs[16]
#   Q4_K 144 B: half d, half dmin, u8 scales[12], u8 qs[128]
#   Q5_K 176 B: half d, half dmin, u8 scales[12], u8 qh[32], u8 qs[128]
#   Q6_K 210 B: u8 ql[128], u8 qh[64], int8 scales[16], half d   (d is last)
FP16_FIELDS = {
    "Q8_0": (0,),
    "Q4_0": (0,),
    "Q5_0": (0,),
    "Q4_K": (0, 2),
    "Q5_K": (0, 2),
    "Q6_K": (208,),
}
EXPECTED_BLOCK_BYTES = {"Q8_0": 34, "Q4_0": 18, "Q5_0": 22, "Q4_K": 144, "Q5_K": 176, "Q6_K": 210}


def random_scales(rng, n):
    """n random finite fp16 values with |x| in [1e-3, 1e-1] (log-uniform) and random sign."""
    mag = np.exp(rng.uniform(np.log(1e-3), np.log(1e-1), n))
    sign = np.where(rng.random(n) < 0.5, -1.0, 1.0)
    return (sign * mag).astype(np.float16)


def random_float_rows(rng, type_name):
    """Random normal values as raw bytes [rows, bytes_per_row] for F32 / F16 / BF16."""
    values = rng.standard_normal((RANDOM_ROWS, RANDOM_NE0)).astype(np.float32)
    if type_name == "F32":
        raw = values
    elif type_name == "F16":
        raw = values.astype(np.float16)
    else:  # BF16: keep the top 16 bits of the float32 pattern (always finite for N(0,1))
        raw = (values.view(np.uint32) >> 16).astype(np.uint16)
    return np.ascontiguousarray(raw).view(np.uint8).reshape(RANDOM_ROWS, -1)


def random_quant_rows(rng, type_name):
    qtype = QT[type_name]
    block_elems, block_bytes = gguf.GGML_QUANT_SIZES[qtype]
    assert block_bytes == EXPECTED_BLOCK_BYTES[type_name], (type_name, block_bytes)
    n_blocks = RANDOM_ROWS * RANDOM_NE0 // block_elems
    blocks = rng.integers(0, 256, (n_blocks, block_bytes), dtype=np.uint8)
    for offset in FP16_FIELDS[type_name]:
        scales = random_scales(rng, n_blocks)
        blocks[:, offset:offset + 2] = scales.view(np.uint8).reshape(n_blocks, 2)
    return blocks.reshape(RANDOM_ROWS, -1)


def real_rows(reader, type_name):
    """Raw bytes [rows, bytes_per_row] of the first rows of the first tensor of a type."""
    qtype = QT[type_name]
    candidates = [t for t in reader.tensors if t.tensor_type == qtype]
    if type_name == "F32":  # prefer a 2-D tensor; the 270M file has only 1-D norms
        two_d = [t for t in candidates if len(t.shape) >= 2]
        candidates = two_d or candidates
    if not candidates:
        raise SystemExit(f"no {type_name} tensor in the GGUF file")
    t = candidates[0]
    ne0 = int(t.shape[0])
    n_rows = 1 if len(t.shape) == 1 else REAL_ROWS
    block_elems, block_bytes = gguf.GGML_QUANT_SIZES[qtype]
    row_bytes = ne0 // block_elems * block_bytes
    flat = np.asarray(t.data).reshape(-1).view(np.uint8)
    raw = flat[:n_rows * row_bytes].copy().reshape(n_rows, row_bytes)
    shape = "x".join(str(int(d)) for d in t.shape)
    source = f"{t.name} ({type_name}, ne={shape}): rows 0..{n_rows - 1}, ne0={ne0}"
    return raw, source


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("out", nargs="?", default="tests/fixtures/dequant")
    parser.add_argument("--gguf", help="path of gemma-3-270m-q4_k_m.gguf (default: assemble())")
    args = parser.parse_args()
    out = pathlib.Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    gguf_path = pathlib.Path(args.gguf) if args.gguf else pathlib.Path(default_gguf())
    gguf_sha = sha256_file(gguf_path)

    reader = gguf.GGUFReader(str(gguf_path))
    rng = np.random.default_rng(SEED)
    tensors = {}  # name -> (type name, raw uint8 [rows, bytes_per_row])
    sources = {}
    for type_name in REAL_TYPES:
        raw, source = real_rows(reader, type_name)
        tensors[f"{type_name}.real"] = (type_name, raw)
        sources[f"{type_name}.real"] = source
    for type_name in RANDOM_TYPES:
        if type_name in ("F32", "F16", "BF16"):
            raw = random_float_rows(rng, type_name)
        else:
            raw = random_quant_rows(rng, type_name)
        tensors[f"{type_name}.random"] = (type_name, raw)
    del reader

    blocks_path = out / "blocks.gguf"
    writer = gguf.GGUFWriter(str(blocks_path), "dequant-fixture")
    writer.add_string("general.description",
                      "raw GGML blocks; expected float32 values in expected.safetensors")
    expected = {}
    for name, (type_name, raw) in tensors.items():
        # A uint8 array with raw_dtype: the writer turns the byte shape [rows, bytes]
        # into the element shape [rows, ne0] and stores it as ne = (ne0, rows).
        writer.add_tensor(name, raw, raw_dtype=QT[type_name])
        values = dequantize(raw, QT[type_name]).astype(np.float32)
        assert values.shape[0] == raw.shape[0], (name, values.shape)
        if not np.isfinite(values).all():
            raise SystemExit(f"{name}: non-finite expected value")
        expected[name] = torch.from_numpy(np.ascontiguousarray(values))
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()

    metadata = {"gguf_py": version("gguf"),
                "source_gguf_sha256": gguf_sha, "seed": str(SEED)}
    metadata.update(sources)
    save_safetensors(expected, str(out / "expected.safetensors"), metadata=metadata)

    # Round trip: types, shapes (GGUF order ne0 first) and bytes as written.
    check = gguf.GGUFReader(str(blocks_path))
    seen = set()
    for t in check.tensors:
        type_name, raw = tensors[t.name]
        assert t.tensor_type == QT[type_name], (t.name, t.tensor_type)
        ne = [int(d) for d in t.shape]
        assert ne == [expected[t.name].shape[1], expected[t.name].shape[0]], (t.name, ne)
        got = np.asarray(t.data).reshape(-1).view(np.uint8).tobytes()
        assert got == raw.tobytes(), t.name
        again = dequantize(np.frombuffer(got, np.uint8).reshape(raw.shape), QT[type_name])
        assert np.array_equal(again, expected[t.name].numpy()), t.name
        seen.add(t.name)
    assert seen == set(tensors), set(tensors) - seen

    for name, values in expected.items():
        v = values.numpy()
        print(f"{name:12s} {tensors[name][0]:5s} [{v.shape[0]}, {v.shape[1]:4d}] "
              f"{tensors[name][1].nbytes:5d} B  |max| {np.abs(v).max():9.4g}  "
              f"{sources.get(name, '')}")
    sizes = {p.name: p.stat().st_size for p in sorted(out.iterdir())}
    print(f"wrote {len(tensors)} tensors to {out}: {sizes} (round trip OK, all finite)")


if __name__ == "__main__":
    main()
