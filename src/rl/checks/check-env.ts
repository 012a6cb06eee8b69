import { Generator } from '../../core/rng.js';
import { Env } from '../env.js';
import { Space } from '../spaces/space.js';
import {
  checkBool,
  checkInSpace,
  checkReward,
  expect,
  isPlainObject,
  sameValue,
  sampleAction,
} from './util.js';

export interface CheckEnvOptions {
  /** Steps compared in the step-determinism check (skipped when 0). */
  determinismSteps?: number;
  seed?: number;
  /** Skip determinism checks (for envs registered as nondeterministic). */
  skipDeterminism?: boolean;
}

/**
 * gymnasium.utils.env_checker.check_env for Osmosis envs: spaces, reset/step result shapes and
 * types, observations inside the observation space, reset(seed) re-creating npRandom and giving
 * the same observation, reset() without seed continuing the stream, deterministic steps.
 * Throws EnvCheckError naming what failed.
 */
export function checkEnv(env: Env<unknown, unknown>, opts: CheckEnvOptions = {}): void {
  const C = `checkEnv(${env})`;
  const seed = opts.seed ?? 123;
  expect(env instanceof Env, C, () => 'not an Env');
  expect(env.observationSpace instanceof Space, C, () => 'observationSpace is not a Space');
  expect(env.actionSpace instanceof Space, C, () => 'actionSpace is not a Space');
  expect(
    isPlainObject(env.metadata) && Array.isArray(env.metadata.renderModes),
    C,
    () => 'metadata.renderModes must be an array',
  );

  const r0 = env.reset();
  expect(
    isPlainObject(r0) && 'observation' in r0 && 'info' in r0,
    C,
    () => 'reset() must return { observation, info }',
  );
  checkInSpace(C, 'reset() observation', env.observationSpace, r0.observation);
  expect(isPlainObject(r0.info), C, () => 'reset() info must be a plain object');

  if (!opts.skipDeterminism) {
    const a = env.reset({ seed });
    expect(
      env.npRandomSeed === seed,
      C,
      () => `after reset({ seed: ${seed} }) npRandomSeed is ${env.npRandomSeed}`,
    );
    const stateA = env.npRandom.getState();
    const b = env.reset({ seed });
    const stateB = env.npRandom.getState();
    expect(
      sameValue(a.observation, b.observation),
      C,
      () => 'reset with the same seed gave different observations',
    );
    expect(
      sameValue(stateA, stateB),
      C,
      () => 'reset with the same seed left npRandom in different states',
    );
    env.reset();
    expect(
      env.npRandomSeed === seed,
      C,
      () => 'reset() without a seed re-seeded npRandom; it must continue the stream',
    );
  }

  // One checked step, then (optionally) a determinism run: two identical seeded rollouts.
  const { info } = env.reset({ seed });
  const action = sampleAction(env.actionSpace, new Generator(seed), info);
  const s = env.step(action);
  expect(isPlainObject(s), C, () => 'step() must return an object');
  checkInSpace(C, 'step() observation', env.observationSpace, s.observation);
  checkReward(C, 'step() reward', s.reward);
  checkBool(C, 'step() terminated', s.terminated);
  checkBool(C, 'step() truncated', s.truncated);
  expect(isPlainObject(s.info), C, () => 'step() info must be a plain object');

  const n = opts.determinismSteps ?? 50;
  if (!opts.skipDeterminism && n > 0) {
    const first = rollout(env, seed, n);
    const second = rollout(env, seed, n);
    for (let i = 0; i < first.length; i++) {
      expect(
        sameValue(first[i], second[i]),
        C,
        () => `rollouts with seed ${seed} diverge at step ${i}`,
      );
    }
  }
  env.close();
}

function rollout(env: Env<unknown, unknown>, seed: number, n: number): unknown[] {
  const rng = new Generator(seed);
  const out: unknown[] = [];
  let { observation, info } = env.reset({ seed });
  out.push(observation);
  for (let i = 0; i < n; i++) {
    const s = env.step(sampleAction(env.actionSpace, rng, info));
    out.push([s.observation, s.reward, s.terminated, s.truncated]);
    info = s.info;
    if (s.terminated || s.truncated) ({ observation, info } = env.reset());
  }
  return out;
}
