#!/usr/bin/env python3
"""Runs the environment benchmarks and their peers back to back, alternating, and writes
bench/results/env-cartpole.json and bench/results/env-spread.json.

Each round runs `node bin/osmosis.js bench env-X --json` and then bench/python/env_speed.py for
the same env, so every osmosis/peer ratio comes from the same minutes of a shared machine; the
load average before each process is recorded beside it. Rates come per wall-clock second and per
second of the process's own CPU time; on a shared machine the second is the steadier ratio. Needs dist/ (npm run build) and a venv
with gymnasium, pettingzoo and numpy (see docs/benchmarks.md).

Usage: /work/.venv-rl/bin/python bench/python/run_env_twins.py [--rounds 3] [--py-steps 50000]
       [--spread-steps 2000]
"""
import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
from datetime import datetime, timezone

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def json_lines(cmd):
    load = os.getloadavg()[0]
    out = subprocess.run(cmd, cwd=ROOT, check=True, capture_output=True, text=True).stdout
    return [dict(json.loads(line), loadAverage1m=load) for line in out.splitlines() if line.strip()]


def cpu_model():
    try:
        with open("/proc/cpuinfo") as f:
            return next(line.split(":", 1)[1].strip() for line in f if line.startswith("model name"))
    except (OSError, StopIteration):
        return platform.processor()


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--py-steps", type=int, default=50_000)
    p.add_argument("--spread-steps", type=int, default=2_000)
    a = p.parse_args()
    py = [sys.executable, "bench/python/env_speed.py"]
    node = ["node", "bin/osmosis.js", "bench"]
    results = {"env-cartpole": [], "env-spread": []}
    for r in range(a.rounds):
        ours = json_lines(node + ["env-cartpole", "--json"])[0]
        peers = json_lines(py + ["--only", "cartpole", "--steps", str(a.py_steps)])
        results["env-cartpole"].append({"round": r, "osmosis": ours, "peers": peers})
        ours = json_lines(node + ["env-spread", "--json"])[0]
        peers = json_lines(py + ["--only", "spread", "--spread-steps", str(a.spread_steps)])
        results["env-spread"].append({"round": r, "osmosis": ours, "peers": peers})
        print(f"round {r + 1}/{a.rounds} done", file=sys.stderr, flush=True)

    machine = {"cpu": cpu_model(), "cpus": os.cpu_count(), "python": platform.python_version(),
               "date": datetime.now(timezone.utc).isoformat(timespec="seconds")}
    for name, rounds in results.items():
        ratios = {"wall": {}, "cpu": {}}
        for rd in rounds:
            rd["ratios"] = {"wall": {}, "cpu": {}}
            for peer in rd["peers"]:
                # Like for like: make()'s wrapped CartPole against gymnasium.make's wrappers.
                wrapped = "wrapped" if peer["backend"] == "gymnasium-make" else ""
                for clock, key in (("wall", "median"), ("cpu", "cpuMedian")):
                    ours_key = f"wrapped{key[0].upper()}{key[1:]}" if wrapped else key
                    r = rd["osmosis"][ours_key] / peer[key]
                    rd["ratios"][clock][peer["backend"]] = r
                    ratios[clock].setdefault(peer["backend"], []).append(r)
        doc = {
            "benchmark": name,
            "generator": "bench/python/run_env_twins.py",
            "ratio": "osmosis throughput / peer throughput per round (same minutes), higher is "
                     "better; 'wall' per wall-clock second, 'cpu' per second of process CPU time",
            "machine": machine,
            "medianRatios": {clock: {k: statistics.median(v) for k, v in by.items()}
                             for clock, by in ratios.items()},
            "rounds": rounds,
        }
        path = os.path.join(ROOT, "bench", "results", f"{name}.json")
        tmp = path + ".tmp"
        with open(tmp, "w") as f:
            json.dump(doc, f, indent=2)
            f.write("\n")
        os.replace(tmp, path)
        print(f"{name}: median ratios {doc['medianRatios']}", file=sys.stderr)


if __name__ == "__main__":
    main()
