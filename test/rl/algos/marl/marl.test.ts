import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CheckpointError, ConfigError, Generator } from '../../../../src/core/index.js';
import '../../../../src/rl/index.js';
import { makeParallel } from '../../../../src/rl/index.js';
import {
  evaluateMultiAgent,
  InputLayout,
  ippo,
  MarlAgent,
  mappo,
  ppoShared,
  randomTeamReturn,
  TEAM,
  type MarlTrainResult,
} from '../../../../src/rl/algos/marl/index.js';
import { getAlgorithm } from '../../../../src/rl/algos/registry.js';
import type { EpisodeRecord, TrainProgress } from '../../../../src/rl/algos/types.js';

const dirs: string[] = [];
afterAll(async () => {
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
});
async function tempDir(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), 'osmosis-marl-'));
  dirs.push(d);
  return d;
}

function spaces(envId: string, envOptions: Record<string, unknown> = {}) {
  const env = makeParallel(envId, envOptions);
  env.reset({ seed: 0 });
  const observationSpaces = Object.fromEntries(
    env.possibleAgents.map((a) => [a, env.observationSpace(a)]),
  );
  const actionSpaces = Object.fromEntries(env.possibleAgents.map((a) => [a, env.actionSpace(a)]));
  return { env, agents: env.possibleAgents, observationSpaces, actionSpaces };
}

describe('registration', () => {
  it('registers ippo, ppo-shared and mappo for parallel envs', () => {
    expect(getAlgorithm('ippo')).toBe(ippo);
    expect(getAlgorithm('ppo-shared')).toBe(ppoShared);
    expect(getAlgorithm('mappo')).toBe(mappo);
    for (const r of [ippo, ppoShared, mappo]) expect(r.envKind).toBe('parallel');
  });
});

describe('InputLayout', () => {
  it('ppo-shared pads observations and appends a one-hot agent id', () => {
    // SimpleTag: adversaries observe 16 values, the good agent 14; all act in Discrete(5).
    const s = spaces('SimpleTag-v3');
    const layout = new InputLayout({ kind: 'ppo-shared', agentId: true, stateDim: null, ...s });
    expect(layout.groups).toHaveLength(1);
    const n = s.agents.length;
    expect(layout.padDim).toBe(16);
    expect(layout.groups[0].actorDim).toBe(16 + n);
    const good = s.agents[n - 1];
    const obs = Float32Array.from({ length: 14 }, (_, i) => i + 1);
    const out = new Float32Array(16 + n).fill(9);
    layout.writeActorInput(good, obs, out, 0);
    expect([...out.subarray(0, 14)]).toEqual([...obs]);
    expect([...out.subarray(14, 16)]).toEqual([0, 0]);
    expect([...out.subarray(16)]).toEqual(s.agents.map((a) => (a === good ? 1 : 0)));
  });

  it('mappo feeds the critic env.state() plus the id; ippo keeps one group per agent', () => {
    const s = spaces('SimpleSpread-v3');
    const stateDim = (s.env.state() as Float32Array).length;
    expect(stateDim).toBe(3 * 18);
    const m = new InputLayout({ kind: 'mappo', agentId: true, stateDim, ...s });
    expect(m.groups[0].actorDim).toBe(18 + 3);
    expect(m.groups[0].criticDim).toBe(stateDim + 3);
    const g = m.globalInput(s.env, {});
    const out = new Float32Array(stateDim + 3);
    m.writeCriticInput('agent_2', g, out, 0);
    expect([...out.subarray(stateDim)]).toEqual([0, 0, 1]);
    const i = new InputLayout({ kind: 'ippo', agentId: true, stateDim: null, ...s });
    expect(i.groups.map((gr) => gr.agents)).toEqual([['agent_0'], ['agent_1'], ['agent_2']]);
    expect(i.groups[0].actorDim).toBe(18);
  });

  it('refuses to share one policy across different action spaces', () => {
    const s = spaces('SimpleSpeakerListener-v4');
    expect(
      () => new InputLayout({ kind: 'ppo-shared', agentId: true, stateDim: null, ...s }),
    ).toThrow(/same action space.*ippo/);
    expect(
      new InputLayout({ kind: 'ippo', agentId: true, stateDim: null, ...s }).groups,
    ).toHaveLength(2);
  });
});

// Two agents on SimpleSpread keep the learning tests cheap (a few seconds each).
const SPREAD2 = { numAgents: 2 };
const LEARN = { numEnvs: 4, numSteps: 50, learningRate: 1e-3 };

describe('learning on SimpleSpread-v3', () => {
  const random = randomTeamReturn('SimpleSpread-v3', SPREAD2, { episodes: 50, seed: 1000 });

  for (const reg of [ippo, ppoShared, mappo]) {
    it(`${reg.name} beats random actions on the team return`, async () => {
      const team: EpisodeRecord[] = [];
      const perAgent: EpisodeRecord[] = [];
      const progress: TrainProgress[] = [];
      const res = (await reg.train({
        envId: 'SimpleSpread-v3',
        envOptions: SPREAD2,
        seed: 1,
        totalSteps: 12_000,
        hyperparams: LEARN,
        onEpisode: (e) => (e.agent === TEAM ? team : perAgent).push(e),
        onProgress: (p) => progress.push(p),
      })) as MarlTrainResult;
      expect(res.agent).toBeInstanceOf(MarlAgent);
      // 25-step episodes in 4 copies: 12000 / 25 team episodes, each with two agent records.
      expect(team).toHaveLength(480);
      expect(perAgent).toHaveLength(960);
      expect(team.every((e) => e.episodicLength === 25)).toBe(true);
      expect(progress.at(-1)!.globalStep).toBe(12_000);
      const ev = evaluateMultiAgent(res.agent, { episodes: 50, seed: 1000, deterministic: false });
      expect(Object.keys(ev.agentReturns).sort()).toEqual(['agent_0', 'agent_1']);
      expect(ev.meanTeamReturn).toBeGreaterThan(random.meanTeamReturn + 5);
    });
  }
});

describe('agents that leave mid-episode (MultiGridWorld-v0)', () => {
  it('keeps training while agents finish at different times, reproducibly', async () => {
    const run = async (algo: 'ippo' | 'mappo') => {
      const recs: EpisodeRecord[] = [];
      await getAlgorithm(algo).train({
        envId: 'MultiGridWorld-v0',
        envOptions: { numAgents: 3, maxCycles: 30 },
        seed: 4,
        totalSteps: 480,
        hyperparams: { numEnvs: 2, numSteps: 40, updateEpochs: 2, numMinibatches: 2 },
        onEpisode: (e) => recs.push(e),
      });
      return recs;
    };
    for (const algo of ['ippo', 'mappo'] as const) {
      const recs = await run(algo);
      const agentRecs = recs.filter((e) => e.agent !== TEAM);
      const teamRecs = recs.filter((e) => e.agent === TEAM);
      expect(teamRecs.length).toBeGreaterThan(0);
      // Some agent left its episode before the team episode ended (reached a goal or a pit).
      const early = agentRecs.filter((e) => e.episodicLength < 30);
      expect(early.length).toBeGreaterThan(0);
      // A team episode ends with its last agent, at the latest when maxCycles truncates it.
      for (const t of teamRecs) expect(t.episodicLength).toBeLessThanOrEqual(30);
      if (algo === 'mappo') expect(await run(algo)).toEqual(recs);
    }
  });
});

describe('continuous actions', () => {
  it('ppo-shared trains Gaussian policies on SimpleSpread with continuousActions', async () => {
    const losses: number[] = [];
    const res = (await ppoShared.train({
      envId: 'SimpleSpread-v3',
      envOptions: { ...SPREAD2, continuousActions: true },
      seed: 2,
      totalSteps: 2000,
      hyperparams: { numEnvs: 2, numSteps: 50 },
      onProgress: (p) => losses.push(p.metrics!.valueLoss),
    })) as MarlTrainResult;
    const a = res.agent.act(new Float32Array(12), { agent: 'agent_0' }) as Float32Array;
    expect(a).toHaveLength(5);
    for (const v of a) expect(v >= 0 && v <= 1).toBe(true);
    expect(losses.slice(-3).reduce((x, y) => x + y)).toBeLessThan(
      losses.slice(0, 3).reduce((x, y) => x + y),
    );
  });
});

describe('checkpoints', () => {
  for (const reg of [ippo, ppoShared, mappo]) {
    it(`${reg.name} round-trips with identical actions`, async () => {
      const dir = await tempDir();
      const res = (await reg.train({
        envId: 'SimpleSpread-v3',
        envOptions: SPREAD2,
        seed: 3,
        totalSteps: 200,
        outDir: dir,
        hyperparams: { numEnvs: 2, numSteps: 50, normalizeValue: true },
      })) as MarlTrainResult;
      const loaded = (await reg.load(dir)) as MarlAgent;
      expect(loaded).toBeInstanceOf(MarlAgent);
      expect(loaded.algo).toBe(reg.name);
      expect(loaded.layout.groups.map((g) => [g.actorDim, g.criticDim])).toEqual(
        res.agent.layout.groups.map((g) => [g.actorDim, g.criticDim]),
      );
      expect(loaded.valueNormalizers.map((v) => v?.toJSON())).toEqual(
        res.agent.valueNormalizers.map((v) => v?.toJSON()),
      );
      const rng = new Generator(9);
      for (let i = 0; i < 10; i++) {
        const obs = Float32Array.from({ length: 12 }, () => rng.normal());
        for (const agent of ['agent_0', 'agent_1']) {
          expect(loaded.act(obs, { agent, deterministic: true })).toBe(
            res.agent.act(obs, { agent, deterministic: true }),
          );
        }
      }
      const config = JSON.parse(await readFile(join(dir, 'config.json'), 'utf8'));
      expect(config.networks.sort()).toEqual(
        reg.name === 'ippo' ? ['actor_0', 'actor_1', 'critic_0', 'critic_1'] : ['actor', 'critic'],
      );
    });
  }

  it('refuses another learner, a tampered agent list, and acting without an agent', async () => {
    const dir = await tempDir();
    const res = (await ppoShared.train({
      envId: 'SimpleSpread-v3',
      envOptions: SPREAD2,
      seed: 3,
      totalSteps: 100,
      outDir: dir,
      hyperparams: { numEnvs: 1, numSteps: 50 },
    })) as MarlTrainResult;
    expect(() => res.agent.act(new Float32Array(12))).toThrow(ConfigError);
    await expect(mappo.load(dir)).rejects.toThrow(CheckpointError);
    const path = join(dir, 'config.json');
    const config = JSON.parse(await readFile(path, 'utf8'));
    config.extra.agents = ['agent_0', 'agent_7'];
    await writeFile(path, JSON.stringify(config));
    await expect(ppoShared.load(dir)).rejects.toThrow(/extra.agents/);
  });
});
