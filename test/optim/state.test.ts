import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  Adam,
  Generator,
  LinearWarmupCosineDecay,
  MLP,
  mseLoss,
  SGD,
  StateDictError,
  loadOptimizerState,
  randn,
  saveOptimizerState,
  type Optimizer,
  type OptimizerStateDict,
  type Tensor,
} from '../../src/index.js';

const dir = mkdtempSync(join(tmpdir(), 'osmosis-optim-'));
let fileNo = 0;
afterAll(() => rmSync(dir, { recursive: true, force: true }));

type MakeOpt = (params: Tensor[]) => Optimizer;

const data = (() => {
  const rng = new Generator(11);
  return Array.from({ length: 8 }, () => [randn([6, 3], rng), randn([6, 2], rng)] as const);
})();

function trainSteps(
  net: MLP,
  opt: Optimizer,
  from: number,
  to: number,
  sched?: LinearWarmupCosineDecay,
): void {
  for (let s = from; s < to; s++) {
    opt.zeroGrad();
    const [x, y] = data[s];
    mseLoss(net.forward(x), y).backward();
    opt.step();
    sched?.step();
  }
}

const makeNet = (seed: number): MLP =>
  new MLP([3, 5, 2], { rng: new Generator(seed), activation: 'tanh' });
const weights = (net: MLP): number[][] => net.parameters().map((p) => [...p.data]);

describe.each<[string, MakeOpt]>([
  [
    'SGD nesterov',
    (ps) => new SGD(ps, { lr: 0.1, momentum: 0.9, nesterov: true, weightDecay: 0.01 }),
  ],
  [
    'Adam (two groups, amsgrad)',
    (ps) =>
      new Adam([{ params: ps.slice(0, 2) }, { params: ps.slice(2), lr: 0.003 }], {
        lr: 0.01,
        amsgrad: true,
      }),
  ],
])('%s: save, load, continue', (_, makeOpt) => {
  it('continued training is bit-identical to uninterrupted training', () => {
    const ref = makeNet(1);
    const refOpt = makeOpt(ref.parameters());
    trainSteps(ref, refOpt, 0, 8);

    const a = makeNet(1);
    const aOpt = makeOpt(a.parameters());
    trainSteps(a, aOpt, 0, 4);
    const modelSd = a.stateDict();
    const optSd = aOpt.stateDict();
    trainSteps(a, aOpt, 4, 6); // keep training: the snapshot must not change

    const b = makeNet(99);
    const bOpt = makeOpt(b.parameters());
    b.loadStateDict(modelSd);
    bOpt.loadStateDict(optSd);
    trainSteps(b, bOpt, 4, 8);
    expect(weights(b)).toEqual(weights(ref));
  });

  it('through a safetensors file', async () => {
    const ref = makeNet(1);
    const refOpt = makeOpt(ref.parameters());
    trainSteps(ref, refOpt, 0, 8);
    const a = makeNet(1);
    const aOpt = makeOpt(a.parameters());
    trainSteps(a, aOpt, 0, 3);
    const file = join(dir, `opt-${fileNo++}.safetensors`);
    await saveOptimizerState(file, aOpt);
    const b = makeNet(2);
    b.loadStateDict(a.stateDict());
    const bOpt = makeOpt(b.parameters());
    await loadOptimizerState(file, bOpt);
    trainSteps(b, bOpt, 3, 8);
    expect(weights(b)).toEqual(weights(ref));
  });
});

describe('optimizer state dict', () => {
  it('has torch layout: state keyed by index over all groups, groups list indices', () => {
    const net = makeNet(0);
    const ps = net.parameters();
    const opt = new Adam([{ params: ps.slice(0, 2) }, { params: ps.slice(2), lr: 0.5 }]);
    trainSteps(net, opt, 0, 1);
    const sd = opt.stateDict();
    expect(sd.paramGroups.map((g) => g.params)).toEqual([
      [0, 1],
      [2, 3],
    ]);
    expect(sd.paramGroups[1]).toMatchObject({
      lr: 0.5,
      betas: [0.9, 0.999],
      eps: 1e-8,
      amsgrad: false,
    });
    expect(Object.keys(sd.state)).toEqual(['0', '1', '2', '3']);
    expect(Object.keys(sd.state['3'])).toEqual(['step', 'expAvg', 'expAvgSq', 'maxExpAvgSq']);
    expect(sd.state['3'].step).toBe(1);
  });

  it('survives a JSON round trip (buffers as plain arrays)', () => {
    const net = makeNet(0);
    const opt = new SGD(net.parameters(), { lr: 0.1, momentum: 0.5 });
    trainSteps(net, opt, 0, 2);
    const sd = opt.stateDict();
    const json = JSON.parse(
      JSON.stringify(sd, (_, v) => (ArrayBuffer.isView(v) ? [...(v as Float32Array)] : v)),
    ) as OptimizerStateDict;
    const other = new SGD(makeNet(3).parameters(), { lr: 0.7 });
    other.loadStateDict(json);
    expect(other.paramGroups[0].lr).toBe(0.1);
    expect(other.stateDict()).toEqual(sd);
  });

  it('rejects a mismatched state with every problem listed, changing nothing', () => {
    const net = makeNet(0);
    const opt = new Adam(net.parameters(), { lr: 0.01 });
    trainSteps(net, opt, 0, 1);
    const good = opt.stateDict();
    const bad = structuredClone(good);
    bad.state['0'].expAvg = new Float32Array(3);
    delete bad.state['1'].step;
    bad.state['2'].extra = 1;
    bad.state['9'] = { step: 1 };
    bad.paramGroups[0].lr = -1;
    (bad.paramGroups[0] as Record<string, unknown>).momentum = 0.9;
    const other = new Adam(makeNet(1).parameters(), { lr: 0.02 });
    let msg = '';
    try {
      other.loadStateDict(bad);
    } catch (e) {
      expect(e).toBeInstanceOf(StateDictError);
      msg = (e as Error).message;
    }
    for (const s of [
      "unknown hyperparameter 'momentum'",
      'lr must be a finite number',
      "state['0'].expAvg: expected 15 numbers for a parameter [5,3]",
      "state['1']: missing 'step'",
      "state['2']: unexpected entry 'extra'",
      "state['9']: no parameter has this index",
    ]) {
      expect(msg).toContain(s);
    }
    expect(other.paramGroups[0].lr).toBe(0.02);
    expect(other.state.size).toBe(0);

    const twoGroups = structuredClone(good);
    twoGroups.paramGroups.push({ ...twoGroups.paramGroups[0], params: [] });
    expect(() => other.loadStateDict(twoGroups)).toThrow(/2 parameter groups, the optimizer has 1/);
    const fewer = new Adam(makeNet(1).parameters().slice(1));
    expect(() => fewer.loadStateDict(good)).toThrow(
      /has 4 parameters, the optimizer's group has 3/,
    );
  });

  it('scheduler state resumes the same learning-rate sequence', () => {
    const mk = (): { opt: SGD; s: LinearWarmupCosineDecay } => {
      const opt = new SGD(makeNet(0).parameters(), { lr: 1 });
      return { opt, s: new LinearWarmupCosineDecay(opt, { warmupSteps: 3, totalSteps: 10 }) };
    };
    const a = mk();
    for (let i = 0; i < 5; i++) a.s.step();
    const saved = a.s.stateDict();
    const b = mk();
    b.s.loadStateDict(saved);
    expect(b.s.getLastLr()).toEqual(a.s.getLastLr());
    expect(b.opt.paramGroups[0].lr).toBe(a.opt.paramGroups[0].lr);
    a.s.step();
    b.s.step();
    expect(b.s.getLastLr()).toEqual(a.s.getLastLr());
    expect(() => b.s.loadStateDict({ lastEpoch: -3, baseLrs: [1] })).toThrow(StateDictError);
  });
});
