import { describe, expect, it } from 'vitest';
import {
  CheckpointError,
  ConfigError,
  gather,
  Generator,
  mean,
  noGrad,
  reshape,
  Tensor,
} from '../../../src/core/index.js';
import { makeQNetwork } from '../../../src/rl/algos/common/index.js';
import { Box, Discrete } from '../../../src/rl/spaces/index.js';
import {
  A2TQNetwork,
  loadA2TAgent,
  loadA2TValueAgent,
  SourcePolicy,
  trainA2TDqn,
  type A2TDqnTrainOptions,
} from '../../../src/transfer/a2t/index.js';
import { BANDIT, banditAgent, banditDqnAgent, tempDir, tinyDqn } from './helpers.js';

const target = { observationSpace: new Box(0, 1, [2]), actionSpace: new Discrete(2) };

function network(o: { stateMap?: boolean } = {}): A2TQNetwork {
  return new A2TQNetwork({
    obsDim: 2,
    actions: 2,
    base: makeQNetwork(target.observationSpace, target.actionSpace, {
      hidden: [8],
      rng: new Generator(3),
    }),
    sources: [
      new SourcePolicy(banditDqnAgent(true), { name: 'helpful', target, rng: new Generator(1) }),
      new SourcePolicy(banditDqnAgent(false), {
        name: 'harmful',
        target,
        ...(o.stateMap ? { stateMap: { kind: 'linear' as const } } : {}),
        rng: new Generator(2),
      }),
    ],
    rng: new Generator(4),
  });
}

function randomObs(rows: number, seed: number): Tensor {
  const rng = new Generator(seed);
  return new Tensor(
    Float32Array.from({ length: rows * 2 }, () => rng.uniform()),
    [rows, 2],
  );
}

function options(o: Partial<A2TDqnTrainOptions> = {}): A2TDqnTrainOptions {
  return {
    envId: BANDIT,
    envOptions: {},
    seed: 0,
    totalSteps: 600,
    hp: tinyDqn(),
    sources: [
      { name: 'helpful', agent: banditDqnAgent(true) },
      { name: 'harmful', agent: banditDqnAgent(false) },
    ],
    ...o,
  };
}

describe('A2T value transfer (DQN learner)', () => {
  it('Q_T is sum_k w_k(s) Q_k(s, .) with w(s) a distribution per state, uniform at the start', () => {
    const net = network();
    expect(net.components).toEqual(['helpful', 'harmful', 'base']);
    const obs = randomObs(7, 5);
    const w = net.weights(obs);
    expect(w.shape).toEqual([7, 3]);
    for (const v of w.data) expect(v).toBeCloseTo(1 / 3, 6);
    // Move the attention off uniform, then check the mixture row by row.
    for (const p of net.attention.parameters()) p.data.fill(0.3);
    const q = noGrad(() => net.forward(obs));
    const weights = noGrad(() => net.weights(obs)).data;
    const parts = noGrad(() => net.componentValues(obs)).data;
    for (let b = 0; b < 7; b++) {
      let total = 0;
      for (let k = 0; k < 3; k++) {
        expect(weights[b * 3 + k]).toBeGreaterThan(0);
        total += weights[b * 3 + k];
      }
      expect(total).toBeCloseTo(1, 6);
      for (let a = 0; a < 2; a++) {
        let want = 0;
        for (let k = 0; k < 3; k++) want += weights[b * 3 + k] * parts[(b * 3 + k) * 2 + a];
        expect(q.data[b * 2 + a]).toBeCloseTo(want, 5);
      }
    }
  });

  it('refuses policy sources, a temperature, and a base loss weight of 0', async () => {
    expect(
      () =>
        new A2TQNetwork({
          obsDim: 2,
          actions: 2,
          base: makeQNetwork(target.observationSpace, target.actionSpace, {
            hidden: [4],
            rng: new Generator(0),
          }),
          sources: [
            new SourcePolicy(banditAgent(true), { name: 'ppo', target, rng: new Generator(0) }),
          ],
          rng: new Generator(0),
        }),
    ).toThrow(/source 'ppo' outputs policy logits; value transfer mixes Q-values/);
    await expect(
      trainA2TDqn(
        options({ sources: [{ name: 'hot', agent: banditDqnAgent(true), temperature: 0.5 }] }),
      ),
    ).rejects.toThrow(/'hot' has temperature 0.5/);
    await expect(trainA2TDqn(options({ baseLossCoef: 0 }))).rejects.toThrow(ConfigError);
  });

  it('gradients reach the attention network, learned maps and (by its own loss) the base; sources are frozen', () => {
    const net = network({ stateMap: true });
    const frozen = net.sources
      .modules()
      .flatMap((m) => (m instanceof SourcePolicy ? m.network.parameters() : []));
    expect(frozen.length).toBeGreaterThan(0);
    expect(net.parameters().some((p) => frozen.includes(p))).toBe(false);
    const obs = randomObs(8, 6);
    const actions = new Tensor(Int32Array.from([0, 1, 0, 1, 1, 0, 0, 1]), [8, 1]);
    const nonzero = (ps: Tensor[]): boolean =>
      ps.some((p) => p.grad !== null && Array.from(p.grad.data).some((v) => v !== 0));
    // The mixture's loss alone: attention and maps, not the base (it enters detached).
    mean(gather(net.forward(obs), 1, actions)).backward();
    expect(nonzero(net.attention.parameters())).toBe(true);
    expect(nonzero(net.sources.parameters())).toBe(true);
    expect(nonzero(net.base.parameters())).toBe(false);
    // The base's own loss reaches it, through the values the forward pass kept.
    const base = net.lastBaseValues(obs)!;
    expect(net.lastBaseValues(randomObs(8, 6))).toBeNull();
    mean(reshape(gather(base, 1, actions), [8])).backward();
    expect(nonzero(net.base.parameters())).toBe(true);
    expect(frozen.every((p) => !p.requiresGrad && p.grad === null)).toBe(true);
  });

  it('on a contextual bandit the harmful source loses its weight; sources stay bit-identical', async () => {
    const helpful = banditDqnAgent(true);
    const harmful = banditDqnAgent(false);
    const snapshot = (a: typeof helpful): string[] =>
      [...a.qNetwork.stateDict().values()].map((t) => Buffer.from(t.data.buffer).toString('hex'));
    const before = [snapshot(helpful), snapshot(harmful)];
    const seen: Record<string, number>[] = [];
    const r = await trainA2TDqn(
      options({
        sources: [
          { name: 'helpful', agent: helpful },
          { name: 'harmful', agent: harmful },
        ],
        onAttention: (_, w) => seen.push(w),
      }),
    );
    const s = r.attention.series;
    expect(Object.keys(s)).toEqual(['helpful', 'harmful', 'base']);
    expect(seen.length).toBe(r.attention.steps.length);
    for (const w of seen) expect(w.helpful + w.harmful + w.base).toBeCloseTo(1, 5);
    expect(s.harmful[0]).toBeGreaterThan(0.3);
    expect(s.harmful.at(-1)!).toBeLessThan(0.05);
    const tail = r.episodes.slice(-100);
    expect(tail.reduce((a, e) => a + e.episodicReturn, 0) / tail.length).toBeGreaterThan(0.9);
    expect([snapshot(helpful), snapshot(harmful)]).toEqual(before);
    // Alone, the harmful source is switched off and the base takes over.
    const alone = await trainA2TDqn(
      options({ sources: [{ name: 'harmful', agent: banditDqnAgent(false) }] }),
    );
    expect(alone.attention.series.harmful.at(-1)!).toBeLessThan(0.05);
    const last = alone.episodes.slice(-100);
    expect(last.reduce((a, e) => a + e.episodicReturn, 0) / last.length).toBeGreaterThan(0.9);
  });

  it('saves and loads back (sources reloaded from their folders), acting identically', async () => {
    const dir = tempDir('a2t-dqn');
    await banditDqnAgent(true).save(`${dir}/helpful`);
    await banditDqnAgent(false).save(`${dir}/harmful`);
    const r = await trainA2TDqn(
      options({
        totalSteps: 200,
        sources: [
          { name: 'helpful', agent: banditDqnAgent(true), dir: `${dir}/helpful` },
          {
            name: 'harmful',
            agent: banditDqnAgent(false),
            dir: `${dir}/harmful`,
            stateMap: { kind: 'linear' },
          },
        ],
      }),
    );
    await r.agent.save(`${dir}/a2t`);
    const back = await loadA2TValueAgent(`${dir}/a2t`);
    expect(back.hyperparams).toEqual(r.agent.hyperparams);
    expect(back.settings).toEqual({ attentionHidden: [64], baseLossCoef: 1, learner: 'dqn' });
    const obs = randomObs(6, 9);
    const a = noGrad(() => r.agent.network.forward(obs).data);
    const b = noGrad(() => back.network.forward(obs).data);
    expect(Array.from(b)).toEqual(Array.from(a));
    const o = Float32Array.from([0, 1]);
    expect(back.attention(o)).toEqual(r.agent.attention(o));
    expect(back.act(o, { deterministic: true })).toBe(r.agent.act(o, { deterministic: true }));
    // The PPO learner's loader refuses it by name, and vice versa.
    await expect(loadA2TAgent(`${dir}/a2t`)).rejects.toThrow(CheckpointError);
    await expect(loadA2TAgent(`${dir}/a2t`)).rejects.toThrow(/learner is 'dqn'.*loadA2TValueAgent/);
  });
});
