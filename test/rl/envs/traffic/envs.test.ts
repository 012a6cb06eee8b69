import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../../../src/core/errors.js';
import { Generator } from '../../../../src/core/rng.js';
import {
  HighwayMergeEnv,
  TrafficIntersectionEnv,
  type TrafficAction,
  type TrafficEnv,
} from '../../../../src/rl/envs/traffic/index.js';
import { EnvError } from '../../../../src/rl/errors.js';
import { makeParallel } from '../../../../src/rl/registry.js';
import { Box } from '../../../../src/rl/spaces/box.js';
import { Discrete } from '../../../../src/rl/spaces/discrete.js';

function all(env: TrafficEnv, action: TrafficAction): Record<string, TrafficAction> {
  return Object.fromEntries(env.agents.map((a) => [a, action]));
}

/** Removes all background traffic (for tests that need an empty road). */
function emptyRoad(env: TrafficEnv): void {
  env.world!.vehicles = env.world!.vehicles.filter((v) => v.controlled);
}

const quiet = { spawnProbability: 0, initialVehicles: 0 };

describe('traffic envs: spaces and API', () => {
  it('exposes Discrete(5) meta-actions or Box(2) controls and K x 7 kinematics observations', () => {
    const env = new TrafficIntersectionEnv();
    expect(env.possibleAgents).toEqual(['agent_0', 'agent_1']);
    expect((env.actionSpace('agent_0') as Discrete).n).toBe(5);
    expect(env.observationSpace('agent_0').shape).toEqual([5, 7]);
    const { observations } = env.reset({ seed: 0 });
    for (const a of env.possibleAgents) {
      expect(observations[a]).toBeInstanceOf(Float32Array);
      expect(env.observationSpace(a).contains(observations[a])).toBe(true);
      expect(observations[a][0]).toBe(1); // ego presence
    }
    const c = new HighwayMergeEnv({ continuousActions: true, vehiclesObserved: 8, numAgents: 3 });
    expect((c.actionSpace('agent_2') as Box).shape).toEqual([2]);
    expect(c.observationSpace('agent_2').shape).toEqual([8, 7]);
  });

  it('is deterministic under a seed and differs across seeds', () => {
    for (const make of [() => new TrafficIntersectionEnv(), () => new HighwayMergeEnv()]) {
      const trace = (seed: number) => {
        const env = make();
        const rng = new Generator(1);
        const out: number[] = Array.from(env.reset({ seed }).observations.agent_0);
        for (let t = 0; t < 150 && env.agents.length > 0; t++) {
          const acts: Record<string, TrafficAction> = {};
          for (const a of env.agents) acts[a] = env.actionSpace(a).sample(rng);
          const r = env.step(acts);
          for (const a of Object.keys(r.rewards)) out.push(r.rewards[a], ...r.observations[a]);
        }
        out.push(env.world!.vehicles.length);
        return out;
      };
      expect(trace(3)).toEqual(trace(3));
      expect(trace(3)).not.toEqual(trace(4));
    }
  });

  it('rejects invalid actions and misuse with EnvError, bad options with ConfigError', () => {
    const env = new HighwayMergeEnv();
    expect(() => env.step(all(env, 0))).toThrow(/before reset/);
    env.reset({ seed: 0 });
    expect(() => env.step({ agent_0: 0 })).toThrow(EnvError);
    expect(() => env.step({ agent_0: 0, agent_1: 7 })).toThrow(EnvError);
    expect(() => env.step({ agent_0: 0, agent_1: 0, agent_9: 0 })).toThrow(EnvError);
    expect(() => new TrafficIntersectionEnv({ numAgents: 5 })).toThrow(ConfigError);
    expect(() => new HighwayMergeEnv({ lanes: 0 })).toThrow(ConfigError);
    expect(
      () => new HighwayMergeEnv({ rewardWeights: { progress: 1, bogus: 2 } } as never),
    ).toThrow(ConfigError);
    const c = new HighwayMergeEnv({ continuousActions: true });
    c.reset({ seed: 0 });
    expect(() => c.step({ agent_0: [0, 2], agent_1: [0, 0] })).toThrow(EnvError);
  });

  it('is registered and built through makeParallel with validated options', async () => {
    await import('../../../../src/rl/envs/multi-agent.js');
    const env = makeParallel('HighwayMerge-v0', { numAgents: 1, lanes: 3 });
    env.reset({ seed: 0 });
    expect(env.agents).toEqual(['agent_0']);
    expect(() => makeParallel('TrafficIntersection-v0', { nope: 1 })).toThrow(ConfigError);
  });
});

describe('traffic envs: dynamics, rewards and episode ends', () => {
  it('detects a collision between two agents, ends both and removes their vehicles', () => {
    const env = new TrafficIntersectionEnv({ ...quiet, numAgents: 2 });
    env.reset({ seed: 0 });
    const v0 = env.vehicleOf('agent_0')!;
    const v1 = env.vehicleOf('agent_1')!;
    // Put agent_1 half a car length ahead of agent_0, turned across it.
    v1.x = v0.x + 2 * Math.cos(v0.heading);
    v1.y = v0.y + 2 * Math.sin(v0.heading);
    v1.heading = v0.heading + Math.PI / 2;
    const r = env.step(all(env, 0));
    for (const a of ['agent_0', 'agent_1']) {
      expect(r.terminations[a]).toBe(true);
      expect(r.truncations[a]).toBe(false);
      expect(r.infos[a]).toMatchObject({ crashed: true });
    }
    // (agent_1's progress term is meaningless after the teleport; agent_0's is ~0.05)
    expect(r.rewards.agent_0).toBeLessThan(-9);
    expect(env.agents).toEqual([]);
    expect(env.world!.vehicles).not.toContain(v0);
    expect(env.world!.vehicles).not.toContain(v1);
    expect(env.world!.collisions.length).toBe(1);
    expect(() => env.step({})).toThrow(EnvError);
  });

  it('ends only the agent that hits a background vehicle; the wreck leaves the road', () => {
    const env = new TrafficIntersectionEnv({ ...quiet, numAgents: 2 });
    env.reset({ seed: 1 });
    const v0 = env.vehicleOf('agent_0')!;
    const route = env.layout.routeOfVehicle(v0)!;
    const wreck = env.layout.addVehicle(env.world!, route, v0.coords.s + 3, 0, false);
    const r = env.step(all(env, 0));
    expect(r.terminations.agent_0).toBe(true);
    expect(r.infos.agent_0).toMatchObject({ crashed: true });
    expect(r.terminations.agent_1).toBe(false);
    expect(env.agents).toEqual(['agent_1']);
    expect(env.world!.vehicles).not.toContain(wreck);
    expect(env.world!.vehicles.length).toBe(1);
  });

  it('terminates an agent that steers off the road', () => {
    const env = new HighwayMergeEnv({ continuousActions: true, numAgents: 1 });
    env.reset({ seed: 0 });
    emptyRoad(env);
    let r;
    let t = 0;
    do {
      r = env.step({ agent_0: [0, 1] });
      t++;
    } while (env.agents.length > 0 && t < 200);
    expect(r.terminations.agent_0).toBe(true);
    expect(r.infos.agent_0).toMatchObject({ offRoad: true, crashed: false });
    expect(r.rewards.agent_0).toBeLessThan(-9);
  });

  it('pays the arrival bonus at the end of the route', () => {
    const env = new TrafficIntersectionEnv({ ...quiet, numAgents: 1, agentTurn: 'left' });
    env.reset({ seed: 2 });
    let r;
    let steps = 0;
    do {
      r = env.step({ agent_0: 1 }); // accelerate to 10 m/s and keep it
      steps++;
    } while (env.agents.length > 0);
    expect(r.terminations.agent_0).toBe(true);
    expect(r.infos.agent_0).toMatchObject({ arrived: true, crashed: false, offRoad: false });
    expect(r.rewards.agent_0).toBeGreaterThan(1);
    expect(steps).toBeLessThan(200);
  });

  it('truncates live agents after maxSteps and removes them', () => {
    const env = new TrafficIntersectionEnv({ ...quiet, maxSteps: 5 });
    env.reset({ seed: 0 });
    for (let t = 1; t <= 5; t++) {
      const r = env.step(all(env, 2));
      for (const a of env.possibleAgents) expect(r.truncations[a]).toBe(t === 5);
    }
    expect(env.agents).toEqual([]);
    expect(env.world!.vehicles.length).toBe(0);
  });

  it('rewards progress at w_progress * v / v_ref and charges jerk', () => {
    const env = new TrafficIntersectionEnv({ ...quiet, numAgents: 1 });
    env.reset({ seed: 0 });
    // starts at 5 m/s with a 5 m/s target on a straight approach: steady driving
    const steady = env.step({ agent_0: 0 });
    expect(steady.rewards.agent_0).toBeCloseTo((0.1 * 5) / 10, 3);
    const pushed = env.step({ agent_0: 1 }); // new target 10 m/s: a jump in acceleration
    const v = env.vehicleOf('agent_0')!;
    const jerk = (v.acceleration - 0) / 0.1;
    const progress = (0.1 * 5) / 10; // the position update uses the speed before the step
    expect(pushed.rewards.agent_0).toBeCloseTo(progress - 0.02 * Math.min(1, (jerk / 50) ** 2), 3);
    expect(pushed.rewards.agent_0).toBeLessThan(steady.rewards.agent_0);
  });

  it('changes lane on the left meta-action', () => {
    const env = new HighwayMergeEnv({ numAgents: 2, spawnProbability: 0, rampSpawnProbability: 0 });
    env.reset({ seed: 0 });
    emptyRoad(env);
    const v = env.vehicleOf('agent_1')!; // starts in the rightmost main lane (y = -4)
    expect(v.laneIndex).toBe(1);
    env.step({ agent_0: 0, agent_1: 3 });
    expect(v.laneIndex).toBe(0);
    for (let t = 0; t < 40 && env.agents.includes('agent_1'); t++) {
      env.step(Object.fromEntries(env.agents.map((a) => [a, 0])));
    }
    expect(Math.abs(v.y)).toBeLessThan(0.2);
    // no lane further left: ignored
    env.step(Object.fromEntries(env.agents.map((a) => [a, 3])));
    expect(v.laneIndex).toBe(0);
  });

  it('observes a vehicle ahead in the ego frame', () => {
    const env = new TrafficIntersectionEnv({ ...quiet, numAgents: 1 });
    env.reset({ seed: 4 });
    const v = env.vehicleOf('agent_0')!;
    const route = env.layout.routeOfVehicle(v)!;
    env.layout.addVehicle(env.world!, route, v.coords.s + 20, 2, false);
    const obs = env.observe('agent_0');
    expect(obs[7]).toBe(1);
    expect(obs[8]).toBeCloseTo(0.2, 5); // 20 m ahead over a 100 m perception range
    expect(obs[9]).toBeCloseTo(0, 5);
    expect(obs[10]).toBeCloseTo((2 - 5) / 20, 5); // closing at 3 m/s over 2 v_ref
    expect(obs[12]).toBeCloseTo(1, 5);
    expect(Array.from(obs.slice(14))).toEqual(new Array(21).fill(0));
  });

  it('keeps background traffic collision-free while random agents drive', () => {
    for (const env of [new TrafficIntersectionEnv(), new HighwayMergeEnv()]) {
      const rng = new Generator(0);
      for (let ep = 0; ep < 3; ep++) {
        env.reset({ seed: ep });
        while (env.agents.length > 0) {
          const acts: Record<string, TrafficAction> = {};
          for (const a of env.agents) acts[a] = env.actionSpace(a).sample(rng);
          env.step(acts);
        }
        expect(env.world!.backgroundCollisions).toBe(0);
      }
    }
  });
});
