import { describe, expect, it } from 'vitest';
import { Generator, Tensor } from '../../../src/core/index.js';
import { MLP } from '../../../src/nn/index.js';
import {
  baselineFeatures,
  fitPredict,
  headMask,
  layoutOf,
  readGrads,
  readParams,
  SpreadFeaturizer,
  writeParams,
} from '../../../src/transfer/mamt/index.js';

describe('flat parameter vectors', () => {
  const net = () => new MLP([3, 4, 2], { rng: new Generator(0) });

  it('round-trips parameters and reads gradients in module order', () => {
    const m = net();
    const layout = layoutOf(m);
    expect(layout.names).toEqual(['0.weight', '0.bias', '2.weight', '2.bias']);
    expect(layout.size).toBe(3 * 4 + 4 + 4 * 2 + 2);
    const v = readParams(m).map((x, i) => x + i);
    writeParams(m, v);
    expect([...readParams(m)]).toEqual([...Float32Array.from(v)]);
    expect(() => writeParams(m, new Float64Array(3))).toThrow(/26 parameters/);
    const out = m.forward(new Tensor(Float32Array.of(1, 2, 3), [1, 3])).sum();
    out.backward();
    const g = readGrads(m);
    // d sum / d bias of the last layer is 1 per output.
    expect([...g.subarray(layout.offsets[3], layout.offsets[3] + 2)]).toEqual([1, 1]);
  });

  it("marks the last Linear as the head (ANIL's inner-loop parameters)", () => {
    const m = net();
    const mask = headMask(m);
    const layout = layoutOf(m);
    expect(mask.reduce((a, b) => a + b, 0)).toBe(4 * 2 + 2);
    expect(mask[layout.offsets[2]]).toBe(1);
    expect(mask[0]).toBe(0);
  });
});

describe('linear feature baseline', () => {
  it('recovers a function linear in the features', () => {
    const T = 50;
    const obs = Float32Array.from({ length: T }, (_, i) => Math.sin(i));
    const t = Int32Array.from({ length: T }, (_, i) => i % 10);
    const { x, f } = baselineFeatures(obs, 1, t);
    expect(f).toBe(6);
    const y = Float64Array.from(
      { length: T },
      (_, i) => 2 * obs[i] - obs[i] ** 2 + 3 * (t[i] / 100) + 1,
    );
    const pred = fitPredict(x, f, y);
    for (let i = 0; i < T; i++) expect(pred[i]).toBeCloseTo(y[i], 3);
  });
});

describe('SpreadFeaturizer', () => {
  it('re-lays observations of any size into fixed slots with masks and the agent id', () => {
    // 2 agents, 1 landmark, family max 3 agents / 2 landmarks.
    const fz = new SpreadFeaturizer(2, 1, 3, 2);
    expect(fz.dim).toBe(4 + 3 * 2 + 3 * 2 + 3);
    // [vel 2, pos 2, landmark 2, other agent 2, comm 2]
    const obs = Float32Array.of(0.1, 0.2, 0.3, 0.4, 1, 2, 5, 6, 0, 0);
    const out = new Float32Array(fz.dim + 2).fill(9);
    fz.write('agent_1', obs, out, 1);
    expect([...out]).toEqual(
      [9, 0.1, 0.2, 0.3, 0.4, 1, 2, 0, 0, 1, 0, 5, 6, 0, 0, 1, 0, 0, 1, 0, 9].map((v) =>
        Math.fround(v),
      ),
    );
    expect(() => fz.write('agent_0', new Float32Array(4), out, 0)).toThrow(/expected 10/);
    expect(() => new SpreadFeaturizer(4, 1, 3, 2)).toThrow(/more than/);
  });
});
