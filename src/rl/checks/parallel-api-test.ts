import { Generator } from '../../core/rng.js';
import { describeValue } from '../errors.js';
import { ParallelEnv, type AgentDict } from '../parallel-env.js';
import { Space } from '../spaces/space.js';
import {
  checkBool,
  checkInSpace,
  checkReward,
  expect,
  isPlainObject,
  sameKeys,
  sampleAction,
} from './util.js';

export interface ParallelApiTestOptions {
  numCycles?: number;
  /** Episodes to play (PettingZoo plays 2). */
  resets?: number;
  seed?: number;
}

/**
 * pettingzoo.test.parallel_api_test, strict: where PettingZoo warns (a live agent missing from
 * a step result, a result for an agent that was already done) this throws EnvCheckError.
 */
export function parallelApiTest(
  env: ParallelEnv<unknown, unknown>,
  opts: ParallelApiTestOptions = {},
): void {
  const C = `parallelApiTest(${env})`;
  const numCycles = opts.numCycles ?? 1000;
  const rng = new Generator(opts.seed ?? 0);
  expect(env instanceof ParallelEnv, C, () => 'not a ParallelEnv');
  const possible = env.possibleAgents;
  expect(
    Array.isArray(possible) && possible.length > 0,
    C,
    () => 'possibleAgents must be a non-empty array',
  );
  expect(
    new Set(possible).size === possible.length,
    C,
    () => `possibleAgents has duplicates: ${possible}`,
  );
  for (const a of possible) {
    expect(
      typeof a === 'string' && a !== '__proto__',
      C,
      () => `agent name ${describeValue(a)} is not allowed`,
    );
    expect(
      env.observationSpace(a) instanceof Space,
      C,
      () => `observationSpace('${a}') is not a Space`,
    );
    expect(env.actionSpace(a) instanceof Space, C, () => `actionSpace('${a}') is not a Space`);
  }

  for (let episode = 0; episode < (opts.resets ?? 2); episode++) {
    const { observations, infos } = env.reset(episode === 0 ? { seed: opts.seed ?? 0 } : undefined);
    expect(
      isPlainObject(observations) && isPlainObject(infos),
      C,
      () => 'reset() must return { observations, infos } dicts',
    );
    expect(env.agents.length > 0, C, () => 'no live agents after reset()');
    for (const a of env.agents) {
      expect(possible.includes(a), C, () => `live agent '${a}' is not in possibleAgents`);
      expect(Object.hasOwn(observations, a), C, () => `reset() gave no observation for '${a}'`);
      expect(Object.hasOwn(infos, a), C, () => `reset() gave no info for '${a}'`);
      checkInSpace(C, `reset() observation of '${a}'`, env.observationSpace(a), observations[a]);
    }
    let lastInfos: AgentDict<unknown> = infos;
    const finished = new Set<string>();
    const everLive = new Set(env.agents);
    for (let cycle = 0; cycle < numCycles; cycle++) {
      const acting = [...env.agents];
      const actions: AgentDict<unknown> = {};
      for (const a of acting) {
        actions[a] = sampleAction(env.actionSpace(a), rng, lastInfos[a] as Record<string, unknown>);
      }
      const r = env.step(actions);
      for (const [k, d] of Object.entries(r)) {
        expect(isPlainObject(d), C, () => `step() ${k} must be a dict`);
        expect(
          sameKeys(d, acting),
          C,
          () =>
            `step() ${k} is keyed by [${Object.keys(d)}], expected the agents that acted [${acting}]`,
        );
      }
      for (const a of acting) {
        checkInSpace(C, `step() observation of '${a}'`, env.observationSpace(a), r.observations[a]);
        checkReward(C, `step() reward of '${a}'`, r.rewards[a]);
        checkBool(C, `step() termination of '${a}'`, r.terminations[a]);
        checkBool(C, `step() truncation of '${a}'`, r.truncations[a]);
        expect(isPlainObject(r.infos[a]), C, () => `step() info of '${a}' must be a plain object`);
        if (r.terminations[a] || r.truncations[a]) finished.add(a);
      }
      for (const a of env.agents) {
        expect(possible.includes(a), C, () => `live agent '${a}' is not in possibleAgents`);
        expect(
          !finished.has(a),
          C,
          () => `agent '${a}' is still live after it terminated or was truncated`,
        );
        everLive.add(a);
      }
      lastInfos = r.infos;
      if (env.agents.length === 0) {
        const skipped = [...everLive].filter((a) => !finished.has(a));
        expect(skipped.length === 0, C, () => `no agents are live but [${skipped}] never finished`);
        break;
      }
    }
  }
  env.close();
}
