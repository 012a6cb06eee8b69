#!/usr/bin/env python3
"""Peers of `osmosis bench env-cartpole` and `osmosis bench env-spread`: one thread, random
actions, no learning. Prints one JSON object per line, keyed like the osmosis bench records
(name, backend, threads, median, unit, samples, peakRssMb) plus the package versions.

  env-cartpole  gymnasium       the real gymnasium CartPoleEnv, stepped raw, reset on termination
  env-cartpole  gymnasium-make  gymnasium.make("CartPole-v1"): env checker, OrderEnforcing, TimeLimit
  env-cartpole  python          CartPole's step restated in scalar Python (no numpy arrays): the
                                floor of what any Python env loop costs
  env-spread    pettingzoo      simple_spread_v3 parallel env, N=3, 25-cycle episodes,
                                agent-steps/s; MPE restated on PettingZoo's own AEC and parallel
                                classes because mpe2 is not installable here (see mpe_spread.py)

Random actions come from a precomputed table, as in the osmosis spread bench, so the timed loop
measures the env. `median` is per wall-clock second, `cpuMedian` per second of this process's CPU
time (time.process_time), which on a shared machine leaves out the time other jobs held the core. Usage (a venv with gymnasium, pettingzoo, numpy; see docs/benchmarks.md):
  /work/.venv-rl/bin/python bench/python/env_speed.py [--steps N] [--spread-steps N]
      [--only cartpole|spread]
"""
import argparse
import json
import math
import os
import platform
import random
import resource
import statistics
import sys
import time

import gymnasium
import numpy as np
import pettingzoo
from gymnasium.envs.classic_control.cartpole import CartPoleEnv

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import mpe_spread  # noqa: E402

TABLE = 4096


class Clock:
    """Wall-clock and process CPU seconds since construction."""

    def __init__(self):
        self.wall, self.cpu = time.perf_counter(), time.process_time()

    def rates(self, work):
        return work / (time.perf_counter() - self.wall), work / (time.process_time() - self.cpu)


def action_table(n_actions, width, seed=0):
    return np.random.default_rng(seed).integers(0, n_actions, (TABLE, width)).tolist()


def cartpole_gymnasium(steps, wrapped):
    env = gymnasium.make("CartPole-v1") if wrapped else CartPoleEnv()
    actions = [row[0] for row in action_table(2, 1)]
    env.reset(seed=0)
    clock = Clock()
    for i in range(steps):
        _, _, terminated, truncated, _ = env.step(actions[i & (TABLE - 1)])
        if terminated or truncated:
            env.reset()
    return clock.rates(steps)


G, MC, MP, L, F, TAU = 9.8, 1.0, 0.1, 0.5, 10.0, 0.02
TM, PML = MC + MP, MP * L
THETA_MAX, X_MAX = 12 * 2 * math.pi / 360, 2.4


def cartpole_pure_python(steps):
    rng = random.Random(0)
    actions = [row[0] for row in action_table(2, 1)]
    s = [rng.uniform(-0.05, 0.05) for _ in range(4)]
    clock = Clock()
    for i in range(steps):
        x, xd, th, thd = s
        force = F if actions[i & (TABLE - 1)] == 1 else -F
        c, sn = math.cos(th), math.sin(th)
        temp = (force + PML * thd * thd * sn) / TM
        tha = (G * sn - c * temp) / (L * (4.0 / 3.0 - MP * c * c / TM))
        xa = temp - PML * tha * c / TM
        s = [x + TAU * xd, xd + TAU * xa, th + TAU * thd, thd + TAU * tha]
        if abs(s[0]) > X_MAX or abs(s[2]) > THETA_MAX:
            s = [rng.uniform(-0.05, 0.05) for _ in range(4)]
    return clock.rates(steps)


def spread_pettingzoo(steps, n=3):
    env = mpe_spread.parallel_env(N=n, local_ratio=0.5, max_cycles=25)
    names = env.possible_agents
    table = [dict(zip(names, row)) for row in action_table(5, n)]
    env.reset(seed=0)
    agent_steps = 0
    clock = Clock()
    for t in range(steps):
        if not env.agents:
            env.reset()
        env.step(table[t & (TABLE - 1)])
        agent_steps += n
    return clock.rates(agent_steps)


def record(name, backend, unit, runs, steps):
    return {
        "name": name,
        "backend": backend,
        "threads": 1,
        "median": statistics.median(r[0] for r in runs),
        "unit": unit,
        "samples": [r[0] for r in runs],
        "cpuMedian": statistics.median(r[1] for r in runs),
        "cpuSamples": [r[1] for r in runs],
        "steps": steps,
        "peakRssMb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "python": platform.python_version(),
        "versions": {"gymnasium": gymnasium.__version__, "pettingzoo": pettingzoo.__version__,
                     "numpy": np.__version__},
    }


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--steps", type=int, default=200_000, help="steps per timed run (5 runs)")
    p.add_argument("--spread-steps", type=int, default=None,
                   help="parallel steps per timed spread run (default: steps / 10)")
    p.add_argument("--only", choices=["cartpole", "spread"])
    a = p.parse_args()
    for flag, v in (("--steps", a.steps), ("--spread-steps", a.spread_steps)):
        if v is not None and v < 1:
            p.error(f"{flag} must be a positive integer, got {v}")
    five = lambda fn: [fn() for _ in range(5)]  # noqa: E731
    out = []
    if a.only in (None, "cartpole"):
        out.append(record("env-cartpole", "gymnasium", "steps/s",
                          five(lambda: cartpole_gymnasium(a.steps, False)), a.steps))
        out.append(record("env-cartpole", "gymnasium-make", "steps/s",
                          five(lambda: cartpole_gymnasium(a.steps, True)), a.steps))
        out.append(record("env-cartpole", "python", "steps/s",
                          five(lambda: cartpole_pure_python(a.steps)), a.steps))
    if a.only in (None, "spread"):
        spread_steps = a.spread_steps or max(1, a.steps // 10)  # each is N agent-steps
        out.append(record("env-spread", "pettingzoo", "agent-steps/s",
                          five(lambda: spread_pettingzoo(spread_steps)), spread_steps))
    for r in out:
        print(json.dumps(r), flush=True)


if __name__ == "__main__":
    main()
