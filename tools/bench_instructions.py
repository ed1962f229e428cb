#!/usr/bin/env python3
"""Instruction counts of gemmeter's benchmarks under valgrind's callgrind.

Wall time on a shared machine moves by tens of percent from run to run; the number of
instructions a kernel executes does not: for one binary and one input it is the same on
every run (one thread, OpenMP workers told to sleep rather than spin). A change that adds
work shows up as a larger count however busy the machine is. What counts miss: memory
stalls and instruction mix (a change that makes the same work slower), so the time gate
(`gemmeter compare bench` on timed repetitions) stays the reference when the machine is
quiet.

gemmeter_bench brackets each benchmark's timed loop with callgrind client requests
(bench_common.h: InstructionCountStart/Stop) and dumps the count as
"gemmeter <benchmark> iterations=<n>"; this script runs it under
`valgrind --tool=callgrind --instr-atstart=no`, reads the dumps and writes gemmeter's
benchmark report (reports/schemas/benchmark.schema.json; provenance from gemmeter_bench's
own --report) with an `instructions` field (per iteration) in each entry, for

  gemmeter compare bench --metric instructions BASE.json NEW.json

Under valgrind the CPU reports no AVX-512 (valgrind 3.19 does not emulate it), so the
AVX2 kernels are the ones counted. Run by hand or in CI (valgrind is a Debian package):

  python3 tools/bench_instructions.py --profile quick --out instructions.json
"""
import argparse
import glob
import json
import os
import re
import subprocess
import sys
import tempfile
import time

DUMP_LABEL = re.compile(r"^desc: Trigger: Client Request: gemmeter (\S+) iterations=(\d+)$")


def read_dumps(folder):
    """{benchmark: instructions per iteration}, from the dump with the most iterations."""
    best = {}
    for path in glob.glob(os.path.join(folder, "callgrind.out*")):
        name = iterations = total = None
        with open(path, errors="replace") as f:
            for line in f:
                m = DUMP_LABEL.match(line.strip())
                if m:
                    name, iterations = m.group(1), int(m.group(2))
                elif line.startswith("summary:") or line.startswith("totals:"):
                    total = int(line.split()[1])
        if name is None or total is None or iterations == 0:
            continue
        if name not in best or iterations > best[name][0]:
            best[name] = (iterations, total / iterations)
    return {name: per_iteration for name, (_, per_iteration) in best.items()}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--profile", choices=["quick", "full"], default="quick",
                        help="gemmeter_bench's --profile (quick: its regression-gate set)")
    parser.add_argument("--filter", help="a benchmark filter instead of the profile's")
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    parser.add_argument("--build", default=os.path.join(root, "build"))
    parser.add_argument("--out", default="instructions.json")
    args = parser.parse_args()
    bench = os.path.join(args.build, "bench", "gemmeter_bench")
    if not os.path.exists(bench):
        sys.exit("{} not found: build gemmeter first (bash tools/setup.sh)".format(bench))
    selection = ["--benchmark_filter=" + args.filter] if args.filter else ["--profile=" + args.profile]
    env = dict(os.environ, OMP_NUM_THREADS="1", OMP_WAIT_POLICY="passive")
    start = time.time()
    with tempfile.TemporaryDirectory() as folder:
        # One repetition: a count per iteration does not vary (the library still runs each
        # benchmark a few times while sizing it; the dump with the most iterations is kept).
        argv = ["valgrind", "--tool=callgrind", "--instr-atstart=no",
                "--callgrind-out-file=" + os.path.join(folder, "callgrind.out.%p"),
                bench, "--no_calibration", "--threads=1", *selection,
                "--benchmark_repetitions=1", "--report", os.path.join(folder, "run.json")]
        proc = subprocess.run(argv, env=env, capture_output=True, text=True)
        if proc.returncode != 0:
            sys.exit("valgrind failed:\n{}".format(proc.stderr[-2000:]))
        counts = read_dumps(folder)
        with open(os.path.join(folder, "run.json")) as f:
            report = json.load(f)
    if not counts:
        sys.exit("no benchmark counted (no match, or gemmeter_bench was built without "
                 "valgrind/callgrind.h)")
    version = subprocess.run(["valgrind", "--version"], capture_output=True, text=True).stdout.strip()
    # The timed run's report, its entries replaced by the counts (its times under valgrind
    # mean nothing).
    report["profile"] = "instructions"
    report["provenance"]["command"] = " ".join(argv[argv.index(bench):])
    report["instruction_counts"] = {"tool": version, "selection": selection, "threads": 1,
                                    "seconds": round(time.time() - start, 1)}
    report["benchmarks"] = [{"name": name, "run_name": name, "run_type": "iteration",
                             "repetitions": 1, "repetition_index": 0, "iterations": 1,
                             "real_time": 0, "time_unit": "ns", "instructions": round(count, 1)}
                            for name, count in sorted(counts.items())]
    with open(args.out, "w") as f:
        json.dump(report, f, indent=1)
    print("{} benchmarks in {:.0f} s -> {}".format(len(counts), time.time() - start, args.out))


if __name__ == "__main__":
    main()
