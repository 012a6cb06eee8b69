import { Generator } from '../../core/rng.js';
import type { AECEnv } from '../aec-env.js';
import type { Env } from '../env.js';
import type { AgentDict, ParallelEnv } from '../parallel-env.js';
import { kindOf, type AnyKindEnv } from './kinds.js';
import {
  checkBool,
  checkInSpace,
  checkReward,
  expect,
  isPlainObject,
  sameKeys,
  sampleAction,
} from './util.js';

export interface BombardOptions {
  /** Steps to take (agent turns for AEC envs). */
  cycles?: number;
  seed?: number;
}

export interface BombardReport {
  steps: number;
  episodes: number;
}

/**
 * Random valid actions for `cycles` steps, resetting whenever an episode ends, checking on every
 * step that observations stay inside their spaces, rewards are finite, flags are booleans and
 * (multi-agent) the agent bookkeeping holds. Throws EnvCheckError on the first violation.
 */
export function bombard(env: AnyKindEnv, opts: BombardOptions = {}): BombardReport {
  const cycles = opts.cycles ?? 10_000;
  const rng = new Generator(opts.seed ?? 0);
  const kind = kindOf(env);
  const report =
    kind === 'single'
      ? bombardSingle(env as Env<unknown, unknown>, rng, cycles)
      : kind === 'parallel'
        ? bombardParallel(env as ParallelEnv<unknown, unknown>, rng, cycles)
        : bombardAec(env as AECEnv<unknown, unknown>, rng, cycles);
  env.close();
  return report;
}

function bombardSingle(env: Env<unknown, unknown>, rng: Generator, cycles: number): BombardReport {
  const C = `bombard(${env})`;
  let episodes = 1;
  let { observation, info } = env.reset({ seed: rng.int(2 ** 31) });
  checkInSpace(C, 'reset() observation', env.observationSpace, observation);
  for (let i = 0; i < cycles; i++) {
    const s = env.step(sampleAction(env.actionSpace, rng, info));
    checkInSpace(C, `step ${i} observation`, env.observationSpace, s.observation);
    checkReward(C, `step ${i} reward`, s.reward);
    checkBool(C, `step ${i} terminated`, s.terminated);
    checkBool(C, `step ${i} truncated`, s.truncated);
    expect(isPlainObject(s.info), C, () => `step ${i} info must be a plain object`);
    info = s.info;
    if (s.terminated || s.truncated) {
      ({ observation, info } = env.reset());
      checkInSpace(C, 'reset() observation', env.observationSpace, observation);
      episodes++;
    }
  }
  return { steps: cycles, episodes };
}

function bombardParallel(
  env: ParallelEnv<unknown, unknown>,
  rng: Generator,
  cycles: number,
): BombardReport {
  const C = `bombard(${env})`;
  let episodes = 1;
  let infos: AgentDict<unknown> = env.reset({ seed: rng.int(2 ** 31) }).infos;
  for (let i = 0; i < cycles; i++) {
    const acting = [...env.agents];
    const actions: AgentDict<unknown> = {};
    for (const a of acting)
      actions[a] = sampleAction(env.actionSpace(a), rng, infos[a] as Record<string, unknown>);
    const s = env.step(actions);
    for (const [k, d] of Object.entries(s)) {
      expect(
        sameKeys(d, acting),
        C,
        () => `step ${i} ${k} keys [${Object.keys(d)}] != acting agents [${acting}]`,
      );
    }
    for (const a of acting) {
      checkInSpace(
        C,
        `step ${i} observation of '${a}'`,
        env.observationSpace(a),
        s.observations[a],
      );
      checkReward(C, `step ${i} reward of '${a}'`, s.rewards[a]);
      const done = s.terminations[a] || s.truncations[a];
      expect(
        done !== env.agents.includes(a),
        C,
        () => `step ${i}: agent '${a}' done=${done} but live=${env.agents.includes(a)}`,
      );
    }
    infos = s.infos;
    if (env.agents.length === 0) {
      infos = env.reset().infos;
      episodes++;
    }
  }
  return { steps: cycles, episodes };
}

function bombardAec(env: AECEnv<unknown, unknown>, rng: Generator, cycles: number): BombardReport {
  const C = `bombard(${env})`;
  let episodes = 1;
  env.reset({ seed: rng.int(2 ** 31) });
  for (let i = 0; i < cycles; i++) {
    if (env.agents.length === 0) {
      env.reset();
      episodes++;
    }
    const agent = env.agentSelection;
    const last = env.last();
    if (last.observation !== null) {
      checkInSpace(
        C,
        `turn ${i} observation of '${agent}'`,
        env.observationSpace(agent),
        last.observation,
      );
    }
    checkReward(C, `turn ${i} reward of '${agent}'`, last.reward);
    const done = last.termination || last.truncation;
    env.step(done ? null : sampleAction(env.actionSpace(agent), rng, last.info));
    expect(
      sameKeys(env.rewards, env.agents),
      C,
      () => `turn ${i}: rewards keys differ from agents`,
    );
  }
  return { steps: cycles, episodes };
}
