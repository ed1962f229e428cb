#!/usr/bin/env python3
"""Throughput on a shared CPU: gemmeter and llama.cpp, quiet and beside busy processes.

CI runners and desktops run other work beside an evaluation. This measures how much of
its quiet speed each engine keeps when other processes compete for the cores, in one
run on the same GGUF file and thread count. For each load level the script starts its
own competing load (busy-looping processes, `--loads`, in processes per core: 0 = quiet),
waits a second for the scheduler to settle, measures, and stops the load:

  gemmeter   `gemmeter bench -p 512 -n 128` (pp512: one forward of 512 prompt tokens;
             tg128: 128 tokens decoded one at a time), each given --gemmeter binary
  llama.cpp  the same two tests through llama-cpp-python's API (tools/bench_vs_llamacpp.py)

With L busy processes per core and T engine threads on C cores, a fair scheduler gives
the engine T / (T + L C) of the machine: 2 threads, 2 cores and L = 2 leave 33%. The
figure that matters is each test's rate under load as a fraction of its quiet rate.

The output (--out) is a gemmeter benchmark report (reports/schemas/benchmark.schema.json):
entries <engine>/<load>/<test> with `tokens_per_second` per repetition and median/min/max
aggregates, and a `contention` block with the fractions of the quiet medians. Run by
hand, never in CI (minutes, and it loads the machine on purpose):

  python3 tools/bench_contention.py --threads 2 --repetitions 3 --out contention.json
  python3 tools/bench_contention.py --gemmeter new=build/cli/gemmeter \\
      --gemmeter old=/tmp/gemmeter-old --no-llama --out before_after.json
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench_vs_llamacpp import LlamaCpp, benchmark_entries, default_model, sha256  # noqa: E402

TESTS = ("pp512", "tg128")


class BusyLoad:
    """`count` processes that spin on a core each until stopped."""

    def __init__(self, count):
        self.procs = [subprocess.Popen([sys.executable, "-c", "while True: pass"])
                      for _ in range(count)]
        time.sleep(1.0 if count else 0.0)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        for p in self.procs:
            p.kill()
        for p in self.procs:
            p.wait()


def run_gemmeter(binary, model, threads, repetitions):
    """{test: [tokens/s per repetition]} and the report of one `gemmeter bench` run."""
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "bench.json")
        argv = [binary, "--threads", str(threads), "bench", "--model", model, "-p", "512",
                "-n", "128", "-r", str(repetitions), "--warmup", "1", "--out", path]
        proc = subprocess.run(argv, capture_output=True, text=True)
        if proc.returncode != 0:
            raise RuntimeError("{} failed: {}".format(binary, proc.stderr[-800:]))
        with open(path) as f:
            report = json.load(f)
    results = {}
    for b in report["benchmarks"]:
        if b.get("run_type") == "iteration":
            test = b["name"].rsplit("/", 1)[-1]
            results.setdefault(test, []).append(b["tokens_per_second"])
    return results, report


def run_llama(llama, repetitions):
    results = {"pp512": [], "tg128": []}
    llama.pp512()  # warm-up, as gemmeter's --warmup 1
    llama.tg128()
    for _ in range(repetitions):
        results["pp512"].append(llama.pp512())
        results["tg128"].append(llama.tg128())
    return results


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", help="GGUF file (default: the PyPI Gemma 3 270M Q4_K_M)")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--repetitions", type=int, default=3)
    parser.add_argument("--loads", default="0,1,2",
                        help="busy processes per core, comma-separated (0 = quiet; must include 0)")
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    parser.add_argument("--gemmeter", action="append", metavar="NAME=PATH",
                        help="a gemmeter binary to measure, repeatable "
                             "(default: gemmeter=build/cli/gemmeter)")
    parser.add_argument("--no-llama", action="store_true", help="skip llama.cpp")
    parser.add_argument("--out", default="contention.json")
    args = parser.parse_args()
    model = args.model or default_model()
    loads = [int(x) for x in args.loads.split(",")]
    if 0 not in loads:
        sys.exit("--loads must include 0 (the quiet rates the fractions are relative to)")
    binaries = {}
    for spec in args.gemmeter or ["gemmeter=" + os.path.join(root, "build", "cli", "gemmeter")]:
        name, _, path = spec.partition("=")
        if not path or not os.path.exists(path):
            sys.exit("--gemmeter {}: expected NAME=PATH of an existing binary".format(spec))
        binaries[name] = path
    cores = os.cpu_count()

    llama = None if args.no_llama else LlamaCpp(model, args.threads)
    samples = {}  # (engine, load, test) -> [tokens/s]
    context = None
    for load in loads:
        with BusyLoad(load * cores):
            for name, path in binaries.items():
                results, context = run_gemmeter(path, model, args.threads, args.repetitions)
                for test in TESTS:
                    samples[(name, load, test)] = results[test]
            if llama is not None:
                for test, values in run_llama(llama, args.repetitions).items():
                    samples[("llama.cpp", load, test)] = values
        print("load {} per core done".format(load), file=sys.stderr)
        time.sleep(2.0)  # llama.cpp's and our idle threads stop spinning before the next level

    def label(load):
        return "quiet" if load == 0 else "busy{}x".format(load)

    medians = {k: statistics.median(v) for k, v in samples.items()}
    fractions = {}
    for (engine, load, test), med in medians.items():
        if load != 0:
            fractions["{}/{}/{}".format(engine, label(load), test)] = med / medians[(engine, 0, test)]
    provenance = dict(context["provenance"])
    provenance.update({"command": " ".join([os.path.basename(sys.argv[0])] + sys.argv[1:]),
                       "threads": args.threads, "model": model, "model_sha256": sha256(model)})
    report = {
        "schema_version": 1,
        "kind": "benchmark",
        "provenance": provenance,
        "profile": "contention",
        "devices": context["devices"],
        "benchmarks": benchmark_entries(
            {"{}/{}/{}".format(e, label(l), t): v for (e, l, t), v in samples.items()}),
        "contention": {
            "cores": cores,
            "busy_processes_per_core": loads,
            "fair_share": {label(l): args.threads / (args.threads + l * cores) for l in loads},
            "gemmeter_binaries": binaries,
            "llama_cpp_python": None if llama is None else llama.version,
            "fraction_of_quiet_median": fractions,
        },
    }
    with open(args.out, "w") as f:
        json.dump(report, f, indent=1)

    print("\n{} threads on {} cores, {} repetitions, {}".format(
        args.threads, cores, args.repetitions, os.path.basename(model)))
    print("{:<12} {:<8} {:>7} {:>10} {:>18} {:>9} {:>6}".format(
        "engine", "load", "test", "tok/s", "min..max", "of quiet", "fair"))
    for (engine, load, test), values in sorted(samples.items(), key=lambda kv: (kv[0][2], kv[0][0], kv[0][1])):
        fair = args.threads / (args.threads + load * cores)
        print("{:<12} {:<8} {:>7} {:>10.1f} {:>8.1f}..{:<9.1f} {:>8.0%} {:>6.0%}".format(
            engine, label(load), test, medians[(engine, load, test)], min(values), max(values),
            medians[(engine, load, test)] / medians[(engine, 0, test)], fair))
    print("report: " + args.out)


if __name__ == "__main__":
    main()
