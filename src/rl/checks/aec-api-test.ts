import { Generator } from '../../core/rng.js';
import { AECEnv } from '../aec-env.js';
import { describeValue } from '../errors.js';
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

export interface AecApiTestOptions {
  numCycles?: number;
  resets?: number;
  seed?: number;
}

/**
 * pettingzoo.test.api_test for AEC envs: agent bookkeeping (agents, agentSelection and the
 * per-agent dicts stay in step), `last()` consistent with `cumulativeRewards` and `observe`,
 * done agents stepped with null and then removed, observations inside their spaces.
 */
export function aecApiTest(env: AECEnv<unknown, unknown>, opts: AecApiTestOptions = {}): void {
  const C = `aecApiTest(${env})`;
  const numCycles = opts.numCycles ?? 1000;
  const rng = new Generator(opts.seed ?? 0);
  expect(env instanceof AECEnv, C, () => 'not an AECEnv');
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

  const checkBookkeeping = (when: string): void => {
    for (const [name, d] of [
      ['rewards', env.rewards],
      ['cumulativeRewards', env.cumulativeRewards],
      ['terminations', env.terminations],
      ['truncations', env.truncations],
      ['infos', env.infos],
    ] as const) {
      expect(
        isPlainObject(d) && sameKeys(d, env.agents),
        C,
        () => `${when}: ${name} keys [${Object.keys(d ?? {})}] differ from agents [${env.agents}]`,
      );
    }
    for (const a of env.agents) {
      expect(possible.includes(a), C, () => `${when}: live agent '${a}' is not in possibleAgents`);
      checkReward(C, `${when}: rewards['${a}']`, env.rewards[a]);
      checkReward(C, `${when}: cumulativeRewards['${a}']`, env.cumulativeRewards[a]);
      checkBool(C, `${when}: terminations['${a}']`, env.terminations[a]);
      checkBool(C, `${when}: truncations['${a}']`, env.truncations[a]);
    }
    if (env.agents.length > 0) {
      expect(
        env.agents.includes(env.agentSelection),
        C,
        () => `${when}: agentSelection '${env.agentSelection}' is not a live agent`,
      );
    }
  };

  for (let episode = 0; episode < (opts.resets ?? 2); episode++) {
    env.reset(episode === 0 ? { seed: opts.seed ?? 0 } : undefined);
    expect(env.agents.length > 0, C, () => 'no live agents after reset()');
    checkBookkeeping('after reset()');
    for (const a of env.agents) {
      const o = env.observe(a);
      if (o !== null) checkInSpace(C, `observe('${a}')`, env.observationSpace(a), o);
    }
    const finished = new Set<string>();
    let steps = 0;
    for (const agent of env.agentIter(numCycles * Math.max(1, env.numAgents))) {
      expect(
        !finished.has(agent),
        C,
        () => `agent '${agent}' was selected again after being removed`,
      );
      const last = env.last();
      expect(
        last.reward === env.cumulativeRewards[agent],
        C,
        () =>
          `last().reward ${last.reward} != cumulativeRewards['${agent}'] ${env.cumulativeRewards[agent]}`,
      );
      expect(env.last(false).observation === null, C, () => 'last(false) must not observe');
      if (last.observation !== null) {
        checkInSpace(
          C,
          `last() observation of '${agent}'`,
          env.observationSpace(agent),
          last.observation,
        );
      }
      const done = last.termination || last.truncation;
      const action = done ? null : sampleAction(env.actionSpace(agent), rng, last.info);
      env.step(action);
      steps++;
      if (done) {
        expect(
          !env.agents.includes(agent),
          C,
          () => `agent '${agent}' stepped with null while done but was not removed`,
        );
        finished.add(agent);
      }
      checkBookkeeping(`after step ${steps} ('${agent}')`);
    }
    if (env.agents.length === 0) {
      for (const d of [env.rewards, env.terminations, env.truncations, env.infos]) {
        expect(
          Object.keys(d).length === 0,
          C,
          () => 'per-agent dicts must be empty once every agent is removed',
        );
      }
    }
  }
  env.close();
}
