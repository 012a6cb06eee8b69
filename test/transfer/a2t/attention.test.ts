import { describe, expect, it } from 'vitest';
import { Generator, logSoftmax, mean, noGrad, Tensor } from '../../../src/core/index.js';
import { CategoricalPolicy } from '../../../src/rl/algos/common/index.js';
import { Box, Discrete } from '../../../src/rl/spaces/index.js';
import {
  A2TPolicy,
  buildA2TPolicy,
  loadA2TAgent,
  mixLogProbs,
  mixOutputs,
  SourcePolicy,
  trainA2T,
} from '../../../src/transfer/a2t/index.js';
import { BANDIT, banditAgent, tempDir, tinyPpo } from './helpers.js';

function randn(shape: number[], rng: Generator): Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  return new Tensor(
    Float32Array.from({ length: n }, () => rng.normal()),
    shape,
  );
}

const target = { observationSpace: new Box(0, 1, [2]), actionSpace: new Discrete(2) };

function sources(): SourcePolicy[] {
  return [
    new SourcePolicy(banditAgent(true), { name: 'helpful', target, rng: new Generator(1) }),
    new SourcePolicy(banditAgent(false), {
      name: 'harmful',
      target,
      stateMap: { kind: 'linear' },
      rng: new Generator(2),
    }),
  ];
}

describe('A2T attention mixing (Rajendran et al. 2017)', () => {
  it('mixLogProbs is log sum_k w_k p_k and a distribution; mixOutputs is sum_k w_k K_k', () => {
    const rng = new Generator(0);
    const [B, K, A] = [3, 4, 5];
    const logW = logSoftmax(randn([B, K], rng), -1);
    const logP = logSoftmax(randn([B, K, A], rng), -1);
    const mix = mixLogProbs(logW, logP);
    expect(mix.shape).toEqual([B, A]);
    for (let b = 0; b < B; b++) {
      let total = 0;
      for (let a = 0; a < A; a++) {
        let want = 0;
        for (let k = 0; k < K; k++)
          want += Math.exp(logW.data[b * K + k]) * Math.exp(logP.data[(b * K + k) * A + a]);
        expect(Math.exp(mix.data[b * A + a])).toBeCloseTo(want, 6);
        total += Math.exp(mix.data[b * A + a]);
      }
      expect(total).toBeCloseTo(1, 6);
    }
    const w = noGrad(() => logW.exp());
    const q = randn([B, K, A], rng);
    const mixed = mixOutputs(w, q);
    for (let b = 0; b < B; b++) {
      for (let a = 0; a < A; a++) {
        let want = 0;
        for (let k = 0; k < K; k++) want += w.data[b * K + k] * q.data[(b * K + k) * A + a];
        expect(mixed.data[b * A + a]).toBeCloseTo(want, 5);
      }
    }
    expect(() => mixLogProbs(logW, randn([B, K + 1, A], rng))).toThrow(/'logProbs' \[3, 5, 5\]/);
  });

  it('weights are a softmax over N + 1 components, uniform at the start', () => {
    const base = new CategoricalPolicy(2, 2, { hidden: [8], rng: new Generator(3) });
    const policy = new A2TPolicy({
      obsDim: 2,
      actions: 2,
      base,
      sources: sources(),
      rng: new Generator(4),
    });
    expect(policy.components).toEqual(['helpful', 'harmful', 'base']);
    const obs = randn([6, 2], new Generator(5));
    const w = policy.weights(obs);
    expect(w.shape).toEqual([6, 3]);
    for (const v of w.data) expect(v).toBeCloseTo(1 / 3, 6);
    const lp = policy.distribution(obs).logProbs;
    for (let b = 0; b < 6; b++)
      expect(Math.exp(lp.data[2 * b]) + Math.exp(lp.data[2 * b + 1])).toBeCloseTo(1, 6);
  });

  it('gradients reach the attention network, the base and learned maps only; sources are frozen', () => {
    const srcs = sources();
    const base = new CategoricalPolicy(2, 2, { hidden: [8], rng: new Generator(3) });
    const policy = new A2TPolicy({
      obsDim: 2,
      actions: 2,
      base,
      sources: srcs,
      rng: new Generator(4),
    });
    const frozen = new Set(srcs.flatMap((s) => s.network.parameters()));
    const trainable = policy.parameters();
    expect(trainable.some((p) => frozen.has(p))).toBe(false);
    expect([...frozen].every((p) => !p.requiresGrad)).toBe(true);
    const names = [...policy.namedParameters()].map(([n]) => n);
    expect(names.some((n) => n.startsWith('attention.'))).toBe(true);
    expect(names.some((n) => n.startsWith('base.'))).toBe(true);
    expect(names.filter((n) => n.startsWith('sources.'))).toEqual([
      'sources.1.stateMap.linear.weight',
      'sources.1.stateMap.linear.bias',
    ]);
    const obs = randn([8, 2], new Generator(6));
    const actions = new Tensor(Int32Array.from([0, 1, 0, 1, 1, 0, 0, 1]), [8]);
    mean(policy.distribution(obs).logProb(actions)).neg().backward();
    const nonzero = (ps: Tensor[]): boolean =>
      ps.some((p) => p.grad && Array.from(p.grad.data).some((v) => v !== 0));
    expect(nonzero(policy.attention.parameters())).toBe(true);
    expect(nonzero(policy.base.parameters())).toBe(true);
    expect(nonzero(srcs[1].stateMap.parameters())).toBe(true);
    expect([...frozen].every((p) => !p.grad)).toBe(true);
  });

  it('minibatches of a cached rollout give the same mixture and gradients as a fresh forward', () => {
    const make = (): A2TPolicy =>
      new A2TPolicy({
        obsDim: 2,
        actions: 2,
        base: new CategoricalPolicy(2, 2, { hidden: [8], rng: new Generator(3) }),
        sources: [
          new SourcePolicy(banditAgent(true), { name: 'a', target, rng: new Generator(1) }),
          new SourcePolicy(banditAgent(false), {
            name: 'b',
            target,
            temperature: 3,
            rng: new Generator(2),
          }),
        ],
        rng: new Generator(4),
      });
    const [live, cached] = [make(), make()];
    const batch = randn([10, 2], new Generator(7));
    expect(cached.cacheSources(batch)).toBe(true);
    const idx = Int32Array.from([7, 2, 9, 0]);
    const rows = new Tensor(
      Float32Array.from([...idx].flatMap((i) => [batch.data[2 * i], batch.data[2 * i + 1]])),
      [4, 2],
    );
    const actions = new Tensor(Int32Array.from([1, 0, 0, 1]), [4]);
    const a = live.distribution(rows).logProb(actions);
    const b = cached.distributionRows(rows, idx).logProb(actions);
    Array.from(a.data).forEach((v, i) => expect(b.data[i]).toBeCloseTo(v, 6));
    mean(a).backward();
    mean(b).backward();
    const ga = live.parameters().map((p) => Array.from(p.grad!.data));
    const gb = cached.parameters().map((p) => Array.from(p.grad!.data));
    ga.forEach((g, i) => g.forEach((v, j) => expect(gb[i][j]).toBeCloseTo(v, 6)));
    expect(cached.lastBaseLogits(rows)).not.toBeNull();
    expect(cached.lastBaseLogits(batch)).toBeNull();
    // Learned maps change the sources' outputs as they train: no cache then.
    expect(
      new A2TPolicy({
        obsDim: 2,
        actions: 2,
        base: new CategoricalPolicy(2, 2, { hidden: [8], rng: new Generator(3) }),
        sources: sources(),
        rng: new Generator(4),
      }).cacheSources(batch),
    ).toBe(false);
  });

  it('on a contextual bandit, a harmful source is ignored; sources stay bit-identical', async () => {
    const helpful = banditAgent(true);
    const harmful = banditAgent(false);
    const before = [helpful, harmful].map((a) =>
      [...a.actor.stateDict().values()].map((t) => Float32Array.from(t.data)),
    );
    const attention: number[][] = [];
    const r = await trainA2T({
      envId: BANDIT,
      envOptions: {},
      seed: 0,
      totalSteps: 1600,
      cfg: tinyPpo({ learningRate: 1e-2, updateEpochs: 4 }),
      sources: [
        { name: 'helpful', agent: helpful },
        { name: 'harmful', agent: harmful },
      ],
      onAttention: (_, w) => attention.push([w.helpful, w.harmful, w.base]),
    });
    expect(Object.keys(r.attention.series)).toEqual(['helpful', 'harmful', 'base']);
    expect(r.attention.steps.length).toBe(attention.length);
    for (const row of attention) expect(row[0] + row[1] + row[2]).toBeCloseTo(1, 5);
    const last = attention.at(-1)!;
    expect(last[1]).toBeLessThan(0.1);
    expect(last[0]).toBeGreaterThan(0.5);
    expect(attention[0][1]).toBeGreaterThan(last[1]);
    const tail = r.episodes.slice(-50);
    expect(tail.reduce((a, e) => a + e.episodicReturn, 0) / tail.length).toBeGreaterThan(0.9);
    [helpful, harmful].forEach((a, i) => {
      const after = [...a.actor.stateDict().values()];
      after.forEach((t, j) =>
        expect(Buffer.from(t.data.buffer).equals(Buffer.from(before[i][j].buffer))).toBe(true),
      );
    });
  });

  it('saves and loads back (sources reloaded from their folders), acting identically', async () => {
    const dir = tempDir('a2t');
    const srcDirs = [`${dir}/helpful`, `${dir}/harmful`];
    await banditAgent(true).save(srcDirs[0]);
    await banditAgent(false).save(srcDirs[1]);
    const r = await trainA2T({
      envId: BANDIT,
      envOptions: {},
      seed: 1,
      totalSteps: 320,
      cfg: tinyPpo(),
      sources: [
        { name: 'helpful', agent: banditAgent(true), dir: srcDirs[0] },
        {
          name: 'harmful',
          agent: banditAgent(false),
          dir: srcDirs[1],
          stateMap: { kind: 'linear' },
        },
      ],
    });
    await r.agent.save(`${dir}/a2t`);
    const back = await loadA2TAgent(`${dir}/a2t`);
    const obs = randn([5, 2], new Generator(9));
    const a = noGrad(() => r.agent.policy.logProbs(obs).data);
    const b = noGrad(() => back.policy.logProbs(obs).data);
    expect(Array.from(b)).toEqual(Array.from(a));
    expect(back.attention(Float32Array.from([1, 0]))).toEqual(
      r.agent.attention(Float32Array.from([1, 0])),
    );
    // The rebuilt policy has the same shape as a fresh one.
    const fresh = buildA2TPolicy(
      {
        envId: BANDIT,
        envOptions: {},
        cfg: tinyPpo(),
        sources: [{ name: 'x', agent: banditAgent(true) }],
      },
      { init: new Generator(0), attention: new Generator(1), maps: new Generator(2) },
    );
    expect(fresh.policy.components).toEqual(['x', 'base']);
  });
});
