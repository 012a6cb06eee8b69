#!/usr/bin/env python3
"""Golden trajectories for Acrobot-v1 and MountainCar-v0, restating Gymnasium 1.x's step code.

Gymnasium cannot be installed here, so AcrobotEnv._dsdt / rk4 / wrap / bound and
MountainCarEnv.step (gymnasium/envs/classic_control/{acrobot,mountain_car}.py, v1.0) are copied
statement for statement. Initial states and actions are fixed in the output, so the TS test
needs no Python and no shared random stream.

Usage: python3 scripts/golden/classic_control_reference.py
  (writes test/fixtures/rl/acrobot_golden.json and test/fixtures/rl/mountaincar_golden.json)
"""
import json
import os
from math import cos, pi, sin

import numpy as np

# ---- Acrobot (book dynamics, dt 0.2, no torque noise) ----
LINK_LENGTH_1 = 1.0
LINK_MASS_1 = 1.0
LINK_MASS_2 = 1.0
LINK_COM_POS_1 = 0.5
LINK_COM_POS_2 = 0.5
LINK_MOI = 1.0
MAX_VEL_1 = 4 * pi
MAX_VEL_2 = 9 * pi
AVAIL_TORQUE = [-1.0, 0.0, +1]
DT = 0.2


def dsdt(s_augmented):
    m1, m2, l1 = LINK_MASS_1, LINK_MASS_2, LINK_LENGTH_1
    lc1, lc2 = LINK_COM_POS_1, LINK_COM_POS_2
    I1 = I2 = LINK_MOI
    g = 9.8
    a = s_augmented[-1]
    s = s_augmented[:-1]
    theta1, theta2, dtheta1, dtheta2 = s[0], s[1], s[2], s[3]
    d1 = m1 * lc1**2 + m2 * (l1**2 + lc2**2 + 2 * l1 * lc2 * cos(theta2)) + I1 + I2
    d2 = m2 * (lc2**2 + l1 * lc2 * cos(theta2)) + I2
    phi2 = m2 * lc2 * g * cos(theta1 + theta2 - pi / 2.0)
    phi1 = (
        -m2 * l1 * lc2 * dtheta2**2 * sin(theta2)
        - 2 * m2 * l1 * lc2 * dtheta2 * dtheta1 * sin(theta2)
        + (m1 * lc1 + m2 * l1) * g * cos(theta1 - pi / 2)
        + phi2
    )
    ddtheta2 = (a + d2 / d1 * phi1 - m2 * l1 * lc2 * dtheta1**2 * sin(theta2) - phi2) / (
        m2 * lc2**2 + I2 - d2**2 / d1
    )
    ddtheta1 = -(d2 * ddtheta2 + phi1) / d1
    return dtheta1, dtheta2, ddtheta1, ddtheta2, 0.0


def rk4(derivs, y0, t):
    yout = np.zeros((len(t), len(y0)), np.float64)
    yout[0] = y0
    for i in np.arange(len(t) - 1):
        dt = t[i + 1] - t[i]
        dt2 = dt / 2.0
        y0 = yout[i]
        k1 = np.asarray(derivs(y0))
        k2 = np.asarray(derivs(y0 + dt2 * k1))
        k3 = np.asarray(derivs(y0 + dt2 * k2))
        k4 = np.asarray(derivs(y0 + dt * k3))
        yout[i + 1] = y0 + dt / 6.0 * (k1 + 2 * k2 + 2 * k3 + k4)
    return yout[-1][:4]


def wrap(x, m, M):
    diff = M - m
    while x > M:
        x = x - diff
    while x < m:
        x = x + diff
    return x


def bound(x, m, M):
    return min(max(x, m), M)


def acrobot_case(name, init, rule, steps):
    state = np.array(init, dtype=np.float32)  # Gymnasium stores the reset state as float32
    rng = np.random.default_rng(int(rule.split(":")[1])) if rule.startswith("random") else None
    out = {"name": name, "initialState": [float(v) for v in state], "actions": [],
           "observations": [], "rewards": [], "terminated": []}
    for _ in range(steps):
        if rule == "pump":
            a = 2 if state[3] > 0 else 0
        else:
            a = int(rng.integers(0, 3))
        s_augmented = np.append(state, AVAIL_TORQUE[a])
        ns = rk4(dsdt, s_augmented, [0, DT])
        ns[0] = wrap(ns[0], -pi, pi)
        ns[1] = wrap(ns[1], -pi, pi)
        ns[2] = bound(ns[2], -MAX_VEL_1, MAX_VEL_1)
        ns[3] = bound(ns[3], -MAX_VEL_2, MAX_VEL_2)
        state = ns
        terminated = bool(-cos(state[0]) - cos(state[1] + state[0]) > 1.0)
        obs = np.array([cos(state[0]), sin(state[0]), cos(state[1]), sin(state[1]), state[2], state[3]],
                       dtype=np.float32)
        out["actions"].append(a)
        out["observations"].append([float(v) for v in obs])
        out["rewards"].append(-1.0 if not terminated else 0.0)
        out["terminated"].append(terminated)
        if terminated:
            break
    return out


# ---- MountainCar ----
def mountaincar_case(name, position, rule, steps):
    min_position, max_position, max_speed, goal_position = -1.2, 0.6, 0.07, 0.5
    force, gravity, goal_velocity = 0.001, 0.0025, 0
    state = np.array([position, 0])
    rng = np.random.default_rng(int(rule.split(":")[1])) if rule.startswith("random") else None
    out = {"name": name, "initialState": [float(v) for v in state], "actions": [],
           "observations": [], "rewards": [], "terminated": []}
    for _ in range(steps):
        action = (2 if state[1] >= 0 else 0) if rule == "pump" else int(rng.integers(0, 3))
        position, velocity = state
        velocity += (action - 1) * force + cos(3 * position) * (-gravity)
        velocity = np.clip(velocity, -max_speed, max_speed)
        position += velocity
        position = np.clip(position, min_position, max_position)
        if position == min_position and velocity < 0:
            velocity = 0
        terminated = bool(position >= goal_position and velocity >= goal_velocity)
        state = (position, velocity)
        out["actions"].append(action)
        out["observations"].append([float(v) for v in np.array(state, dtype=np.float32)])
        out["rewards"].append(-1.0)
        out["terminated"].append(terminated)
        state = np.array(state)
        if terminated:
            break
    return out


def write(path, data):
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        json.dump(data, f, separators=(",", ":"))
        f.write("\n")
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def main():
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    fixtures = os.path.join(root, "test", "fixtures", "rl")
    acro = [
        acrobot_case("pump", [0.05, -0.03, 0.02, 0.01], "pump", 500),
        acrobot_case("random-0", [-0.08, 0.04, -0.01, 0.06], "random:0", 150),
        acrobot_case("random-1", [0.09, 0.09, -0.09, -0.09], "random:1", 150),
    ]
    mc = [
        mountaincar_case("pump", -0.5, "pump", 200),
        mountaincar_case("random-0", -0.45, "random:0", 200),
        mountaincar_case("left-wall", -1.1, "random:1", 200),
    ]
    meta = {"generator": "scripts/golden/classic_control_reference.py", "numpy": np.__version__}
    write(os.path.join(fixtures, "acrobot_golden.json"), {**meta, "cases": acro})
    write(os.path.join(fixtures, "mountaincar_golden.json"), {**meta, "cases": mc})
    for c in acro + mc:
        print(f"{c['name']}: {len(c['actions'])} steps, terminated={c['terminated'][-1]}")


if __name__ == "__main__":
    main()
