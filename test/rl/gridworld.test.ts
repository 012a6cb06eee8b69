import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/core/errors.js';
import { GridWorldEnv, make, MultiGridWorldEnv, PRESET_MAPS } from '../../src/rl/index.js';

const LEFT = 0;
const DOWN = 1;
const RIGHT = 2;
const UP = 3;

describe('GridWorld-v0', () => {
  it('rejects malformed maps with the row/column at fault', () => {
    expect(() => new GridWorldEnv({ map: ['###', '#S'] })).toThrow(/row 1 has 2 columns/);
    expect(() => new GridWorldEnv({ map: ['#S?#'] })).toThrow(
      /unknown map character '\?' at row 0, column 2/,
    );
    expect(() => new GridWorldEnv({ map: ['###'] })).toThrow(ConfigError);
    expect(() => make('GridWorld-v0', { map: 'nope' })).toThrow(/option 'map'/);
  });

  it('walls block, goals pay goalReward and end the episode', () => {
    const env = new GridWorldEnv({ map: ['#####', '#S.G#', '#####'], stepReward: -0.5 });
    env.reset({ seed: 0 });
    expect(env.position).toEqual([1, 1]);
    let r = env.step(UP);
    expect(env.position).toEqual([1, 1]);
    expect(r.reward).toBe(-0.5);
    expect(Array.from(r.info.action_mask as Int8Array)).toEqual([0, 0, 1, 0]);
    r = env.step(RIGHT);
    expect(r.terminated).toBe(false);
    r = env.step(RIGHT);
    expect(r).toMatchObject({ reward: 1, terminated: true, truncated: false });
    expect(env.render()).toBe(['#####', '#S.A#', '#####'].join('\n'));
  });

  it('pits pay pitReward and end the episode (cliff map)', () => {
    const env = new GridWorldEnv({ map: 'cliff' });
    env.reset({ seed: 0 });
    const r = env.step(RIGHT);
    expect(r).toMatchObject({ reward: -1, terminated: true });
  });

  it('observes the full grid one-hot, or an egocentric window with viewRadius', () => {
    const full = new GridWorldEnv({ map: 'empty5' });
    expect(full.observationSpace.shape).toEqual([7, 7, 4]);
    const o = full.reset({ seed: 0 }).observation;
    const at = (r: number, c: number, ch: number): number => o[(r * 7 + c) * 4 + ch];
    expect(at(0, 0, 0)).toBe(1); // wall
    expect(at(5, 5, 1)).toBe(1); // goal
    expect(at(1, 1, 3)).toBe(1); // agent
    expect(o.reduce((a, b) => a + b)).toBe(24 + 1 + 1);

    const ego = new GridWorldEnv({ map: 'empty5', viewRadius: 1 });
    expect(ego.observationSpace.shape).toEqual([3, 3, 4]);
    const e = ego.reset({ seed: 0 }).observation;
    const wall = [0, 1, 2, 3, 6].map((i) => e[i * 4]);
    expect(wall).toEqual([1, 1, 1, 1, 1]); // top row and left column around (1, 1)
    expect(e[4 * 4 + 3]).toBe(1); // the agent at the centre
    ego.step(DOWN);
    const far = new GridWorldEnv({ map: 'empty5', viewRadius: 3 });
    const f = far.reset({ seed: 0 }).observation;
    // Outside the map reads as wall.
    expect(f[0]).toBe(1);
  });

  it('slips deterministically for a given seed', () => {
    const run = (seed: number): number[][] => {
      const env = new GridWorldEnv({ map: 'fourRooms', slipProbability: 0.5 });
      env.reset({ seed });
      return Array.from({ length: 30 }, () => {
        env.step(RIGHT);
        return env.position;
      });
    };
    expect(run(4)).toEqual(run(4));
    expect(run(4)).not.toEqual(run(5));
    expect(Object.keys(PRESET_MAPS)).toContain('lava');
    void LEFT;
  });
});

describe('MultiGridWorld-v0', () => {
  it('lets several agents reach one goal and removes them when done', () => {
    const env = new MultiGridWorldEnv({ map: ['#######', '#S.G.S#', '#######'], numAgents: 2 });
    const { infos } = env.reset({ seed: 1 });
    expect(env.agents).toEqual(['agent_0', 'agent_1']);
    const dir: Record<string, number> = {};
    for (const a of env.agents) dir[a] = (infos[a].action_mask as Int8Array).indexOf(1);
    let r = env.step(dir);
    expect(r.terminations).toEqual({ agent_0: false, agent_1: false });
    r = env.step(dir);
    expect(r.rewards).toEqual({ agent_0: 1, agent_1: 1 });
    expect(r.terminations).toEqual({ agent_0: true, agent_1: true });
    expect(env.agents).toEqual([]);
  });

  it('blocks a move into a cell held by another agent', () => {
    const env = new MultiGridWorldEnv({ map: ['#####', '#S.S#', '#####'], numAgents: 2 });
    const { infos } = env.reset({ seed: 0 });
    const dir: Record<string, number> = {};
    for (const a of env.agents) dir[a] = (infos[a].action_mask as Int8Array).indexOf(1);
    env.step(dir);
    const state = env.state();
    const count = (c: number): number => state[(1 * 5 + c) * 4 + 3];
    expect([count(1), count(2), count(3)].sort()).toEqual([0, 1, 1]);
    expect(count(2)).toBe(1);
  });

  it('truncates every live agent at maxCycles', () => {
    const env = new MultiGridWorldEnv({ maxCycles: 3 });
    env.reset({ seed: 0 });
    let r;
    for (let i = 0; i < 3; i++) r = env.step({ agent_0: 0, agent_1: 0 });
    expect(r!.truncations).toEqual({ agent_0: true, agent_1: true });
    expect(env.agents).toEqual([]);
    expect(() => env.observationSpace('agent_9')).toThrow(/unknown agent 'agent_9'/);
    expect(() => new MultiGridWorldEnv({ map: ['#S#'], numAgents: 2 })).toThrow(/do not fit/);
  });
});
