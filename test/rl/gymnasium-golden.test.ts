import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { make, type Env } from '../../src/rl/index.js';

/*
 * CartPole-v1, Acrobot-v1 and MountainCar-v0 against trajectories recorded from the real
 * Gymnasium (scripts/golden/make_gymnasium_goldens.py). Each case copies Gymnasium's recorded
 * initial state into our env (the two reset streams differ), replays the actions through make()
 * (or the raw env, for stepping past termination) and must reproduce every observation, reward,
 * terminated and truncated flag, and CartPole's float64 state, bit for bit: both sides run the
 * same float64 operations in the same order, and V8's and numpy's sin/cos agreed on every call
 * when the fixtures were recorded. A regeneration on a machine whose libm rounds one last bit
 * differently would show up here as a 1-ulp mismatch, not as a bug in the env.
 */
interface GoldenCase {
  name: string;
  seed: number;
  options: Record<string, unknown>;
  viaMake: boolean;
  initialState: number[];
  actions: number[];
  observations: number[][];
  /** CartPole only: Gymnasium's float64 `state` after each step. */
  states?: number[][];
  rewards: number[];
  terminated: boolean[];
  truncated: boolean[];
}

interface GoldenFile {
  generator: string;
  gymnasium: string;
  envId: string;
  cases: GoldenCase[];
}

interface HasState {
  state: Float64Array;
}

function load(file: string): GoldenFile {
  const url = new URL(`../fixtures/rl/${file}`, import.meta.url);
  return JSON.parse(readFileSync(url, 'utf8')) as GoldenFile;
}

function replay(envId: string, c: GoldenCase): void {
  const env = make<Float32Array, number>(envId, c.options);
  env.reset({ seed: c.seed });
  const raw = env.unwrapped as Env<Float32Array, number> & HasState;
  raw.state.set(c.initialState);
  const stepper = c.viaMake ? env : raw;
  c.actions.forEach((a, t) => {
    const r = stepper.step(a);
    const where = `${envId} ${c.name} step ${t}`;
    r.observation.forEach((v, k) => {
      if (v !== c.observations[t][k])
        throw new Error(`${where} obs[${k}]: ${v} vs Gymnasium ${c.observations[t][k]}`);
    });
    c.states?.[t].forEach((v, k) => {
      if (raw.state[k] !== v) throw new Error(`${where} state[${k}]: ${raw.state[k]} vs ${v}`);
    });
    expect([r.reward, r.terminated, r.truncated], where).toEqual([
      c.rewards[t],
      c.terminated[t],
      c.truncated[t],
    ]);
  });
}

const files = {
  'CartPole-v1': 'cartpole_golden.json',
  'Acrobot-v1': 'acrobot_golden.json',
  'MountainCar-v0': 'mountaincar_golden.json',
};

for (const [envId, file] of Object.entries(files)) {
  const golden = load(file);

  describe(`${envId} replays Gymnasium ${golden.gymnasium} exactly`, () => {
    it('the fixture is a real Gymnasium recording with terminating and truncated cases', () => {
      expect(golden.envId).toBe(envId);
      expect(golden.generator).toBe('scripts/golden/make_gymnasium_goldens.py');
      expect(golden.cases.length).toBeGreaterThanOrEqual(5);
      expect(golden.cases.some((c) => c.truncated.at(-1))).toBe(true);
      expect(golden.cases.some((c) => c.terminated.at(-1))).toBe(true);
    });

    for (const c of golden.cases) {
      it(`${c.name}: ${c.actions.length} steps`, () => replay(envId, c));
    }
  });
}

describe('the replay can fail', () => {
  it('a one-bit change in the initial state is caught', () => {
    const c = structuredClone(load('cartpole_golden.json').cases[0]);
    c.initialState[2] = c.initialState[2] * (1 + 2 ** -52);
    expect(() => replay('CartPole-v1', c)).toThrow(/state\[|obs\[/);
  });

  it('a physical constant left at its default is caught', () => {
    const c = load('cartpole_golden.json').cases.find((x) => x.name === 'moon-gravity')!;
    expect(() => replay('CartPole-v1', { ...c, options: {} })).toThrow();
  });
});
