import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ConfigError } from '../../src/core/errors.js';
import {
  CartPoleEnv,
  closeMatches,
  Discrete,
  Env,
  EnvError,
  isRegistered,
  make,
  makeAec,
  makeParallel,
  register,
  registeredIds,
  spec,
  unregister,
  Box,
  type ResetArgs,
  type ResetResult,
  type StepResult,
} from '../../src/rl/index.js';

class Counter extends Env<Float32Array, number> {
  readonly observationSpace = new Box(0, 1e6, [1]);
  readonly actionSpace = new Discrete(2);
  n = 0;
  constructor(readonly opts: { limit: number }) {
    super();
  }
  reset(args?: ResetArgs): ResetResult<Float32Array> {
    this.seedReset(args);
    this.n = 0;
    return { observation: Float32Array.of(0), info: {} };
  }
  step(): StepResult<Float32Array> {
    this.n++;
    return {
      observation: Float32Array.of(this.n),
      reward: 1,
      terminated: this.n >= this.opts.limit,
      truncated: false,
      info: {},
    };
  }
}

const temp: string[] = [];
function reg(id: string, extra: Record<string, unknown> = {}): void {
  register({
    id,
    entryPoint: (o: { limit: number }) => new Counter(o),
    optionsSchema: z.object({ limit: z.number().int().positive().default(1000) }),
    ...extra,
  });
  temp.push(id);
}
afterEach(() => {
  for (const id of temp.splice(0)) unregister(id);
});

describe('register', () => {
  it('validates versioned ids and refuses duplicates', () => {
    for (const bad of ['Counter', 'Counter-v', 'counter v1', '-v1', 'a/b/C-v1', '']) {
      expect(() => reg(bad)).toThrow(ConfigError);
    }
    reg('Test/Counter-v0');
    expect(isRegistered('Test/Counter-v0')).toBe(true);
    expect(() => reg('Test/Counter-v0')).toThrow(/already registered/);
    expect(() => reg('Counter-v1', { maxEpisodeSteps: 0 })).toThrow(/maxEpisodeSteps/);
    expect(() => reg('Counter-v2', { kind: 'aec', maxEpisodeSteps: 10 })).toThrow(/AEC/);
  });

  it('lists ids sorted and reports specs', () => {
    reg('Counter-v3', { maxEpisodeSteps: 7, rewardThreshold: 5, description: 'counts' });
    expect(registeredIds()).toEqual([...registeredIds()].sort());
    expect(spec('Counter-v3')).toMatchObject({
      id: 'Counter-v3',
      kind: 'single',
      maxEpisodeSteps: 7,
      rewardThreshold: 5,
      options: { limit: 1000 },
      description: 'counts',
    });
    expect(spec('CartPole-v1').maxEpisodeSteps).toBe(500);
  });
});

describe('make', () => {
  it('applies TimeLimit, the checker and order enforcing, and attaches the spec', () => {
    reg('Counter-v4', { maxEpisodeSteps: 3 });
    const env = make<Float32Array, number>('Counter-v4');
    expect(String(env)).toBe('<OrderEnforcing<TimeLimit<PassiveEnvChecker<Counter<Counter-v4>>>>>');
    expect(env.spec?.id).toBe('Counter-v4');
    expect(env.unwrapped).toBeInstanceOf(Counter);
    env.reset();
    expect(env.step(0).truncated).toBe(false);
    expect(env.step(0).truncated).toBe(false);
    expect(env.step(0).truncated).toBe(true);
    expect(() => env.step(0)).toThrow(/Counter-v4: step\(\) called after the episode ended/);
    env.reset();
    expect(env.step(1).observation[0]).toBe(1);
  });

  it('lets maxEpisodeSteps be overridden or disabled, and the checker be skipped', () => {
    reg('Counter-v5', { maxEpisodeSteps: 3 });
    const env = make(
      'Counter-v5',
      { limit: 10 },
      { maxEpisodeSteps: null, disableEnvChecker: true },
    );
    expect(String(env)).toBe('<OrderEnforcing<Counter<Counter-v5>>>');
    env.reset();
    for (let i = 0; i < 9; i++) expect(env.step(0).terminated).toBe(false);
    expect(env.step(0).terminated).toBe(true);
    expect(make('Counter-v5', {}, { maxEpisodeSteps: 5 }).spec?.maxEpisodeSteps).toBe(5);
  });

  it('raises EnvError naming the env id and the action for invalid actions', () => {
    const env = make('CartPole-v1');
    expect(() => env.step(0)).toThrow(/CartPole-v1: step\(\) called before reset\(\)/);
    env.reset({ seed: 1 });
    expect(() => env.step(2)).toThrow(EnvError);
    expect(() => env.step(2)).toThrow(/CartPole-v1: action 2 is not in the action space/);
    expect(() => env.step(Float32Array.of(1))).toThrow(/action Float32Array\[1\]/);
  });

  it('validates options: unknown keys name the key and the id, wrong types the path', () => {
    expect(() => make('CartPole-v1', { gravty: 9.8 })).toThrow(ConfigError);
    expect(() => make('CartPole-v1', { gravty: 9.8 })).toThrow(
      /make\('CartPole-v1'\): unknown option 'gravty' \(valid: gravity, /,
    );
    expect(() => make('CartPole-v1', { gravity: 'high' })).toThrow(/option 'gravity'/);
    expect(() => make('CartPole-v1', { masspole: -1 })).toThrow(/option 'masspole'/);
    expect((make('CartPole-v1', { gravity: 1.62 }).unwrapped as CartPoleEnv).gravity).toBe(1.62);
    expect(make('CartPole-v1', { gravity: 1.62 }).spec?.options.gravity).toBe(1.62);
  });

  it('rejects __proto__ and constructor keys without polluting prototypes', () => {
    const evil = JSON.parse('{"__proto__": {"polluted": true}, "constructor": 1}');
    expect(() => make('CartPole-v1', evil)).toThrow(/unknown options '__proto__', 'constructor'/);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    reg('NoOpts-v0', { optionsSchema: undefined });
    expect(() => make('NoOpts-v0', { limit: 3 })).toThrow(
      /takes no options, got unknown key 'limit'/,
    );
  });

  it('suggests close matches and other versions for unknown ids', () => {
    expect(() => make('CartPol-v1')).toThrow(/did you mean 'CartPole-v1'/);
    expect(() => make('cartpole-v1')).toThrow(/did you mean 'CartPole-v1'/);
    expect(() => make('CartPole-v0')).toThrow(/available versions: CartPole-v1/);
    expect(() => make('Zzzzzzzz-v9')).toThrow(/^Env 'Zzzzzzzz-v9' is not registered$/);
    expect(closeMatches('Acrobot-v2', ['Acrobot-v1', 'CartPole-v1'])).toEqual(['Acrobot-v1']);
  });

  it('routes kinds: make for single, makeParallel for parallel, makeAec for aec', () => {
    expect(() => make('MultiGridWorld-v0')).toThrow(/is a parallel env; use makeParallel/);
    expect(() => makeParallel('CartPole-v1')).toThrow(/is a single env/);
    expect(() => makeAec('MultiGridWorld-v0')).toThrow(/is a parallel env/);
    expect(makeParallel('MultiGridWorld-v0').possibleAgents.length).toBe(2);
    expect(makeAec('MultiGridWorldAEC-v0').possibleAgents.length).toBe(2);
  });
});
