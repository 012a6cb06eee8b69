import { describe, expect, it } from 'vitest';
import { Generator } from '../../src/core/rng.js';
import {
  aecToParallel,
  EnvError,
  makeParallel,
  MultiGridWorldEnv,
  parallelToAec,
  sameValue,
  type AgentDict,
  type ParallelEnv,
} from '../../src/rl/index.js';

function randomActions(env: ParallelEnv<unknown, number>, rng: Generator): AgentDict<number> {
  return Object.fromEntries(env.agents.map((a) => [a, env.actionSpace(a).sample(rng)]));
}

describe('parallelToAec', () => {
  it('steps the parallel env once per cycle; last() reports the cycle reward', () => {
    const par = new MultiGridWorldEnv({ numAgents: 3 });
    const ref = new MultiGridWorldEnv({ numAgents: 3 });
    const aec = parallelToAec(par);
    aec.reset({ seed: 4 });
    const refObs = ref.reset({ seed: 4 }).observations;
    expect(aec.agentSelection).toBe('agent_0');
    for (const a of aec.agents) expect(sameValue(aec.observe(a), refObs[a])).toBe(true);
    const rng = new Generator(0);
    for (let cycle = 0; cycle < 5; cycle++) {
      const actions = randomActions(ref, rng);
      const expected = ref.step(actions);
      for (const a of Object.keys(actions)) {
        expect(aec.agentSelection).toBe(a);
        aec.step(actions[a]);
      }
      for (const a of Object.keys(actions)) {
        expect(aec.rewards[a]).toBe(expected.rewards[a]);
        expect(aec.cumulativeRewards[a]).toBe(expected.rewards[a]);
        expect(sameValue(aec.observe(a), expected.observations[a])).toBe(true);
      }
      // Nothing finishes in the first cycles of a 10x10 arena with a step limit of 100.
      if (ref.agents.length < 3) break;
    }
  });

  it('requires null for done agents and removes them, restoring the selection', () => {
    const aec = parallelToAec(
      new MultiGridWorldEnv({ map: ['#######', '#S.G.S#', '#######'], maxCycles: 50 }),
    );
    aec.reset({ seed: 0 });
    const dir: AgentDict<number> = {};
    for (const a of aec.agents) dir[a] = (aec.infos[a].action_mask as Int8Array).indexOf(1);
    for (let i = 0; i < 4; i++) aec.step(dir[aec.agentSelection]);
    // Both agents reached the goal in the second cycle: both are done, neither removed yet.
    expect(aec.agents.length).toBe(2);
    expect(aec.terminations[aec.agentSelection]).toBe(true);
    expect(aec.last().reward).toBe(1);
    expect(() => aec.step(0)).toThrow(EnvError);
    aec.step(null);
    expect(aec.agents.length).toBe(1);
    expect(aec.rewards[aec.agentSelection]).toBe(0); // cleared by the dead step
    aec.step(null);
    expect(aec.agents).toEqual([]);
    expect([...aec.agentIter()]).toEqual([]);
  });
});

describe('aecToParallel', () => {
  it('round-trips: aecToParallel(parallelToAec(env)) reproduces env trajectories', () => {
    const direct = new MultiGridWorldEnv({ numAgents: 4, maxCycles: 40 });
    const round = aecToParallel(
      parallelToAec(new MultiGridWorldEnv({ numAgents: 4, maxCycles: 40 })),
    );
    const r1 = new Generator(9);
    const r2 = new Generator(9);
    expect(sameValue(direct.reset({ seed: 2 }), round.reset({ seed: 2 }))).toBe(true);
    for (let t = 0; t < 400; t++) {
      if (direct.agents.length === 0) {
        expect(round.agents).toEqual([]);
        expect(sameValue(direct.reset(), round.reset())).toBe(true);
      }
      const a = direct.step(randomActions(direct, r1));
      const b = round.step(randomActions(round, r2));
      expect(sameValue(a, b)).toBe(true);
      expect(round.agents).toEqual(direct.agents);
    }
  });
});

describe('made parallel envs', () => {
  it('ParallelTimeLimit truncates everyone and the order enforcer refuses further steps', () => {
    const env = makeParallel<Float32Array, number>('MultiGridWorld-v0', {}, { maxEpisodeSteps: 3 });
    expect(String(env)).toContain('ParallelTimeLimit');
    env.reset({ seed: 0 });
    let r;
    for (let i = 0; i < 3; i++) r = env.step({ agent_0: 0, agent_1: 0 });
    expect(r!.truncations).toEqual({ agent_0: true, agent_1: true });
    expect(env.agents).toEqual([]);
    expect(() => env.step({})).toThrow(/no live agents/);
  });

  it('names the env, agent and action on invalid input', () => {
    const env = makeParallel('MultiGridWorld-v0');
    env.reset({ seed: 0 });
    expect(() => env.step({ agent_0: 7, agent_1: 0 })).toThrow(
      /MultiGridWorld-v0: action 7 for agent 'agent_0' is not in its action space/,
    );
    expect(() => env.step({ agent_0: 0 })).toThrow(/no action given for live agent\(s\) agent_1/);
    expect(() => env.step({ agent_0: 0, agent_1: 0, ghost: 0 })).toThrow(
      /agent 'ghost', which is not live/,
    );
  });
});
