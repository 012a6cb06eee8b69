import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { AcrobotEnv, MountainCarEnv } from '../../src/rl/index.js';

/*
 * Acrobot-v1 and MountainCar-v0 against scripts/golden/classic_control_reference.py, a numpy
 * restatement of Gymnasium's step code (RK4 for Acrobot). Observations agree to float32
 * precision.
 */
interface GoldenCase {
  name: string;
  initialState: number[];
  actions: number[];
  observations: number[][];
  rewards: number[];
  terminated: boolean[];
}

function load(file: string): GoldenCase[] {
  const url = new URL(`../fixtures/rl/${file}`, import.meta.url);
  return (JSON.parse(readFileSync(url, 'utf8')) as { cases: GoldenCase[] }).cases;
}

function expectF32(actual: number, expected: number, where: string): void {
  const tol = 2 * Math.max(Math.abs(expected) * 2 ** -23, 2 ** -126);
  if (Math.abs(actual - expected) > tol)
    throw new Error(`${where}: ${actual} vs golden ${expected}`);
}

const envs = {
  'acrobot_golden.json': () => new AcrobotEnv(),
  'mountaincar_golden.json': () => new MountainCarEnv(),
};

for (const [file, makeEnv] of Object.entries(envs)) {
  describe(`${file} (Gymnasium equations)`, () => {
    for (const c of load(file)) {
      it(`${c.name}: ${c.actions.length} steps match`, () => {
        const env = makeEnv();
        env.reset({ seed: 0 });
        env.state.set(c.initialState);
        c.actions.forEach((a, t) => {
          const r = env.step(a);
          r.observation.forEach((v, k) =>
            expectF32(v, c.observations[t][k], `${c.name} step ${t} obs[${k}]`),
          );
          expect(r.reward).toBe(c.rewards[t]);
          expect(r.terminated).toBe(c.terminated[t]);
        });
      });
    }
  });
}
