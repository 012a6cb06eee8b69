#!/usr/bin/env python3
"""Golden trajectories recorded from the real Gymnasium CartPole-v1, Acrobot-v1 and MountainCar-v0.

Each case builds the env with gymnasium.make (so TimeLimit truncation is Gymnasium's own), resets
it with a seed, optionally overwrites the state (to reach corners a seeded reset never gives),
then plays a fixed action rule and records observations, rewards, terminated and truncated, plus
the float64 state for CartPole (Acrobot's and MountainCar's observations already carry theirs). Physical variants are set the way Gymnasium documents it: on
`env.unwrapped` (recomputing CartPole's derived masses), or as make() keyword arguments.

The TS tests (test/rl/*golden*.test.ts) copy the recorded initial state into our env instead of
reproducing Gymnasium's reset: numpy's PCG64 and our generator are different streams.

PettingZoo 1.27 no longer ships MPE (it moved to the separate `mpe2` package, which the local
mirror does not have), so simple_spread_v3 is not recorded here; its golden stays
scripts/golden/mpe_reference.py.

Usage (a venv with gymnasium, e.g. python3 -m venv /work/.venv-rl && pip install gymnasium numpy):
  /work/.venv-rl/bin/python scripts/golden/make_gymnasium_goldens.py
  (writes test/fixtures/rl/{cartpole,acrobot,mountaincar}_golden.json)
"""
import json
import os

import gymnasium as gym
import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
FIXTURES = os.path.join(ROOT, "test", "fixtures", "rl")


def set_cartpole(u, options):
    """Gymnasium's CartPole has no constructor arguments for its constants: set them and
    recompute the two derived quantities its __init__ computes."""
    names = {"gravity": "gravity", "masscart": "masscart", "masspole": "masspole",
             "length": "length", "forceMag": "force_mag", "tau": "tau",
             "kinematicsIntegrator": "kinematics_integrator"}
    for k, v in options.items():
        if k in names:
            setattr(u, names[k], v)
    u.total_mass = u.masspole + u.masscart
    u.polemass_length = u.masspole * u.length


def set_acrobot(u, options):
    names = {"bookOrNips": "book_or_nips", "linkMass1": "LINK_MASS_1",
             "linkMass2": "LINK_MASS_2", "linkLength1": "LINK_LENGTH_1"}
    for k, v in options.items():
        setattr(u, names[k], v)


def set_mountaincar(u, options):
    for k, v in options.items():
        if k in ("force", "gravity"):
            setattr(u, k, v)


def policy(rule, env_id, rng):
    """Fixed action rules; random ones draw from their own numpy generator, recorded as actions."""
    def act(t, s):
        if rule == "alternate":
            return t % 2
        if rule.startswith("const:"):
            return int(rule.split(":")[1])
        if rule == "balance":  # push towards the side the pole leans to: long episodes
            return 1 if s[2] + 0.5 * s[3] > 0 else 0
        if rule == "pump" and env_id == "Acrobot-v1":
            return 2 if s[3] > 0 else 0
        if rule == "pump":  # MountainCar: push along the velocity
            return 2 if s[1] >= 0 else 0
        return int(rng.integers(0, 3 if env_id != "CartPole-v1" else 2))
    return act


def run_case(env_id, setter, case):
    """case: name, seed, rule, steps; optional options, state, makeKwargs, unwrapped, extra."""
    options = case.get("options", {})
    env = gym.make(env_id, **case.get("makeKwargs", {}))
    env.reset(seed=case["seed"])
    u = env.unwrapped
    setter(u, options)
    if "state" in case:
        u.state = np.array(case["state"], dtype=u.state.dtype if hasattr(u.state, "dtype") else None)
    init = [float(v) for v in np.asarray(u.state)]
    # Stepping past termination bypasses make()'s wrappers (Gymnasium warns there; we raise).
    stepper = u if case.get("unwrapped") else env
    rule = case["rule"]
    rng = np.random.default_rng(int(rule.split(":")[1])) if rule.startswith("random:") else None
    act = policy(rule, env_id, rng)
    out = {"name": case["name"], "seed": case["seed"], "options": options,
           "viaMake": not case.get("unwrapped", False), "initialState": init,
           "actions": [], "observations": [], "rewards": [], "terminated": [], "truncated": []}
    if env_id == "CartPole-v1":  # the others' float32 observations show their state
        out["states"] = []
    extra = case.get("extra", 0)
    for t in range(case["steps"]):
        a = act(t, np.asarray(u.state, dtype=np.float64))
        obs, reward, terminated, truncated, _ = stepper.step(a)
        out["actions"].append(a)
        out["observations"].append([float(v) for v in obs])
        if "states" in out:
            out["states"].append([float(v) for v in np.asarray(u.state, dtype=np.float64)])
        out["rewards"].append(float(reward))
        out["terminated"].append(bool(terminated))
        out["truncated"].append(bool(truncated))
        if terminated or truncated:
            if extra == 0:
                break
            extra -= 1
    env.close()
    return out


CARTPOLE = [
    {"name": "seed0-random", "seed": 0, "rule": "random:0", "steps": 500},
    {"name": "seed1-alternate", "seed": 1, "rule": "alternate", "steps": 500},
    {"name": "seed2-push-right-past-termination", "seed": 2, "rule": "const:1", "steps": 500,
     "unwrapped": True, "extra": 5},
    {"name": "balanced-truncated", "seed": 3, "rule": "balance", "steps": 600,
     "state": [0.0, 0.0, 0.001, 0.0]},
    {"name": "heavy-long-pole", "seed": 4, "rule": "random:1", "steps": 500,
     "options": {"masspole": 0.5, "length": 1.0}},
    {"name": "moon-gravity", "seed": 5, "rule": "random:2", "steps": 500,
     "options": {"gravity": 1.62, "forceMag": 5.0}},
    {"name": "semi-implicit", "seed": 6, "rule": "random:3", "steps": 500,
     "options": {"kinematicsIntegrator": "semi-implicit euler", "tau": 0.01}},
    {"name": "heavy-cart-balance", "seed": 7, "rule": "balance", "steps": 500,
     "options": {"masscart": 3.0, "forceMag": 20.0}},
    {"name": "sutton-barto-reward", "seed": 8, "rule": "random:4", "steps": 500,
     "options": {"suttonBartoReward": True}, "makeKwargs": {"sutton_barto_reward": True}},
]

ACROBOT = [
    {"name": "seed0-pump", "seed": 0, "rule": "pump", "steps": 500},
    {"name": "seed1-random", "seed": 1, "rule": "random:0", "steps": 200},
    {"name": "seed2-random-truncated", "seed": 2, "rule": "random:1", "steps": 600},
    {"name": "nips-pump", "seed": 3, "rule": "pump", "steps": 300, "options": {"bookOrNips": "nips"}},
    {"name": "heavy-links", "seed": 4, "rule": "pump", "steps": 300,
     "options": {"linkMass1": 2.0, "linkMass2": 0.5, "linkLength1": 1.5}},
    {"name": "fast-spin-clipped", "seed": 5, "rule": "const:2", "steps": 150,
     "state": [3.0, -3.0, 12.0, 27.0]},
]

MOUNTAINCAR = [
    {"name": "seed0-pump", "seed": 0, "rule": "pump", "steps": 200},
    {"name": "seed1-random-truncated", "seed": 1, "rule": "random:0", "steps": 300},
    {"name": "left-wall", "seed": 2, "rule": "const:0", "steps": 100, "state": [-1.1, -0.05]},
    {"name": "goal-velocity", "seed": 3, "rule": "pump", "steps": 200,
     "options": {"goalVelocity": 0.02}, "makeKwargs": {"goal_velocity": 0.02}},
    {"name": "strong-engine", "seed": 4, "rule": "pump", "steps": 200,
     "options": {"force": 0.0015, "gravity": 0.002}},
]


def write(path, data):
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        json.dump(data, f, separators=(",", ":"))
        f.write("\n")
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def main():
    meta = {"generator": "scripts/golden/make_gymnasium_goldens.py",
            "gymnasium": gym.__version__, "numpy": np.__version__}
    for file, env_id, setter, cases in [
        ("cartpole_golden.json", "CartPole-v1", set_cartpole, CARTPOLE),
        ("acrobot_golden.json", "Acrobot-v1", set_acrobot, ACROBOT),
        ("mountaincar_golden.json", "MountainCar-v0", set_mountaincar, MOUNTAINCAR),
    ]:
        recorded = [run_case(env_id, setter, c) for c in cases]
        write(os.path.join(FIXTURES, file), {**meta, "envId": env_id, "cases": recorded})
        for c in recorded:
            print(f"{env_id} {c['name']}: {len(c['actions'])} steps, "
                  f"terminated={c['terminated'][-1]} truncated={c['truncated'][-1]}")


if __name__ == "__main__":
    main()
