#!/usr/bin/env python3
"""CartPole-v1 steps/s in pure Python with Gymnasium's dynamics (Euler, tau 0.02, force 10,
termination at |x| > 2.4 or |theta| > 12 degrees, reset after 500 steps), random actions, one
thread: the peer of `osmosis bench env-cartpole`. Prints one JSON object.

Gymnasium itself is not installable here (no PyPI); this restates its CartPole.step loop
(numpy-free scalar math, which is what gymnasium's step does per call apart from the np.array
it returns: `--numpy` adds that array to match).
"""
import argparse, json, math, random, statistics, time

G, MC, MP, L, F, TAU = 9.8, 1.0, 0.1, 0.5, 10.0, 0.02
TM, PML = MC + MP, MP * L
THETA_MAX, X_MAX = 12 * 2 * math.pi / 360, 2.4


def run(steps, use_numpy):
    np = __import__("numpy") if use_numpy else None
    rng = random.Random(0)
    s = [rng.uniform(-0.05, 0.05) for _ in range(4)]
    t = 0
    t0 = time.perf_counter()
    for _ in range(steps):
        x, xd, th, thd = s
        force = F if rng.random() < 0.5 else -F
        c, sn = math.cos(th), math.sin(th)
        temp = (force + PML * thd * thd * sn) / TM
        tha = (G * sn - c * temp) / (L * (4.0 / 3.0 - MP * c * c / TM))
        xa = temp - PML * tha * c / TM
        s = [x + TAU * xd, xd + TAU * xa, th + TAU * thd, thd + TAU * tha]
        if np is not None:
            np.array(s, dtype=np.float32)
        t += 1
        if abs(s[0]) > X_MAX or abs(s[2]) > THETA_MAX or t >= 500:
            s = [rng.uniform(-0.05, 0.05) for _ in range(4)]
            t = 0
    return steps / (time.perf_counter() - t0)


if __name__ == "__main__":
    p = argparse.ArgumentParser()
    p.add_argument("--steps", type=int, default=1_000_000)
    p.add_argument("--numpy", action="store_true")
    a = p.parse_args()
    runs = [run(a.steps, a.numpy) for _ in range(5)]
    print(json.dumps({"name": "env-cartpole", "backend": "python", "numpy": a.numpy,
                      "median": statistics.median(runs), "unit": "steps/s", "samples": runs}))
