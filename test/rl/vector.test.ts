import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { Generator } from '../../src/core/rng.js';
import {
  AsyncVectorEnv,
  EnvError,
  make,
  sameValue,
  SyncVectorEnv,
  type MakeArgs,
  type VectorStepResult,
} from '../../src/rl/index.js';

const opened: AsyncVectorEnv[] = [];
afterAll(async () => {
  await Promise.all(opened.map((v) => v.close()));
});

async function compare(
  id: string,
  options: Record<string, unknown>,
  makeArgs: MakeArgs,
  steps: number,
  modules?: string[],
): Promise<number> {
  const n = 3;
  if (modules) for (const m of modules) await import(m);
  const sync = new SyncVectorEnv(
    Array.from({ length: n }, () => () => make(id, options, makeArgs)),
  );
  const asyncEnv = await AsyncVectorEnv.create({ id, numEnvs: n, options, makeArgs, modules });
  opened.push(asyncEnv);
  expect(asyncEnv.singleActionSpace.equals(sync.singleActionSpace)).toBe(true);
  expect(asyncEnv.singleObservationSpace.equals(sync.singleObservationSpace)).toBe(true);
  expect(sameValue(await asyncEnv.reset({ seed: 11 }), sync.reset({ seed: 11 }))).toBe(true);
  const rng = new Generator(5);
  let episodeEnds = 0;
  for (let t = 0; t < steps; t++) {
    const actions = sync.actionSpace.sample(rng);
    asyncEnv.stepAsync(actions);
    const s = sync.step(actions);
    const a = await asyncEnv.stepWait();
    if (!sameValue(a, s)) throw new Error(`${id}: async and sync differ at step ${t}`);
    episodeEnds += s.terminations.filter(Boolean).length + s.truncations.filter(Boolean).length;
  }
  sync.close();
  return episodeEnds;
}

describe('SyncVectorEnv', () => {
  it('seeds env i with seed + i and autoresets on the step after an episode ends', () => {
    const venv = new SyncVectorEnv(
      [0, 1].map(() => () => make<Float32Array, number>('CartPole-v1', {}, { maxEpisodeSteps: 5 })),
    );
    const { observations } = venv.reset({ seed: 3 });
    expect(sameValue(observations[1], make('CartPole-v1').reset({ seed: 4 }).observation)).toBe(
      true,
    );
    let r: VectorStepResult<Float32Array> | null = null;
    for (let t = 0; t < 5; t++) r = venv.step([0, 1]);
    expect(r!.truncations).toEqual([true, true]);
    const last = r!.observations;
    // Next step: actions ignored, reset observations, reward 0, flags false.
    r = venv.step([1, 1]);
    expect(Array.from(r.rewards)).toEqual([0, 0]);
    expect(r.terminations).toEqual([false, false]);
    expect(r.truncations).toEqual([false, false]);
    expect(sameValue(r.observations[0], last[0])).toBe(false);
    for (const o of r.observations)
      for (const v of o) expect(Math.abs(v)).toBeLessThanOrEqual(0.05);
    expect(venv.step([1, 1]).rewards[0]).toBe(1);
    expect(() => venv.step([1])).toThrow(/got 1 actions for 2 envs/);
    venv.close();
    expect(() => venv.reset()).toThrow(/after close/);
  });

  it('refuses envs with different spaces', () => {
    expect(() => new SyncVectorEnv([() => make('CartPole-v1'), () => make('Acrobot-v1')])).toThrow(
      /different spaces/,
    );
  });
});

describe('AsyncVectorEnv (worker_threads)', () => {
  it('yields exactly the trajectories of SyncVectorEnv for CartPole, across resets', async () => {
    const ends = await compare('CartPole-v1', { gravity: 12 }, { maxEpisodeSteps: 30 }, 150);
    expect(ends).toBeGreaterThan(5);
  });

  it('matches for a stochastic env (GridWorld with slips) and a module-registered env', async () => {
    await compare('GridWorld-v0', { map: 'lava', slipProbability: 0.3 }, {}, 120);
    const mod = fileURLToPath(new URL('./fixtures/register-walk.ts', import.meta.url));
    const ends = await compare('Test/RandomWalk-v0', {}, {}, 120, [mod]);
    expect(ends).toBeGreaterThan(5);
  });

  it('reports worker-side errors as EnvError and unknown ids at creation', async () => {
    const venv = await AsyncVectorEnv.create<Float32Array, number>({
      id: 'CartPole-v1',
      numEnvs: 2,
    });
    opened.push(venv);
    await venv.reset({ seed: 0 });
    await expect(venv.step([0, 5])).rejects.toThrow(
      /worker 1: EnvError: CartPole-v1: action 5 is not in the action space/,
    );
    const ok = await venv.step([0, 1]);
    expect(ok.rewards[0]).toBe(1);
    expect(() => venv.step([0])).toThrow(/got 1 actions for 2 envs/);
    venv.stepAsync([0, 0]);
    await expect(venv.reset()).rejects.toThrow(/a step is pending/);
    await venv.stepWait();
    await venv.close();
    await expect(venv.reset()).rejects.toThrow(EnvError);
    await expect(AsyncVectorEnv.create({ id: 'CartPol-v1', numEnvs: 1 })).rejects.toThrow(
      /did you mean 'CartPole-v1'/,
    );
  });
});
