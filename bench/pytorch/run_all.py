#!/usr/bin/python3
"""Runs the PyTorch reference benchmarks in their thread variants and writes bench/results/.

    /usr/bin/python3 bench/pytorch/run_all.py                      # everything
    /usr/bin/python3 bench/pytorch/run_all.py --only gpt_step --variants blas2_torch1

Variants: `blasB_torchT` means OPENBLAS_NUM_THREADS=B and torch.set_num_threads(T). The reference
for comparisons is blas2_torch1.

Built for a machine shared with other work. Each repeat is a fresh process; around it the script
reads /proc/stat and the child's rusage, so it knows how much CPU *other* processes in this machine
used while the benchmark ran (`others_cpu`, a fraction of all cores). A repeat is clean when
others_cpu is below --clean-threshold. Per variant it runs at least --repeats repeats and keeps
going (up to --max-repeats) until --clean of them are clean. Then, per record, it keeps the lowest
median over all repeats: contention only ever adds time, and it can come from outside the machine
(a virtual CPU that is not scheduled on the host counts as busy here; repeats with others_cpu near
0 have measured twice as slow as contended ones), so the lowest median is the best estimate of the
quiet-machine number. Every repeat's median and others_cpu are kept in `repeats`.

Results are merged into the existing bench/results/pytorch-*.json: variants not rerun are kept.
"""

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
PYTHON = "/usr/bin/python3"  # Debian's torch lives in the system interpreter, not pyenv's
CLK_TCK = os.sysconf("SC_CLK_TCK")

BENCHES = {
    "gemm": {"script": "gemm.py", "out": "pytorch-gemm.json", "variants": [(2, 1), (1, 1)]},
    "gpt_step": {"script": "gpt_step.py", "out": "pytorch-gpt-step.json", "variants": [(2, 1), (1, 1), (2, 2)]},
    "mlp_step": {"script": "mlp_step.py", "out": "pytorch-mlp-step.json", "variants": [(2, 1), (1, 1)]},
}
REFERENCE = "blas2_torch1"


def machine_busy_seconds():
    with open("/proc/stat") as f:
        vals = [int(v) for v in f.readline().split()[1:]]
    idle = vals[3] + vals[4]  # idle + iowait
    return (sum(vals[:8]) - idle) / CLK_TCK  # guest time is already inside user


def children_cpu_seconds():
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def cpu_busy(seconds=1.0):
    """Fraction of all cores busy over the next `seconds`."""
    b0 = machine_busy_seconds()
    time.sleep(seconds)
    return (machine_busy_seconds() - b0) / (seconds * os.cpu_count())


def wait_idle(threshold, max_wait):
    start = time.time()
    busy = cpu_busy()
    while busy > threshold and time.time() - start < max_wait:
        time.sleep(2)
        busy = cpu_busy()
    return busy


def run_once(script, blas, torch_threads, extra, nice):
    env = dict(os.environ, OPENBLAS_NUM_THREADS=str(blas))
    env.pop("OMP_NUM_THREADS", None)
    cmd = [PYTHON, os.path.join(HERE, script), "--threads", str(torch_threads), *extra]
    if nice:
        cmd = ["nice", "-n", str(nice), *cmd]  # negative values need root
    b0, c0, t0 = machine_busy_seconds(), children_cpu_seconds(), time.time()
    out = subprocess.run(cmd, env=env, capture_output=True, text=True, check=True)
    wall = time.time() - t0
    others = (machine_busy_seconds() - b0) - (children_cpu_seconds() - c0)
    if out.stderr.strip():
        print(out.stderr.strip(), file=sys.stderr)
    doc = json.loads(out.stdout)
    return doc, max(0.0, others / (wall * os.cpu_count()))


def best_of(runs):
    """Per record name, the repeat with the lowest median."""
    pool = list(range(len(runs)))
    best = json.loads(json.dumps(runs[pool[0]][0]))
    for i in range(len(best["records"])):
        pick = min(pool, key=lambda j: runs[j][0]["records"][i]["median"])
        chosen = dict(runs[pick][0]["records"][i])
        chosen["chosen_repeat"] = pick
        chosen["others_cpu_of_chosen"] = round(runs[pick][1], 3)
        best["records"][i] = chosen
        best["env"] = runs[pick][0]["env"]
    best["peakRssMb"] = max(r[0]["peakRssMb"] for r in runs)
    return best


def write_json(path, doc):
    """Atomic write; formatted with the repo's prettier when it is installed, so
    `npm run format:check` passes on the committed file."""
    text = json.dumps(doc) + "\n"
    prettier = os.path.join(ROOT, "node_modules", ".bin", "prettier")
    if os.path.exists(prettier) and shutil.which("node"):
        text = subprocess.run(
            [prettier, "--stdin-filepath", "results.json"], input=text, cwd=ROOT, capture_output=True, text=True, check=True
        ).stdout
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        f.write(text)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def run_variant(name, spec, blas, th, args, extra):
    runs, repeats, clean = [], [], []
    while len(runs) < args.max_repeats and (len(runs) < args.repeats or len(clean) < args.clean):
        busy = wait_idle(args.idle_threshold, args.max_wait)
        doc, others = run_once(spec["script"], blas, th, extra, args.nice)
        runs.append((doc, others))
        if others < args.clean_threshold:
            clean.append(len(runs) - 1)
        repeats.append(
            {
                "medians": {x["name"]: x["median"] for x in doc["records"]},
                "cpu_medians": {x["name"]: x.get("cpu_median") for x in doc["records"]},
                "others_cpu": round(others, 3),
                "busy_before": round(busy, 3),
                "date_utc": doc["env"]["date_utc"],
            }
        )
        meds = ", ".join(f"{x['name']}={x['median']:.4g}{x['unit']} (cpu {x['cpu_median']:.4g})" for x in doc["records"])
        print(f"{name} blas{blas}_torch{th} #{len(runs) - 1}: {meds}; others used {others:.2f} of the CPUs", file=sys.stderr)
    return {
        "name": f"blas{blas}_torch{th}",
        "OPENBLAS_NUM_THREADS": blas,
        "torch_threads": th,
        "nice": args.nice,
        "clean_repeats": len(clean),
        "clean_threshold": args.clean_threshold,
        "repeats": repeats,
        "result": best_of(runs),
    }


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--only", default=",".join(BENCHES), help="comma-separated subset of " + ",".join(BENCHES))
    p.add_argument("--variants", default=None, help="comma-separated subset, e.g. blas2_torch1")
    p.add_argument("--repeats", type=int, default=3, help="minimum repeats per variant")
    p.add_argument("--clean", type=int, default=2, help="clean repeats wanted per variant")
    p.add_argument("--max-repeats", type=int, default=8)
    p.add_argument("--clean-threshold", type=float, default=0.1, help="max others_cpu for a clean repeat")
    p.add_argument("--idle-threshold", type=float, default=0.3, help="max busy fraction to start a run")
    p.add_argument("--max-wait", type=float, default=60, help="seconds to wait for idle CPUs per run")
    p.add_argument("--nice", type=int, default=0, help="run each benchmark under `nice -n N`")
    p.add_argument("--out-dir", default=os.path.join(ROOT, "bench", "results"))
    p.add_argument("--steps", type=int, default=None, help="override every script's --steps (smoke runs)")
    p.add_argument("--warmup", type=int, default=None)
    args = p.parse_args()

    extra = []
    if args.steps is not None:
        extra += ["--steps", str(args.steps)]
    if args.warmup is not None:
        extra += ["--warmup", str(args.warmup)]
    wanted = set(args.variants.split(",")) if args.variants else None

    for name in args.only.split(","):
        spec = BENCHES[name]
        path = os.path.join(args.out_dir, spec["out"])
        old = {}
        if os.path.exists(path):
            with open(path) as f:
                old = {v["name"]: v for v in json.load(f).get("variants", [])}
        variants = []
        for blas, th in spec["variants"]:
            vname = f"blas{blas}_torch{th}"
            if wanted is not None and vname not in wanted:
                if vname in old:
                    variants.append(old[vname])
                continue
            variants.append(run_variant(name, spec, blas, th, args, extra))
            doc = {
                "benchmark": name,
                "backend": "pytorch",
                "generator": f"bench/pytorch/run_all.py (runs bench/pytorch/{spec['script']})",
                "reference_variant": REFERENCE,
                "selection": "per record, the lowest median over all repeats (fresh processes); "
                "others_cpu_of_chosen says how contended the chosen one was",
                "variants": variants + [v for k, v in old.items() if k not in {x["name"] for x in variants}],
            }
            os.makedirs(args.out_dir, exist_ok=True)
            write_json(path, doc)  # after every variant, so an interrupted run keeps its results


if __name__ == "__main__":
    main()
