import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CartPoleEnv, make, type CartPoleOptions } from '../../src/rl/index.js';

/*
 * CartPole against trajectories from scripts/golden/cartpole_reference.py, a numpy restatement
 * of Gymnasium's CartPole step. Observations must agree to float32 precision, the float64 state
 * to within libm differences (numpy's and V8's sin/cos may differ in the last bit).
 */
interface GoldenCase {
  name: string;
  options: CartPoleOptions;
  initialState: number[];
  actions: number[];
  observations: number[][];
  states: number[][];
  rewards: number[];
  terminated: boolean[];
}

const golden = JSON.parse(
  readFileSync(new URL('../fixtures/rl/cartpole_golden.json', import.meta.url), 'utf8'),
) as { cases: GoldenCase[] };

function closeF32(a: number, b: number): boolean {
  // One float32 ulp at |b|, with a floor for values near zero.
  const ulp = Math.max(Math.abs(b) * 2 ** -23, 2 ** -126);
  return Math.abs(a - b) <= 2 * ulp;
}

describe('CartPole golden trajectories (Gymnasium equations)', () => {
  it('has a fixture with several cases', () => {
    expect(golden.cases.length).toBeGreaterThanOrEqual(6);
  });

  for (const c of golden.cases) {
    it(`${c.name}: ${c.actions.length} steps match`, () => {
      const env = new CartPoleEnv(c.options);
      env.reset({ seed: 0 });
      env.state.set(c.initialState);
      c.actions.forEach((a, t) => {
        const r = env.step(a);
        for (let k = 0; k < 4; k++) {
          if (!closeF32(r.observation[k], c.observations[t][k])) {
            throw new Error(
              `${c.name} step ${t} obs[${k}]: ${r.observation[k]} vs golden ${c.observations[t][k]}`,
            );
          }
          expect(env.state[k]).toBeCloseTo(c.states[t][k], 9);
        }
        expect(r.reward).toBe(c.rewards[t]);
        expect(r.terminated).toBe(c.terminated[t]);
        expect(r.truncated).toBe(false);
      });
    });
  }

  it('make() truncates the balanced trajectory at 500 steps', () => {
    const c = golden.cases.find((x) => x.name === 'default-balanced')!;
    const env = make<Float32Array, number>('CartPole-v1');
    env.reset({ seed: 0 });
    (env.unwrapped as CartPoleEnv).state.set(c.initialState);
    let last = null;
    for (const a of c.actions) last = env.step(a);
    expect(c.actions.length).toBe(500);
    expect(last!.truncated).toBe(true);
    expect(last!.terminated).toBe(false);
  });
});
