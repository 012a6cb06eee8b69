import { describe, expect, it } from 'vitest';
import { AcrobotEnv, make, MountainCarEnv } from '../../src/rl/index.js';

describe('MountainCar-v0', () => {
  it('is solved by pumping energy (push with the velocity) within 200 steps', () => {
    const env = make<Float32Array, number>('MountainCar-v0');
    let { observation } = env.reset({ seed: 0 });
    let ret = 0;
    let r;
    do {
      r = env.step(observation[1] >= 0 ? 2 : 0);
      observation = r.observation;
      ret += r.reward;
    } while (!r.terminated && !r.truncated);
    expect(r.terminated).toBe(true);
    expect(observation[0]).toBeGreaterThanOrEqual(0.5);
    expect(ret).toBeGreaterThan(-200);
  });

  it('truncates at 200 steps and stops at the left wall', () => {
    const env = make<Float32Array, number>('MountainCar-v0');
    env.reset({ seed: 1 });
    let r;
    let n = 0;
    do {
      r = env.step(0);
      n++;
    } while (!r.terminated && !r.truncated);
    expect(n).toBe(200);
    expect(r.truncated).toBe(true);
    const raw = new MountainCarEnv();
    raw.reset({ seed: 0, options: { low: -1.2, high: -1.19 } });
    raw.state[1] = -0.07;
    raw.step(0);
    expect(raw.state[0]).toBe(-1.2);
    expect(raw.state[1]).toBe(0);
  });
});

describe('Acrobot-v1', () => {
  it('starts near rest with float32-rounded state and observes cos/sin of the angles', () => {
    const env = new AcrobotEnv();
    const { observation } = env.reset({ seed: 3 });
    for (let i = 0; i < 4; i++) {
      expect(Math.abs(env.state[i])).toBeLessThanOrEqual(0.1);
      expect(env.state[i]).toBe(Math.fround(env.state[i]));
    }
    expect(observation[0]).toBeCloseTo(Math.cos(env.state[0]), 6);
    expect(observation[1]).toBeCloseTo(Math.sin(env.state[0]), 6);
    expect(observation[4]).toBeCloseTo(env.state[2], 6);
  });

  it('conserves energy-like motion with zero torque and keeps angles wrapped', () => {
    const env = new AcrobotEnv();
    env.reset({ seed: 0 });
    env.state.set([Math.PI / 2, 0, 0, 0]);
    for (let i = 0; i < 100; i++) {
      const r = env.step(1);
      expect(r.reward === -1 || r.terminated).toBe(true);
      expect(Math.abs(env.state[0])).toBeLessThanOrEqual(Math.PI);
      expect(Math.abs(env.state[1])).toBeLessThanOrEqual(Math.PI);
    }
  });

  it('terminates with reward 0 once the tip is one link above the base', () => {
    const env = new AcrobotEnv();
    env.reset({ seed: 0 });
    // Both links pointing up: -cos(pi) - cos(pi + 0) = 2 > 1; one step from there stays up.
    env.state.set([Math.PI - 0.01, 0, 0, 0]);
    const r = env.step(1);
    expect(r.terminated).toBe(true);
    expect(r.reward).toBe(0);
  });

  it('is reached by an energy-pumping policy within the 500-step limit', () => {
    const env = make<Float32Array, number>('Acrobot-v1');
    let { observation } = env.reset({ seed: 0 });
    let r;
    let n = 0;
    do {
      // Torque along the second joint's velocity pumps energy into the swing (~75-100 steps).
      r = env.step(observation[5] > 0 ? 2 : 0);
      observation = r.observation;
      n++;
    } while (!r.terminated && !r.truncated);
    expect(r.terminated).toBe(true);
    expect(n).toBeLessThan(200);
  });
});
