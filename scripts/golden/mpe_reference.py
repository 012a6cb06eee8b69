#!/usr/bin/env python3
"""Golden trajectories for Osmosis's SimpleSpread-v3 (test/fixtures/rl/mpe_spread_golden.json).

PettingZoo cannot be installed here, so this is a standalone numpy restatement of the equations
of PettingZoo's MPE (`pettingzoo/mpe/_mpe_utils/core.py`, `simple_env.py` and
`simple_spread/simple_spread.py`, the simple_spread_v3 release), written independently of the
TypeScript port so that the two can check each other:

  force on agent      u = sensitivity * move(action),  sensitivity = 5 (agents have no accel)
                      discrete move: 0 none, 1 -x, 2 +x, 3 -y, 4 +y
                      continuous move: (a[2] - a[1], a[4] - a[3]), a clipped to [0, 1]
  contact force       for colliding pairs (a, b), delta = p_a - p_b, d = |delta|:
                      pen = k * logaddexp(0, -(d - (r_a + r_b)) / k),  k = 1e-3
                      f_a = 100 * delta / d * pen,  f_b = -f_a  (only movable entities)
  integration         v = v * (1 - 0.25);  v += f / m * dt;  p += v * dt,  dt = 0.1, m = 1
  global reward       -sum over landmarks of min over agents |p_agent - p_landmark|
  local reward        -1 for every other agent overlapping (|p_i - p_j| < r_i + r_j)
  reward              global * (1 - local_ratio) + local * local_ratio
  observation         [v, p, landmark_rel..., other_agent_rel..., other_comm (zeros)...]

Agents have radius 0.15, landmarks do not collide. Usage:

    python3 scripts/golden/mpe_reference.py [output.json]
"""

import json
import sys
from pathlib import Path

import numpy as np

AGENT_SIZE = 0.15
LANDMARK_SIZE = 0.05
DT = 0.1
DAMPING = 0.25
CONTACT_FORCE = 1e2
CONTACT_MARGIN = 1e-3
SENSITIVITY = 5.0
DIM_C = 2


class Spread:
    def __init__(self, agent_pos, landmark_pos, local_ratio, continuous):
        self.p = np.array(agent_pos, dtype=np.float64)  # (N, 2)
        self.v = np.zeros_like(self.p)
        self.lm = np.array(landmark_pos, dtype=np.float64)  # (L, 2)
        self.local_ratio = local_ratio
        self.continuous = continuous
        self.n = len(self.p)

    def force_from_action(self, action):
        u = np.zeros(2)
        if self.continuous:
            a = np.clip(np.asarray(action, dtype=np.float64), 0.0, 1.0)
            u[0] += a[2] - a[1]
            u[1] += a[4] - a[3]
        else:
            if action == 1:
                u[0] = -1.0
            elif action == 2:
                u[0] = 1.0
            elif action == 3:
                u[1] = -1.0
            elif action == 4:
                u[1] = 1.0
        return u * SENSITIVITY

    def step(self, actions):
        force = np.array([self.force_from_action(a) for a in actions])
        # Entities are agents then landmarks; landmarks do not collide, so only agent pairs count.
        for i in range(self.n):
            for j in range(i + 1, self.n):
                delta = self.p[i] - self.p[j]
                dist = np.sqrt(np.sum(np.square(delta)))
                k = CONTACT_MARGIN
                pen = np.logaddexp(0, -(dist - 2 * AGENT_SIZE) / k) * k
                f = CONTACT_FORCE * delta / dist * pen
                force[i] = f + force[i]
                force[j] = -f + force[j]
        for i in range(self.n):
            self.v[i] = self.v[i] * (1 - DAMPING)
            self.v[i] += (force[i] / 1.0) * DT
            self.p[i] += self.v[i] * DT

    def collides(self, i, j):
        d = np.sqrt(np.sum(np.square(self.p[i] - self.p[j])))
        return d < 2 * AGENT_SIZE

    def rewards(self):
        g = 0.0
        for lm in self.lm:
            g -= min(np.sqrt(np.sum(np.square(self.p[i] - lm))) for i in range(self.n))
        out = []
        for i in range(self.n):
            local = -float(sum(1 for j in range(self.n) if j != i and self.collides(i, j)))
            out.append(g * (1 - self.local_ratio) + local * self.local_ratio)
        return out

    def observations(self):
        obs = []
        for i in range(self.n):
            parts = [self.v[i], self.p[i]]
            parts += [lm - self.p[i] for lm in self.lm]
            parts += [self.p[j] - self.p[i] for j in range(self.n) if j != i]
            parts += [np.zeros(DIM_C) for j in range(self.n) if j != i]
            obs.append(np.concatenate(parts).astype(np.float32).tolist())
        return obs


def toward_origin(env, i):
    """Discrete move along the larger coordinate towards the origin: drives agents together."""
    x, y = env.p[i]
    if abs(x) >= abs(y):
        return 1 if x > 0 else 2
    return 3 if y > 0 else 4


def run_case(
    name, rng, n_agents, n_landmarks, steps, continuous, local_ratio, spread=1.0, converge=False
):
    agent_pos = rng.uniform(-spread, spread, (n_agents, 2))
    landmark_pos = rng.uniform(-1, 1, (n_landmarks, 2))
    if continuous:
        actions = rng.uniform(-0.2, 1.2, (steps, n_agents, 5)).tolist()  # some outside [0, 1]
    else:
        actions = rng.integers(0, 5, (steps, n_agents)).tolist()
    env = Spread(agent_pos, landmark_pos, local_ratio, continuous)
    case = {
        "name": name,
        "numAgents": n_agents,
        "numLandmarks": n_landmarks,
        "localRatio": local_ratio,
        "continuousActions": continuous,
        "maxCycles": steps,
        "initialState": {
            "agents": [{"pos": p.tolist()} for p in env.p],
            "landmarks": [{"pos": p.tolist()} for p in env.lm],
        },
        "initialObservations": env.observations(),
        "actions": actions,
        "observations": [],
        "rewards": [],
        "positions": [],
    }
    contacts = 0
    for t in range(steps):
        if converge:
            actions[t] = [toward_origin(env, i) for i in range(n_agents)]
        env.step(actions[t])
        contacts += sum(
            1 for i in range(n_agents) for j in range(i + 1, n_agents) if env.collides(i, j)
        )
        case["observations"].append(env.observations())
        case["rewards"].append(env.rewards())
        case["positions"].append(env.p.tolist())
    case["overlappingPairSteps"] = contacts
    return case


def main():
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else Path("test/fixtures/rl/mpe_spread_golden.json")
    rng = np.random.default_rng(20240611)
    cases = [
        run_case("discrete_n3", rng, 3, 3, 25, False, 0.5),
        run_case("continuous_n3", rng, 3, 3, 25, True, 0.5),
        # Agents packed into a small square so that contact forces and collision penalties fire.
        run_case("crowded_discrete_n4", rng, 4, 4, 25, False, 0.3, spread=0.2),
        run_case("converging_discrete_n4", rng, 4, 4, 25, False, 0.5, converge=True),
        run_case("crowded_continuous_n5_l2", rng, 5, 2, 25, True, 0.8, spread=0.25),
    ]
    doc = {
        "generator": "scripts/golden/mpe_reference.py",
        "numpy": np.__version__,
        "cases": cases,
    }
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_suffix(".json.tmp")
    with open(tmp, "w") as f:
        json.dump(doc, f)
        f.write("\n")
    tmp.replace(out)
    overlaps = [c["overlappingPairSteps"] for c in cases]
    print(f"wrote {out}: {len(cases)} cases, overlapping agent pairs summed over steps: {overlaps}")


if __name__ == "__main__":
    main()
