import { describe, expect, it } from 'vitest';
import { Generator } from '../../src/core/rng.js';
import {
  CartPoleEnv,
  Env,
  make,
  ObservationWrapper,
  Box,
  Discrete,
  type ResetArgs,
  type ResetResult,
  type StepResult,
} from '../../src/rl/index.js';

/** Observations are fresh draws from npRandom, so they expose the seeding semantics directly. */
class Noise extends Env<Float32Array, number> {
  readonly observationSpace = new Box(0, 1, [1]);
  readonly actionSpace = new Discrete(1);
  reset(args?: ResetArgs): ResetResult<Float32Array> {
    this.seedReset(args);
    return { observation: Float32Array.of(this.npRandom.uniform()), info: {} };
  }
  step(_action: number): StepResult<Float32Array> {
    const observation = Float32Array.of(this.npRandom.uniform());
    return { observation, reward: 0, terminated: false, truncated: false, info: {} };
  }
}

describe('Env seeding (Gymnasium np_random semantics)', () => {
  it('reset({ seed }) re-creates the generator; reset() continues the stream', () => {
    const env = new Noise();
    const a = env.reset({ seed: 5 }).observation[0];
    const a2 = env.step(0).observation[0];
    const b = env.reset().observation[0];
    expect(env.npRandomSeed).toBe(5);
    expect(env.reset({ seed: 5 }).observation[0]).toBe(a);
    expect(env.step(0).observation[0]).toBe(a2);
    expect(env.reset().observation[0]).toBe(b);
    const g = new Generator(5);
    expect(a).toBe(Math.fround(g.uniform()));
  });

  it('an unseeded env seeds itself from entropy and records the seed', () => {
    const env = new Noise();
    expect(env.npRandomSeed).toBeNull();
    const x = env.reset().observation[0];
    const seed = env.npRandomSeed!;
    expect(Number.isSafeInteger(seed)).toBe(true);
    expect(new Noise().reset({ seed }).observation[0]).toBe(x);
    env.npRandom = new Generator(1);
    expect(env.npRandomSeed).toBe(-1);
  });

  it('wrappers forward spaces, spec, npRandom and unwrapped', () => {
    class Double extends ObservationWrapper<Float32Array, number, Float32Array> {
      observation(o: Float32Array): Float32Array {
        return o.map((v) => v * 2);
      }
    }
    const inner = make<Float32Array, number>('CartPole-v1');
    const env = new Double(inner);
    expect(env.observationSpace).toBe(inner.observationSpace);
    expect(env.spec?.id).toBe('CartPole-v1');
    expect(env.unwrapped).toBeInstanceOf(CartPoleEnv);
    const o = env.reset({ seed: 3 }).observation;
    expect(env.npRandomSeed).toBe(3);
    expect(env.npRandom).toBe(env.unwrapped.npRandom);
    expect(Array.from(o)).toEqual(
      Array.from(new CartPoleEnv().reset({ seed: 3 }).observation, (v) => Math.fround(v * 2)),
    );
  });
});

describe('CartPole', () => {
  it('resets uniformly in ±0.05 (or the options.low/high bounds) and returns float32', () => {
    const env = new CartPoleEnv();
    for (let s = 0; s < 20; s++) {
      const { observation } = env.reset({ seed: s });
      expect(observation).toBeInstanceOf(Float32Array);
      for (const v of observation) expect(Math.abs(v)).toBeLessThanOrEqual(0.05);
    }
    const { observation } = env.reset({ seed: 1, options: { low: 0.1, high: 0.2 } });
    for (const v of observation) expect(v >= 0.1 && v <= 0.2).toBe(true);
    expect(() => env.reset({ options: { low: 1, high: 0 } })).toThrow(/low < high/);
  });

  it('rewards 1 on the terminating step and 0 for steps beyond it (raw env)', () => {
    const env = new CartPoleEnv();
    env.reset({ seed: 0 });
    let r = env.step(1);
    while (!r.terminated) r = env.step(1);
    expect(r.reward).toBe(1);
    expect(env.step(1).reward).toBe(0);
  });

  it('returns a fresh observation per step unless copyObservation is false', () => {
    const fresh = new CartPoleEnv();
    const o1 = fresh.reset({ seed: 0 }).observation;
    const o2 = fresh.step(0).observation;
    expect(o1).not.toBe(o2);
    const reused = new CartPoleEnv({ copyObservation: false });
    const p1 = reused.reset({ seed: 0 }).observation;
    const p2 = reused.step(0).observation;
    expect(p1).toBe(p2);
    expect(Array.from(p2)).toEqual(Array.from(o2));
  });

  it('changes dynamics through one option (source/target variants)', () => {
    const earth = new CartPoleEnv();
    const moon = new CartPoleEnv({ gravity: 1.62 });
    earth.reset({ seed: 9 });
    moon.reset({ seed: 9 });
    let a = earth.step(0).observation;
    let b = moon.step(0).observation;
    expect(a[0]).toBe(b[0]); // x moves by tau * x_dot first, before gravity acts
    a = earth.step(0).observation;
    b = moon.step(0).observation;
    expect(a[3]).not.toBe(b[3]);
  });
});
