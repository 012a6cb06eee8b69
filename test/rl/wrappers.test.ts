import { describe, expect, it } from 'vitest';
import { Generator } from '../../src/core/rng.js';
import {
  ActionMasking,
  Box,
  CartPoleEnv,
  ClipAction,
  Discrete,
  Env,
  EnvError,
  FrameStackObservation,
  GridWorldEnv,
  make,
  NormalizeObservation,
  NormalizeReward,
  RecordEpisodeStatistics,
  RunningMeanStd,
  ScaleReward,
  TimeLimit,
  type ResetArgs,
  type ResetResult,
  type StepResult,
} from '../../src/rl/index.js';

/** Replays fixed observations and rewards, to compare wrappers with hand-computed values. */
class Script extends Env<Float32Array, Float32Array> {
  readonly observationSpace = new Box(-100, 100, [2]);
  readonly actionSpace = new Box(-1, 1, [2]);
  t = 0;
  lastAction: Float32Array | null = null;
  constructor(
    readonly obs: number[][],
    readonly rewards: number[],
    readonly doneAt = Infinity,
  ) {
    super();
  }
  reset(args?: ResetArgs): ResetResult<Float32Array> {
    this.seedReset(args);
    this.t = 0;
    return { observation: Float32Array.from(this.obs[0]), info: {} };
  }
  step(a: Float32Array): StepResult<Float32Array> {
    this.lastAction = a;
    this.t++;
    return {
      observation: Float32Array.from(this.obs[this.t % this.obs.length]),
      reward: this.rewards[(this.t - 1) % this.rewards.length],
      terminated: this.t >= this.doneAt,
      truncated: false,
      info: {},
    };
  }
}

const act = Float32Array.of(0, 0);

describe('RunningMeanStd', () => {
  it('matches the population mean/variance, with count starting at epsilon', () => {
    const rms = new RunningMeanStd(1);
    const xs = [1, 4, -2, 7, 3];
    for (const x of xs) rms.update([x]);
    const mean = xs.reduce((a, b) => a + b) / xs.length;
    const v = xs.reduce((a, b) => a + (b - mean) ** 2, 0) / xs.length;
    expect(rms.mean[0]).toBeCloseTo(mean, 3);
    expect(rms.var[0]).toBeCloseTo(v, 3);
    expect(rms.count).toBeCloseTo(5.0001, 10);
  });
});

describe('NormalizeObservation', () => {
  it('normalises with statistics that include the current observation', () => {
    const obs = [
      [1, 10],
      [3, 20],
      [5, 60],
    ];
    const env = new NormalizeObservation(new Script(obs, [0]));
    const seen: Float32Array[] = [
      env.reset().observation,
      env.step(act).observation,
      env.step(act).observation,
    ];
    const rms = new RunningMeanStd(2);
    obs.forEach((o, i) => {
      rms.update(o);
      for (let k = 0; k < 2; k++) {
        expect(seen[i][k]).toBeCloseTo((o[k] - rms.mean[k]) / Math.sqrt(rms.var[k] + 1e-8), 5);
      }
    });
    expect((env.observationSpace as Box).isBounded('below')).toBe(false);
    env.updateRunningMean = false;
    const before = env.obsRms.count;
    env.step(act);
    expect(env.obsRms.count).toBe(before);
  });
});

describe('NormalizeReward', () => {
  it('divides by the std of the discounted return, reset only by termination', () => {
    const rewards = [1, 2, 3, 4];
    const env = new NormalizeReward(new Script([[0, 0]], rewards, 3), 0.9);
    env.reset();
    const rms = new RunningMeanStd(1);
    let g = 0;
    const terms = [false, false, true];
    for (let i = 0; i < 3; i++) {
      const r = env.step(act);
      g = g * 0.9 * (terms[i] ? 0 : 1) + rewards[i];
      rms.update([g]);
      expect(r.reward).toBeCloseTo(rewards[i] / Math.sqrt(rms.var[0] + 1e-8), 10);
    }
    expect(env.discountedReward).toBe(3);
    env.reset();
    expect(env.discountedReward).toBe(3); // Gymnasium does not clear it on reset
  });

  it('ScaleReward multiplies', () => {
    const env = new ScaleReward(new Script([[0, 0]], [2]), 0.5);
    env.reset();
    expect(env.step(act).reward).toBe(1);
  });
});

describe('RecordEpisodeStatistics', () => {
  it('adds info.episode {r, l, t} at the end of each episode', () => {
    const env = new RecordEpisodeStatistics(new TimeLimit(new Script([[0, 0]], [1, 2]), 4), 2);
    for (let ep = 0; ep < 3; ep++) {
      env.reset();
      let r = env.step(act);
      expect(r.info.episode).toBeUndefined();
      while (!r.truncated) r = env.step(act);
      expect(r.info.episode).toMatchObject({ r: 6, l: 4 });
      expect((r.info.episode as { t: number }).t).toBeGreaterThanOrEqual(0);
    }
    expect(env.episodeCount).toBe(3);
    expect(env.returnQueue).toEqual([6, 6]);
  });
});

describe('FrameStackObservation', () => {
  it('stacks the last k frames, padding with the reset observation or zeros', () => {
    const obs = [
      [1, 1],
      [2, 2],
      [3, 3],
    ];
    const env = new FrameStackObservation(new Script(obs, [0]), 3);
    expect(env.observationSpace.shape).toEqual([3, 2]);
    expect(Array.from(env.reset().observation)).toEqual([1, 1, 1, 1, 1, 1]);
    expect(Array.from(env.step(act).observation)).toEqual([1, 1, 1, 1, 2, 2]);
    expect(Array.from(env.step(act).observation)).toEqual([1, 1, 2, 2, 3, 3]);
    const zero = new FrameStackObservation(new Script(obs, [0]), 2, 'zero');
    expect(Array.from(zero.reset().observation)).toEqual([0, 0, 1, 1]);
    expect(env.observationSpace.contains(env.step(act).observation)).toBe(true);
  });
});

describe('ClipAction', () => {
  it('clips into the inner Box and accepts any real action', () => {
    const inner = new Script([[0, 0]], [0]);
    const env = new ClipAction(inner);
    env.reset();
    env.step(Float32Array.of(5, -0.5));
    expect(Array.from(inner.lastAction!)).toEqual([1, -0.5]);
    expect(env.actionSpace.contains(Float32Array.of(1e9, -1e9))).toBe(true);
    expect(() => new ClipAction(new CartPoleEnv() as never)).toThrow(EnvError);
  });
});

describe('ActionMasking', () => {
  it('samples only allowed actions and refuses masked ones', () => {
    const env = new ActionMasking(make<Float32Array, number>('GridWorld-v0', { map: 'empty5' }));
    const { info } = env.reset({ seed: 0 });
    // Start in the top-left corner: left and up are walls.
    expect(Array.from(env.actionMask!)).toEqual(Array.from(info.action_mask as Int8Array));
    expect(Array.from(env.actionMask!)).toEqual([0, 1, 1, 0]);
    const g = new Generator(0);
    for (let i = 0; i < 50; i++) expect([1, 2]).toContain(env.sampleAction(g));
    expect(() => env.step(0)).toThrow(/action 0 is masked out by info.action_mask/);
    expect(() => new ActionMasking(new Script([[0, 0]], [0]) as never)).toThrow(/Discrete/);
  });

  it('is a no-op when the env gives no mask', () => {
    const env = new ActionMasking(new CartPoleEnv());
    env.reset({ seed: 0 });
    expect(env.actionMask).toBeNull();
    expect(new Discrete(2).contains(env.sampleAction(new Generator(1)))).toBe(true);
    expect(new GridWorldEnv().metadata.renderModes).toEqual(['ansi']);
  });
});
