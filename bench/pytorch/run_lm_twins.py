#!/usr/bin/env python3
"""Runs `osmosis bench lora-step` / `generate` and their PyTorch twins in alternating same-minute
rounds and writes bench/results/lora-step.json and bench/results/generate.json.

Each round runs every variant of one benchmark back to back (Osmosis first on odd rounds, the
twins first on even ones), each a fresh process, with the load average before each recorded
beside its record. On a machine shared with other work only same-round ratios mean much, so the
summary gives, per pair of variants, the median over rounds of the per-round ratio.

The twins need transformers and peft: they run with /work/.venv-hf/bin/python (torch 2.13 on
MKL). Osmosis runs through `node bin/osmosis.js` (needs dist/: npm run build).

    python3 bench/pytorch/run_lm_twins.py --rounds 3
    python3 bench/pytorch/run_lm_twins.py --only generate --rounds 2
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)
from run_all import write_json  # noqa: E402

VENV = "/work/.venv-hf/bin/python"
NODE = ["node", "bin/osmosis.js", "bench"]

# Variants per benchmark. One thread everywhere (`t1`) is the comparison that survives a loaded
# machine: its CPU time is the quiet-machine wall time, where a two-thread run's wall time
# depends on when the other jobs let both threads run (MKL's and the worker pool's spinning make
# that worse than 2x). The two-thread Osmosis run is kept for its wall-clock LoRA/frozen ratio.
BENCHES = {
    "lora-step": {
        "osmosis wasm t1": NODE + ["lora-step", "--steps", "6", "--threads", "1", "--json"],
        "osmosis blas t1": NODE + ["lora-step", "--steps", "6", "--backend", "blas", "--threads", "1", "--json"],
        "osmosis wasm t2": NODE + ["lora-step", "--steps", "6", "--threads", "2", "--json"],
        "pytorch t1": [VENV, "bench/pytorch/lora_step.py", "--threads", "1", "--steps", "6"],
    },
    "generate": {
        "osmosis wasm t1": NODE + ["generate", "--steps", "3", "--threads", "1", "--json"],
        "osmosis blas t1": NODE + ["generate", "--steps", "3", "--backend", "blas", "--threads", "1", "--json"],
        "osmosis wasm t2": NODE + ["generate", "--steps", "3", "--threads", "2", "--json"],
        "pytorch t1": [VENV, "bench/pytorch/generate.py", "--threads", "1", "--steps", "3"],
    },
}
# Numbers compared across variants (Osmosis / PyTorch per round, then the median over rounds).
KEYS = {
    "lora-step": ["lora_ms", "lora_cpu_ms", "frozen_cpu_ms"],
    "generate": ["cache_tokens_per_s", "cache_cpu_tokens_per_s", "no_cache_cpu_tokens_per_s"],
}


def headline(bench, rec):
    """The numbers the table compares, from an Osmosis record or a twin's document."""
    if rec.get("backend") == "pytorch":
        by = {r["name"]: r for r in rec["records"]}
        if bench == "lora-step":
            return {
                "lora_ms": by["lora_step"]["median"],
                "frozen_ms": by["frozen_step"]["median"],
                "ratio": rec["ratio"],
                "pair_ratio": rec["pair_ratio_median"],
                "lora_cpu_ms": by["lora_step"]["cpu_median"],
                "frozen_cpu_ms": by["frozen_step"]["cpu_median"],
                "cpu_ratio": rec["cpu_ratio"],
            }
        return {
            "cache_tokens_per_s": by["generate_cache"]["median"],
            "no_cache_tokens_per_s": by["generate_no_cache"]["median"],
            "cache_cpu_tokens_per_s": by["generate_cache"]["cpu_median"],
            "no_cache_cpu_tokens_per_s": by["generate_no_cache"]["cpu_median"],
            "same_tokens": rec["same_tokens"],
        }
    if bench == "lora-step":
        return {
            "lora_ms": rec["median"],
            "frozen_ms": rec["frozenMedian"],
            "ratio": rec["ratio"],
            "pair_ratio": rec["pairRatioMedian"],
            "lora_cpu_ms": rec["cpuMedian"],
            "frozen_cpu_ms": rec["frozenCpuMedian"],
            "cpu_ratio": rec["cpuRatio"],
        }
    return {
        "cache_tokens_per_s": rec["median"],
        "no_cache_tokens_per_s": rec["noCacheTokensPerS"],
        "cache_cpu_tokens_per_s": rec["cpuTokensPerS"],
        "no_cache_cpu_tokens_per_s": rec["noCacheCpuTokensPerS"],
        "same_tokens": rec["sameTokens"],
    }


def run(cmd):
    load = os.getloadavg()[0]
    t0 = time.time()
    out = subprocess.run(cmd, cwd=ROOT, check=True, capture_output=True, text=True)
    rec = json.loads(out.stdout.strip().splitlines()[-1])
    return rec, load, time.time() - t0


def summarize(bench, rounds):
    labels = list(BENCHES[bench])
    per_label = {}
    for label in labels:
        hs = [r["runs"][label]["headline"] for r in rounds]
        per_label[label] = {
            k: statistics.median(h[k] for h in hs)
            for k in hs[0]
            if isinstance(hs[0][k], (int, float)) and not isinstance(hs[0][k], bool)
        }
    ratios = {}
    for key in KEYS[bench]:
        for ours in (x for x in labels if x.startswith("osmosis")):
            for peer in (x for x in labels if x.startswith("pytorch")):
                rs = [r["runs"][ours]["headline"][key] / r["runs"][peer]["headline"][key] for r in rounds]
                ratios[f"{key}: {ours} / {peer}"] = {"median": statistics.median(rs), "per_round": rs}
    return {"medians_over_rounds": per_label, "osmosis_over_pytorch": ratios}


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--only", choices=list(BENCHES), action="append")
    a = p.parse_args()
    for bench in a.only or list(BENCHES):
        rounds = []
        for r in range(a.rounds):
            labels = list(BENCHES[bench])
            if r % 2 == 1:
                labels.reverse()
            runs = {}
            for label in labels:
                rec, load, wall = run(BENCHES[bench][label])
                runs[label] = {
                    "headline": headline(bench, rec),
                    "loadAverage1m": load,
                    "process_s": round(wall, 1),
                    "record": rec,
                }
                print(f"{bench} round {r + 1} {label}: {runs[label]['headline']} (load {load:.1f})", file=sys.stderr, flush=True)
            rounds.append({"round": r, "date_utc": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "runs": runs})
        doc = {
            "benchmark": bench,
            "how": "alternating same-minute rounds, fresh process per variant; see bench/pytorch/run_lm_twins.py",
            "commands": {label: " ".join(cmd) for label, cmd in BENCHES[bench].items()},
            "summary": summarize(bench, rounds),
            "rounds": rounds,
        }
        write_json(os.path.join(ROOT, "bench", "results", f"{bench}.json"), doc)
        print(json.dumps(doc["summary"], indent=1, default=str)[:3000], file=sys.stderr)


if __name__ == "__main__":
    main()
