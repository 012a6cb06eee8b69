#!/usr/bin/env python3
"""Golden trajectories for CartPole-v1, restating Gymnasium 1.x's CartPoleEnv.step in numpy.

Gymnasium cannot be installed here, so its step (gymnasium/envs/classic_control/cartpole.py,
v1.0) is copied equation for equation: float64 state, Euler (or semi-implicit Euler)
integration, termination on |x| > 2.4 or |theta| > 12 degrees, reward 1 per step including the
terminating one and 0 for steps beyond it, observations cast to float32.

Usage: python3 scripts/golden/cartpole_reference.py  (writes test/fixtures/rl/cartpole_golden.json)
"""
import json
import math
import os

import numpy as np


class CartPoleReference:
    def __init__(self, gravity=9.8, masscart=1.0, masspole=0.1, length=0.5, force_mag=10.0,
                 tau=0.02, kinematics_integrator="euler"):
        self.gravity = gravity
        self.masscart = masscart
        self.masspole = masspole
        self.total_mass = self.masspole + self.masscart
        self.length = length  # actually half the pole's length
        self.polemass_length = self.masspole * self.length
        self.force_mag = force_mag
        self.tau = tau
        self.kinematics_integrator = kinematics_integrator
        self.theta_threshold_radians = 12 * 2 * math.pi / 360
        self.x_threshold = 2.4
        self.state = None
        self.steps_beyond_terminated = None

    def set_state(self, state):
        self.state = np.array(state, dtype=np.float64)
        self.steps_beyond_terminated = None

    def step(self, action):
        x, x_dot, theta, theta_dot = self.state
        force = self.force_mag if action == 1 else -self.force_mag
        costheta = np.cos(theta)
        sintheta = np.sin(theta)
        temp = (force + self.polemass_length * np.square(theta_dot) * sintheta) / self.total_mass
        thetaacc = (self.gravity * sintheta - costheta * temp) / (
            self.length * (4.0 / 3.0 - self.masspole * np.square(costheta) / self.total_mass)
        )
        xacc = temp - self.polemass_length * thetaacc * costheta / self.total_mass
        if self.kinematics_integrator == "euler":
            x = x + self.tau * x_dot
            x_dot = x_dot + self.tau * xacc
            theta = theta + self.tau * theta_dot
            theta_dot = theta_dot + self.tau * thetaacc
        else:  # semi-implicit euler
            x_dot = x_dot + self.tau * xacc
            x = x + self.tau * x_dot
            theta_dot = theta_dot + self.tau * thetaacc
            theta = theta + self.tau * theta_dot
        self.state = np.array((x, x_dot, theta, theta_dot), dtype=np.float64)
        terminated = bool(
            x < -self.x_threshold
            or x > self.x_threshold
            or theta < -self.theta_threshold_radians
            or theta > self.theta_threshold_radians
        )
        if not terminated:
            reward = 1.0
        elif self.steps_beyond_terminated is None:
            self.steps_beyond_terminated = 0
            reward = 1.0
        else:
            self.steps_beyond_terminated += 1
            reward = 0.0
        return np.array(self.state, dtype=np.float32), reward, terminated


# (name, constructor options as the TS env names them, initial state, action rule, steps,
#  continue past termination)
CASES = [
    ("default-alternate", {}, [0.01, -0.02, 0.03, -0.04], "alternate", 500, False),
    ("default-random", {}, [-0.04, 0.03, -0.02, 0.01], "random:0", 500, False),
    ("default-push-right", {}, [0.0, 0.0, 0.0, 0.0], "const:1", 500, True),
    ("default-balanced", {}, [0.0, 0.0, 0.001, 0.0], "balance", 500, False),
    ("heavy-long-pole", {"masspole": 0.5, "length": 1.0}, [0.02, 0.01, -0.03, 0.02], "random:1", 500, False),
    ("moon-gravity", {"gravity": 1.62, "forceMag": 5.0}, [0.03, 0.0, 0.02, -0.01], "random:2", 500, False),
    ("semi-implicit", {"kinematicsIntegrator": "semi-implicit euler", "tau": 0.01},
     [-0.01, 0.02, 0.01, 0.03], "random:3", 500, False),
    ("heavy-cart", {"masscart": 3.0, "forceMag": 20.0}, [0.04, -0.04, 0.04, -0.04], "balance", 500, False),
]

PY_NAMES = {"forceMag": "force_mag", "kinematicsIntegrator": "kinematics_integrator"}


def run_case(name, options, init, rule, steps, past_termination):
    env = CartPoleReference(**{PY_NAMES.get(k, k): v for k, v in options.items()})
    env.set_state(init)
    rng = np.random.default_rng(int(rule.split(":")[1])) if rule.startswith("random") else None
    actions, observations, states, rewards, terminateds = [], [], [], [], []
    extra = 5 if past_termination else 0
    for t in range(steps):
        if rule == "alternate":
            a = t % 2
        elif rule.startswith("const"):
            a = int(rule.split(":")[1])
        elif rule == "balance":  # push towards the side the pole leans to: long episodes
            a = 1 if env.state[2] + 0.5 * env.state[3] > 0 else 0
        else:
            a = int(rng.integers(0, 2))
        obs, reward, terminated = env.step(a)
        actions.append(a)
        observations.append([float(v) for v in obs])
        states.append([float(v) for v in env.state])
        rewards.append(reward)
        terminateds.append(terminated)
        if terminated:
            if extra == 0:
                break
            extra -= 1
    return {
        "name": name,
        "options": options,
        "initialState": init,
        "actions": actions,
        "observations": observations,
        "states": states,
        "rewards": rewards,
        "terminated": terminateds,
    }


def main():
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    out = os.path.join(root, "test", "fixtures", "rl", "cartpole_golden.json")
    data = {
        "generator": "scripts/golden/cartpole_reference.py",
        "numpy": np.__version__,
        "cases": [run_case(*c) for c in CASES],
    }
    tmp = out + ".tmp"
    with open(tmp, "w") as f:
        json.dump(data, f, separators=(",", ":"))
        f.write("\n")
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, out)
    for c in data["cases"]:
        print(f"{c['name']}: {len(c['actions'])} steps, terminated={c['terminated'][-1]}")


if __name__ == "__main__":
    main()
