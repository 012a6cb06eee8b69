import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../../../src/core/errors.js';
import { Generator } from '../../../../src/core/rng.js';
import {
  SimpleSpeakerListenerEnv,
  SimpleSpreadEnv,
  SimpleTagEnv,
  benchSimpleSpread,
  tagBound,
  type MpeAction,
  type MpeParallelEnv,
} from '../../../../src/rl/envs/mpe/index.js';
import { EnvError } from '../../../../src/rl/errors.js';
import { Box } from '../../../../src/rl/spaces/box.js';
import { Discrete } from '../../../../src/rl/spaces/discrete.js';

function noop(env: MpeParallelEnv): Record<string, MpeAction> {
  const acts: Record<string, MpeAction> = {};
  for (const a of env.agents) {
    const space = env.actionSpace(a);
    acts[a] = space instanceof Box ? new Float32Array(space.size) : 0;
  }
  return acts;
}

function randomActions(env: MpeParallelEnv, rng: Generator): Record<string, MpeAction> {
  const acts: Record<string, MpeAction> = {};
  for (const a of env.agents) acts[a] = env.actionSpace(a).sample(rng) as MpeAction;
  return acts;
}

describe('SimpleSpread-v3', () => {
  it('has PettingZoo shapes: Discrete(5)/Box(5) actions, 18-dim observations for N=3', () => {
    const env = new SimpleSpreadEnv();
    expect(env.possibleAgents).toEqual(['agent_0', 'agent_1', 'agent_2']);
    const { observations, infos } = env.reset({ seed: 0 });
    for (const a of env.possibleAgents) {
      expect(observations[a]).toBeInstanceOf(Float32Array);
      expect(observations[a].length).toBe(18);
      expect(env.observationSpace(a).shape).toEqual([18]);
      expect((env.actionSpace(a) as Discrete).n).toBe(5);
      expect(infos[a]).toEqual({});
    }
    const c = new SimpleSpreadEnv({ continuousActions: true, numAgents: 4, numLandmarks: 2 });
    c.reset({ seed: 0 });
    expect((c.actionSpace('agent_0') as Box).shape).toEqual([5]);
    // 4 + 2*2 landmarks + 2*3 others + 2*3 comm
    expect(c.observationSpace('agent_3').shape).toEqual([20]);
    expect(c.state().length).toBe(80);
  });

  it('lays out observations as [vel, pos, landmark_rel, other_rel, other_comm]', () => {
    const env = new SimpleSpreadEnv({ numAgents: 2, numLandmarks: 1 });
    const { observations } = env.reset({
      seed: 0,
      options: {
        initialState: {
          agents: [{ pos: [0.5, -0.5], vel: [0.1, 0.2] }, { pos: [-0.25, 0.75] }],
          landmarks: [{ pos: [1, 1] }],
        },
      },
    });
    expect(Array.from(observations.agent_0)).toEqual(
      [0.1, 0.2, 0.5, -0.5, 0.5, 1.5, -0.75, 1.25, 0, 0].map(Math.fround),
    );
  });

  it('mixes the global distance reward and the local collision penalty by localRatio', () => {
    const env = new SimpleSpreadEnv({ numAgents: 3, localRatio: 0.25 });
    env.reset({
      seed: 0,
      options: {
        initialState: {
          // agents 0 and 1 overlap (radius 0.15 each) and push into each other; agent 2 is far
          agents: [{ pos: [0, 0] }, { pos: [0.25, 0] }, { pos: [3, 3] }],
          landmarks: [{ pos: [0, 1] }, { pos: [3, 2] }, { pos: [-2, 0] }],
        },
      },
    });
    const r = env.step({ agent_0: 2, agent_1: 1, agent_2: 0 });
    const w = env.scenario.world;
    const [a0, a1, a2] = w.agents;
    const d = (x: { pos: Float64Array }, y: { pos: Float64Array }) =>
      Math.hypot(x.pos[0] - y.pos[0], x.pos[1] - y.pos[1]);
    let global = 0;
    for (const lm of w.landmarks) global -= Math.min(d(a0, lm), d(a1, lm), d(a2, lm));
    expect(d(a0, a1)).toBeLessThan(0.3); // still overlapping after one step
    expect(r.rewards.agent_0).toBeCloseTo(global * 0.75 - 0.25, 12);
    expect(r.rewards.agent_1).toBeCloseTo(global * 0.75 - 0.25, 12);
    expect(r.rewards.agent_2).toBeCloseTo(global * 0.75, 12);
  });

  it('separates overlapping agents through contact forces', () => {
    const env = new SimpleSpreadEnv({ numAgents: 2, numLandmarks: 1 });
    env.reset({
      seed: 0,
      options: { initialState: { agents: [{ pos: [0, 0] }, { pos: [0.05, 0] }] } },
    });
    const [a, b] = env.scenario.world.agents;
    for (let t = 0; t < 10; t++) env.step(noop(env));
    expect(Math.abs(a.pos[0] - b.pos[0])).toBeGreaterThan(0.3);
  });

  it('truncates every agent after maxCycles and removes them', () => {
    const env = new SimpleSpreadEnv({ maxCycles: 7 });
    env.reset({ seed: 3 });
    const rng = new Generator(0);
    for (let t = 1; t <= 7; t++) {
      const r = env.step(randomActions(env, rng));
      for (const a of env.possibleAgents) {
        expect(r.truncations[a]).toBe(t === 7);
        expect(r.terminations[a]).toBe(false);
      }
      expect(env.agents.length).toBe(t === 7 ? 0 : 3);
    }
    expect(env.cycles).toBe(7);
    expect(() => env.step({})).toThrow(EnvError);
    env.reset();
    expect(env.agents.length).toBe(3);
  });

  it('is deterministic under a seed and differs across seeds', () => {
    const run = (seed: number) => {
      const env = new SimpleSpreadEnv({ continuousActions: true });
      const rng = new Generator(seed + 100);
      const out: number[] = Array.from(env.reset({ seed }).observations.agent_1);
      while (env.agents.length > 0) {
        const r = env.step(randomActions(env, rng));
        out.push(...r.observations.agent_1, r.rewards.agent_1);
      }
      // A reset without a seed continues the stream deterministically too.
      out.push(...env.reset().observations.agent_2);
      return out;
    };
    expect(run(5)).toEqual(run(5));
    expect(run(5)).not.toEqual(run(6));
  });

  it('rejects invalid actions and misuse with EnvError', () => {
    const env = new SimpleSpreadEnv();
    expect(() => env.step({ agent_0: 0, agent_1: 0, agent_2: 0 })).toThrow(/before reset/);
    env.reset({ seed: 0 });
    expect(() => env.step({ agent_0: 0, agent_1: 0 })).toThrow(EnvError);
    expect(() => env.step({ agent_0: 0, agent_1: 0, agent_2: 5 })).toThrow(EnvError);
    expect(() => env.step({ agent_0: 0, agent_1: 0, agent_2: 1.5 })).toThrow(EnvError);
    expect(() => env.step({ agent_0: 0, agent_1: 0, agent_2: 0, ghost: 0 })).toThrow(EnvError);
    expect(() => env.observationSpace('ghost')).toThrow(EnvError);
    const c = new SimpleSpreadEnv({ continuousActions: true });
    c.reset({ seed: 0 });
    const ok = new Float32Array(5);
    expect(() => c.step({ agent_0: ok, agent_1: ok, agent_2: [0, NaN, 0, 0, 0] })).toThrow(
      EnvError,
    );
    expect(() => c.step({ agent_0: ok, agent_1: ok, agent_2: [0, 0, 0] })).toThrow(EnvError);
    expect(() => c.reset({ options: { initialState: { agents: [{ pos: [0] }] } } })).toThrow(
      EnvError,
    );
  });

  it('clips continuous actions outside [0, 1] as PettingZoo does', () => {
    const a = new SimpleSpreadEnv({ continuousActions: true });
    const b = new SimpleSpreadEnv({ continuousActions: true });
    a.reset({ seed: 1 });
    b.reset({ seed: 1 });
    const inside = [0, 0, 1, 0, 0.5];
    const outside = [-1, -2, 3, -0.5, 0.5];
    const ra = a.step({ agent_0: inside, agent_1: inside, agent_2: inside });
    const rb = b.step({ agent_0: outside, agent_1: outside, agent_2: outside });
    expect(rb.observations).toEqual(ra.observations);
  });

  it('rewards the hidden goal offset and leaves observations as without it', () => {
    const initialState = {
      agents: [{ pos: [0.5, 0] }, { pos: [-1, -1] }],
      landmarks: [{ pos: [0, 0] }, { pos: [1, 1] }],
    };
    const plain = new SimpleSpreadEnv({ numAgents: 2, localRatio: 0 });
    const moved = new SimpleSpreadEnv({
      numAgents: 2,
      localRatio: 0,
      goalOffset: 0.5,
      goalAngle: Math.PI / 2,
    });
    const p = plain.reset({ seed: 4, options: { initialState } });
    const m = moved.reset({ seed: 4, options: { initialState } });
    expect(m.observations).toEqual(p.observations);
    const rp = plain.step({ agent_0: 0, agent_1: 0 });
    const rm = moved.step({ agent_0: 0, agent_1: 0 });
    expect(rm.observations).toEqual(rp.observations);
    // Rewarded points: (0, 0.5) and (1, 1.5); nothing moved under no-op actions.
    const d = (x: number, y: number, gx: number, gy: number) => Math.hypot(x - gx, y - gy);
    const near = (gx: number, gy: number) => Math.min(d(0.5, 0, gx, gy), d(-1, -1, gx, gy));
    expect(rm.rewards.agent_0).toBeCloseTo(-(near(0, 0.5) + near(1, 1.5)), 12);
    expect(rp.rewards.agent_0).toBeCloseTo(-(near(0, 0) + near(1, 1)), 12);
    // A zero offset in any direction is PettingZoo's task.
    const zero = new SimpleSpreadEnv({ numAgents: 2, localRatio: 0, goalAngle: 2 });
    zero.reset({ seed: 4, options: { initialState } });
    expect(zero.step({ agent_0: 0, agent_1: 0 }).rewards).toEqual(rp.rewards);
  });

  it('validates options with typed errors', () => {
    expect(() => new SimpleSpreadEnv({ goalOffset: -0.5 })).toThrow(/goalOffset/);
    expect(() => new SimpleSpreadEnv({ goalAngle: Number.NaN })).toThrow(ConfigError);
    expect(() => new SimpleSpreadEnv({ localRatio: 2 })).toThrow(ConfigError);
    expect(() => new SimpleSpreadEnv({ numAgents: 0 })).toThrow(ConfigError);
    expect(() => new SimpleSpreadEnv({ bogus: 1 } as never)).toThrow(ConfigError);
  });

  it('benchSimpleSpread reports a positive rate', () => {
    const rate = benchSimpleSpread(200);
    expect(Number.isFinite(rate) && rate > 0).toBe(true);
  });
});

describe('SimpleTag-v3', () => {
  it('orders adversaries first and gives 16/14-dim observations by default', () => {
    const env = new SimpleTagEnv();
    const { observations } = env.reset({ seed: 0 });
    expect(env.possibleAgents).toEqual(['adversary_0', 'adversary_1', 'adversary_2', 'agent_0']);
    expect(observations.adversary_0.length).toBe(16);
    expect(observations.agent_0.length).toBe(14);
    const big = new SimpleTagEnv({ numGood: 2, numAdversaries: 2, numObstacles: 1 });
    // 4 + 2 obstacles... : adversary sees 2 good velocities, good agents see 1
    expect(big.observationSpace('adversary_0').shape).toEqual([4 + 2 + 6 + 4]);
    expect(big.observationSpace('agent_1').shape).toEqual([4 + 2 + 6 + 2]);
  });

  it('uses PettingZoo sizes, accelerations and speed limits', () => {
    const env = new SimpleTagEnv();
    const [adv, , , good] = env.scenario.world.agents;
    expect([adv.size, adv.accel, adv.maxSpeed]).toEqual([0.075, 3, 1]);
    expect([good.size, good.accel, good.maxSpeed]).toEqual([0.05, 4, 1.3]);
    expect(env.scenario.world.landmarks.map((l) => [l.size, l.collide, l.movable])).toEqual([
      [0.2, true, false],
      [0.2, true, false],
    ]);
  });

  it('rewards every adversary +10 per catch and punishes the prey and its escapes', () => {
    const env = new SimpleTagEnv();
    env.reset({
      seed: 0,
      options: {
        initialState: {
          agents: [{ pos: [0, 0] }, { pos: [-0.8, -0.8] }, { pos: [0.8, -0.8] }, { pos: [0.1, 0] }],
          landmarks: [{ pos: [0, 0.6] }, { pos: [-0.6, 0.3] }],
        },
      },
    });
    // adversary_0 and the prey overlap and run into each other
    const r = env.step({ adversary_0: 2, adversary_1: 0, adversary_2: 0, agent_0: 1 });
    const good = env.scenario.world.agents[3];
    expect(r.rewards.adversary_0).toBe(10);
    expect(r.rewards.adversary_1).toBe(10);
    expect(r.rewards.adversary_2).toBe(10);
    const bound = tagBound(Math.abs(good.pos[0])) + tagBound(Math.abs(good.pos[1]));
    expect(r.rewards.agent_0).toBeCloseTo(-10 - bound, 12);
  });

  it('penalises leaving the arena with the bound function', () => {
    expect(tagBound(0.5)).toBe(0);
    expect(tagBound(0.95)).toBeCloseTo(0.5, 12);
    expect(tagBound(1.2)).toBeCloseTo(Math.exp(0.4), 12);
    expect(tagBound(5)).toBe(10);
    const env = new SimpleTagEnv();
    env.reset({
      seed: 0,
      options: {
        initialState: {
          agents: [
            { pos: [-0.5, 0] },
            { pos: [-0.5, 0.5] },
            { pos: [-0.5, -0.5] },
            { pos: [1.5, 0] },
          ],
          landmarks: [{ pos: [0, 0.6] }, { pos: [0, -0.6] }],
        },
      },
    });
    const r = env.step(noop(env));
    expect(r.rewards.agent_0).toBeCloseTo(-Math.exp(2 * 1.5 - 2), 12);
  });
});

describe('SimpleSpeakerListener-v4', () => {
  it('has a 3-word speaker and a 5-move listener with 3/11-dim observations', () => {
    const env = new SimpleSpeakerListenerEnv();
    const { observations } = env.reset({ seed: 0 });
    expect(env.possibleAgents).toEqual(['speaker_0', 'listener_0']);
    expect((env.actionSpace('speaker_0') as Discrete).n).toBe(3);
    expect((env.actionSpace('listener_0') as Discrete).n).toBe(5);
    expect(observations.speaker_0.length).toBe(3);
    expect(observations.listener_0.length).toBe(11);
    const c = new SimpleSpeakerListenerEnv({ continuousActions: true });
    expect((c.actionSpace('speaker_0') as Box).shape).toEqual([3]);
    expect((c.actionSpace('listener_0') as Box).shape).toEqual([5]);
  });

  it('shows the goal colour to the speaker and relays its word to the listener', () => {
    const env = new SimpleSpeakerListenerEnv();
    const { observations } = env.reset({ seed: 0, options: { initialState: { goal: 1 } } });
    expect(Array.from(observations.speaker_0)).toEqual([0.15, 0.65, 0.15].map(Math.fround));
    expect(Array.from(observations.listener_0.slice(8))).toEqual([0, 0, 0]);
    const r = env.step({ speaker_0: 2, listener_0: 0 });
    expect(Array.from(r.observations.listener_0.slice(8))).toEqual([0, 0, 1]);
  });

  it('gives both agents minus the squared listener-goal distance', () => {
    const env = new SimpleSpeakerListenerEnv();
    env.reset({
      seed: 0,
      options: {
        initialState: {
          goal: 2,
          agents: [{ pos: [0, 0] }, { pos: [0.5, 0.5] }],
          landmarks: [{ pos: [1, 1] }, { pos: [-1, 1] }, { pos: [0.5, -0.5] }],
        },
      },
    });
    const r = env.step({ speaker_0: 0, listener_0: 0 });
    expect(r.rewards.listener_0).toBeCloseTo(-1, 12);
    expect(r.rewards.speaker_0).toBe(r.rewards.listener_0);
    // the speaker cannot move
    expect(Array.from(env.scenario.world.agents[0].pos)).toEqual([0, 0]);
  });

  it('draws every goal over seeds', () => {
    const goals = new Set<number>();
    const env = new SimpleSpeakerListenerEnv();
    for (let s = 0; s < 30; s++) {
      env.reset({ seed: s });
      goals.add(Array.from(env.observe('speaker_0')).indexOf(Math.fround(0.65)));
    }
    expect([...goals].sort()).toEqual([0, 1, 2]);
  });
});
