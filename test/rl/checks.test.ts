import { describe, expect, it } from 'vitest';
import {
  aecApiTest,
  bombard,
  Box,
  checkEnv,
  Discrete,
  Env,
  EnvCheckError,
  misuseTest,
  MultiGridWorldEnv,
  parallelApiTest,
  ParallelWrapper,
  parallelToAec,
  seedTest,
  CartPoleEnv,
  type AgentDict,
  type ParallelStepResult,
  type ResetArgs,
  type ResetResult,
  type StepResult,
} from '../../src/rl/index.js';

/** A small valid env whose behaviour each test breaks in one way. */
class Walk extends Env<Float32Array, number> {
  readonly observationSpace = new Box(-10, 10, [1]);
  readonly actionSpace = new Discrete(2);
  x = 0;
  t = 0;
  constructor(readonly flaw: string | null = null) {
    super();
  }
  reset(args?: ResetArgs): ResetResult<Float32Array> {
    this.seedReset(this.flaw === 'reseeds' ? { seed: 1 } : args);
    this.x = this.npRandom.int(3) - 1;
    return { observation: Float32Array.of(this.x), info: {} };
  }
  step(a: number): StepResult<Float32Array> {
    this.t++;
    this.x += a === 1 ? 1 : -1;
    if (this.flaw === 'drifts' && this.t % 97 === 0) this.x += Walk.global++ % 2;
    const out = this.flaw === 'escapes' ? 11 : this.x;
    const reward = this.flaw === 'nan' && this.t === 5000 ? Number.NaN : -1;
    const terminated = Math.abs(this.x) >= 5;
    return { observation: Float32Array.of(out), reward, terminated, truncated: false, info: {} };
  }
  static global = 0;
}

describe('checkEnv', () => {
  it('passes a correct env and CartPole', () => {
    checkEnv(new Walk());
    checkEnv(new CartPoleEnv());
  });
  it('catches observations outside the space', () => {
    expect(() => checkEnv(new Walk('escapes'))).toThrow(EnvCheckError);
    expect(() => checkEnv(new Walk('escapes'))).toThrow(
      /step\(\) observation Float32Array\[11\] is not in/,
    );
  });
  it('catches a reset() that re-seeds instead of continuing the stream', () => {
    expect(() => checkEnv(new Walk('reseeds'))).toThrow(/npRandomSeed|re-seeded/);
  });
});

describe('seedTest and bombard', () => {
  it('seedTest catches hidden state that breaks determinism', () => {
    seedTest(() => new Walk(), { steps: 600 });
    expect(() => seedTest(() => new Walk('drifts'), { steps: 600 })).toThrow(/diverge at entry/);
  });
  it('bombard finds a NaN reward deep into the run', () => {
    expect(bombard(new Walk(), { cycles: 6000 }).episodes).toBeGreaterThan(10);
    expect(() => bombard(new Walk('nan'), { cycles: 6000 })).toThrow(
      /step 4999 reward must be a finite number/,
    );
  });
  it('misuseTest fails on an unwrapped env that accepts invalid actions', () => {
    expect(() => misuseTest(new Walk())).toThrow(/did not throw|expected an EnvError/);
  });
});

/** Keeps done agents alive: the classic ParallelEnv bug. */
class Immortal extends ParallelWrapper<Float32Array, number> {
  override step(actions: AgentDict<number>): ParallelStepResult<Float32Array> {
    const live = [...this.env.agents];
    const r = this.env.step(actions);
    this.env.agents = live;
    return r;
  }
}

/** Drops one key from the step result. */
class Forgetful extends ParallelWrapper<Float32Array, number> {
  override step(actions: AgentDict<number>): ParallelStepResult<Float32Array> {
    const r = this.env.step(actions);
    delete r.rewards.agent_1;
    return r;
  }
}

describe('parallelApiTest and aecApiTest', () => {
  const grid = (): MultiGridWorldEnv =>
    new MultiGridWorldEnv({ map: ['#######', '#S.G.S#', '#######'], maxCycles: 20 });

  it('pass the built-in multi-agent env and its AEC conversion', () => {
    parallelApiTest(grid());
    aecApiTest(parallelToAec(grid()));
  });
  it('catch agents that stay live after finishing', () => {
    expect(() => parallelApiTest(new Immortal(grid()))).toThrow(/still live after it terminated/);
  });
  it('catch step results not keyed by the acting agents', () => {
    expect(() => parallelApiTest(new Forgetful(grid()))).toThrow(/rewards is keyed by \[agent_0\]/);
  });
});
