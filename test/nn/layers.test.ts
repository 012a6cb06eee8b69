import { describe, expect, it } from 'vitest';
import {
  CausalSelfAttention,
  Embedding,
  GELU,
  Generator,
  gradcheck,
  LayerNorm,
  Linear,
  MLP,
  MultiheadAttention,
  RMSNorm,
  Tanh,
  ValueError,
  randn,
  sum,
  tensor,
  zeros,
} from '../../src/index.js';

function range(t: { data: ArrayLike<number> }): [number, number] {
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < t.data.length; i++) {
    lo = Math.min(lo, t.data[i]);
    hi = Math.max(hi, t.data[i]);
  }
  return [lo, hi];
}

describe('Linear', () => {
  it('has weight [out, in] and torch init bounds U(-1/sqrt(in), 1/sqrt(in))', () => {
    const lin = new Linear(64, 300, { rng: new Generator(0) });
    expect(lin.weight.shape).toEqual([300, 64]);
    expect(lin.bias!.shape).toEqual([300]);
    const bound = 1 / Math.sqrt(64);
    const [wlo, whi] = range(lin.weight);
    const [blo, bhi] = range(lin.bias!);
    expect(wlo).toBeGreaterThanOrEqual(-bound);
    expect(whi).toBeLessThanOrEqual(bound);
    expect(blo).toBeGreaterThanOrEqual(-bound);
    expect(bhi).toBeLessThanOrEqual(bound);
    // and the range is actually used (not a narrower init)
    expect(whi - wlo).toBeGreaterThan(1.9 * bound);
  });

  it('computes x Wᵀ + b, for batches and single vectors', () => {
    const lin = new Linear(2, 3, { skipInit: true });
    lin.weight.data.set([1, 2, 3, 4, 5, 6]);
    lin.bias!.data.set([0.5, -1, 2]);
    const y = lin.forward(
      tensor([
        [1, 1],
        [2, -1],
      ]),
    );
    expect(y.toArray()).toEqual([
      [3.5, 6, 13],
      [0.5, 1, 6],
    ]);
    expect(lin.forward(tensor([1, 1])).toArray()).toEqual([3.5, 6, 13]);
    expect(lin.forward(randn([2, 5, 2], new Generator(0))).shape).toEqual([2, 5, 3]);
  });

  it('same seed, same weights; no rng is an error unless skipInit', () => {
    const a = new Linear(3, 3, { rng: new Generator(7) });
    const b = new Linear(3, 3, { rng: new Generator(7) });
    expect([...a.weight.data]).toEqual([...b.weight.data]);
    expect(() => new Linear(3, 3)).toThrow(ValueError);
    expect(new Linear(3, 3, { bias: false, skipInit: true }).bias).toBeNull();
  });
});

describe('Embedding', () => {
  it('N(0, 1) init, lookup of any id shape', () => {
    const e = new Embedding(1000, 16, { rng: new Generator(0) });
    let s = 0;
    let s2 = 0;
    for (const v of e.weight.data) {
      s += v;
      s2 += v * v;
    }
    const n = e.weight.size;
    expect(Math.abs(s / n)).toBeLessThan(0.02);
    expect(Math.abs(s2 / n - 1)).toBeLessThan(0.03);
    const ids = tensor(
      [
        [1, 2, 3],
        [4, 5, 6],
      ],
      undefined,
      { dtype: 'int32' },
    );
    expect(e.forward(ids).shape).toEqual([2, 3, 16]);
  });

  it('paddingIdx: zero row at init and no gradient to it', () => {
    const e = new Embedding(5, 3, { rng: new Generator(0), paddingIdx: -1 });
    expect(e.paddingIdx).toBe(4);
    expect([...e.weight.data.subarray(12, 15)]).toEqual([0, 0, 0]);
    const ids = tensor([4, 1, 4, 1], [4], { dtype: 'int32' });
    sum(e.forward(ids)).backward();
    const g = e.weight.grad!.data;
    expect([...g.subarray(12, 15)]).toEqual([0, 0, 0]);
    expect([...g.subarray(3, 6)]).toEqual([2, 2, 2]);
  });
});

describe('norms and activations', () => {
  it('LayerNorm starts as pure normalisation; RMSNorm likewise', () => {
    const x = randn([4, 8], new Generator(0));
    const y = new LayerNorm(8).forward(x);
    for (let r = 0; r < 4; r++) {
      const row = [...y.data.subarray(r * 8, r * 8 + 8)];
      expect(Math.abs(row.reduce((a, b) => a + b) / 8)).toBeLessThan(1e-6);
    }
    const ln = new LayerNorm(8, { elementwiseAffine: false });
    expect(ln.parameters()).toHaveLength(0);
    const rms = new RMSNorm(8).forward(x);
    for (let r = 0; r < 4; r++) {
      const row = [...rms.data.subarray(r * 8, r * 8 + 8)];
      expect(row.reduce((a, b) => a + b * b, 0) / 8).toBeCloseTo(1, 4);
    }
  });

  it('GELU tanh approximation differs from the exact one', () => {
    const x = tensor([1.5]);
    const exact = new GELU().forward(x).item();
    const approx = new GELU('tanh').forward(x).item();
    expect(exact).toBeCloseTo(1.5 * 0.5 * (1 + 0.8663855974622838), 6);
    expect(approx).not.toBe(exact);
    expect(Math.abs(approx - exact)).toBeLessThan(1e-3);
  });
});

describe('MLP', () => {
  it('is a torch-style Sequential: 4->64->64->2 names 0, 2, 4', () => {
    const net = new MLP([4, 64, 64, 2], { rng: new Generator(0) });
    expect(net.namedParameters().map(([n, p]) => `${n}${JSON.stringify(p.shape)}`)).toEqual([
      '0.weight[64,4]',
      '0.bias[64]',
      '2.weight[64,64]',
      '2.bias[64]',
      '4.weight[2,64]',
      '4.bias[2]',
    ]);
    expect(net.forward(zeros([7, 4])).shape).toEqual([7, 2]);
    expect(() => new MLP([4])).toThrow(ValueError);
  });

  it('whole-module gradient check in float64 (2 layers, tanh)', () => {
    const rng = new Generator(1);
    const net = new MLP([3, 5, 2], { activation: 'tanh', rng }).to('float64');
    expect(net.get(1)).toBeInstanceOf(Tanh);
    const x = randn([4, 3], rng, { dtype: 'float64' });
    const params = net.parameters();
    expect(params.every((p) => p.dtype === 'float64')).toBe(true);
    const res = gradcheck(() => net.forward(x), params);
    expect(res.ok, JSON.stringify(res)).toBe(true);
    // and with respect to the input
    const xr = randn([4, 3], rng, { dtype: 'float64', requiresGrad: true });
    expect(gradcheck((v) => net.forward(v), [xr]).ok).toBe(true);
  });
});

describe('attention layers', () => {
  it('CausalSelfAttention: nanoGPT names; a position ignores later tokens', () => {
    const rng = new Generator(0);
    const attn = new CausalSelfAttention(8, 2, { rng });
    expect(attn.namedParameters().map(([n]) => n)).toEqual([
      'c_attn.weight',
      'c_attn.bias',
      'c_proj.weight',
      'c_proj.bias',
    ]);
    const x = randn([1, 4, 8], rng);
    const y1 = attn.forward(x);
    const x2 = x.clone();
    for (let j = 0; j < 8; j++) x2.data[3 * 8 + j] += 1; // change only the last token
    const y2 = attn.forward(x2);
    expect([...y2.data.subarray(0, 24)]).toEqual([...y1.data.subarray(0, 24)]);
    expect(y2.data[24]).not.toBe(y1.data[24]);
  });

  it('MultiheadAttention: torch names and shapes; gradients reach every parameter', () => {
    const rng = new Generator(0);
    const mha = new MultiheadAttention(8, 4, { rng });
    expect(mha.namedParameters().map(([n, p]) => `${n}${JSON.stringify(p.shape)}`)).toEqual([
      'in_proj_weight[24,8]',
      'in_proj_bias[24]',
      'out_proj.weight[8,8]',
      'out_proj.bias[8]',
    ]);
    const q = randn([2, 3, 8], rng);
    const kv = randn([2, 5, 8], rng);
    const y = mha.forward(q, kv, kv);
    expect(y.shape).toEqual([2, 3, 8]);
    sum(y).backward();
    expect(mha.parameters().every((p) => p.grad !== null)).toBe(true);
  });
});
