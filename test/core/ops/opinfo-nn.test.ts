import { describe, expect, it } from 'vitest';
import * as ops from '../../../src/index.js';
import {
  DTypeError,
  Generator,
  IndexError,
  ShapeError,
  tensor,
  ValueError,
} from '../../../src/index.js';
import { build, C, defineOp, F, get, runOpInfos, type Nd, type Sample } from '../opinfo.js';

const norm = (axis: number, rank: number) => (axis < 0 ? axis + rank : axis);

/** Apply f to every 1-D line of x along `axis` (f maps a line to a line of the same length). */
function alongAxis(x: Nd, axis: number, f: (line: number[]) => number[]): Nd {
  if (x.shape.length === 0) return { shape: [], data: f(x.data) };
  const ax = norm(axis, x.shape.length);
  return build(x.shape, (idx) => {
    const line: number[] = [];
    for (let j = 0; j < x.shape[ax]; j++)
      line.push(
        get(
          x,
          idx.map((v, d) => (d === ax ? j : v)),
        ),
      );
    return f(line)[idx[ax]];
  });
}

/** Softmax of a line; a fully masked line (all -Infinity) gives zeros, as the engine documents. */
const softmaxLine = (v: number[]) => {
  const m = Math.max(...v);
  if (m === -Infinity) return v.map(() => 0);
  const e = v.map((x) => Math.exp(x - m));
  const s = e.reduce((p, x) => p + x, 0);
  return e.map((x) => x / s);
};
const logSoftmaxLine = (v: number[]) => {
  const m = Math.max(...v);
  const lse = m + Math.log(v.reduce((p, x) => p + Math.exp(x - m), 0));
  return v.map((x) => x - lse);
};

type SArgs = { axis?: number; masked?: boolean };
const masked = (x: Nd, mask: Nd): Nd => ({
  shape: x.shape,
  data: x.data.map((v, i) => (mask.data[i] ? v : -Infinity)),
});
const maskSample = (
  values: number[],
  shape: number[],
  axis: number,
  label = '-Infinity masked entries',
): Sample<SArgs> => ({
  name: `${label}, axis ${axis}`,
  inputs: [F(shape), C(shape, { values })],
  args: { axis, masked: true },
});

function softmaxSamples(): Sample<SArgs>[] {
  return [
    { name: 'last axis (default)', inputs: [F([3, 5])], args: {} },
    { name: 'inner axis 1 of 3-D', inputs: [F([2, 3, 4])], args: { axis: 1 } },
    { name: 'axis 0', inputs: [F([3, 2])], args: { axis: 0 } },
    { name: 'large logits', inputs: [F([2, 3], { range: [400, 700] })], args: { axis: -1 } },
    { name: 'single class', inputs: [F([4, 1])], args: {} },
    { name: '1-D odd', inputs: [F([7])], args: {} },
    { name: 'empty rows', inputs: [F([0, 3])], args: {} },
    { name: '0-d', inputs: [F([])], args: { axis: -1 } },
    maskSample([1, 0, 1, 0, 0, 1, 1, 1, 1, 0, 1, 0], [3, 4], -1),
    maskSample([1, 0, 1, 0, 1, 1, 1, 1, 0, 1, 1, 1], [4, 3], 0),
  ];
}

const softmaxOp = (name: 'softmax' | 'logSoftmax', line: (v: number[]) => number[]) =>
  defineOp<SArgs>({
    name,
    // Masked log-probabilities are -Infinity, which no finite difference can see past: the
    // gradient check zeroes them after the op (the raw values are checked below).
    op: ([x, m], a) => {
      if (!a.masked) return ops[name](x, a.axis);
      const y = ops[name](ops.where(m, x, -Infinity), a.axis);
      return name === 'logSoftmax' ? ops.where(m, y, 0) : y;
    },
    ref: ([x, m], a) => {
      if (!a.masked) return alongAxis(x, a.axis ?? -1, line);
      const y = alongAxis(masked(x, m), a.axis ?? -1, line);
      return name === 'logSoftmax' ? { ...y, data: y.data.map((v, i) => (m.data[i] ? v : 0)) } : y;
    },
    samples:
      name === 'softmax'
        ? [...softmaxSamples(), maskSample([1, 1, 0, 0, 0, 0], [2, 3], -1, 'a fully masked row')]
        : softmaxSamples(),
    errors: [
      {
        name: 'axis out of range',
        fn: () => ops[name](ops.zeros([2, 3]), 2),
        error: IndexError,
        message: new RegExp(`${name}: axis 2 is out of range for a tensor of rank 2`),
      },
      {
        name: 'int32 input',
        fn: () => ops[name](tensor([1], [1], { dtype: 'int32' })),
        error: DTypeError,
        message: new RegExp(`${name}: argument 'input' must be float32 or float64, got int32`),
      },
    ],
  });

type NArgs = { weight?: boolean; bias?: boolean; eps?: number };

function rowsRef(x: Nd, f: (row: number[]) => number[]): Nd {
  return alongAxis(x, -1, f);
}

runOpInfos([
  softmaxOp('softmax', softmaxLine),
  softmaxOp('logSoftmax', logSoftmaxLine),
  defineOp<NArgs>({
    name: 'layerNorm',
    op: ([x, ...p], a) =>
      ops.layerNorm(x, a.weight ? p[0] : null, a.bias ? p[a.weight ? 1 : 0] : null, a.eps),
    ref: ([x, ...p], a) => {
      const w = a.weight ? p[0] : null;
      const b = a.bias ? p[a.weight ? 1 : 0] : null;
      return rowsRef(x, (row) => {
        const mu = row.reduce((s, v) => s + v, 0) / row.length;
        const v = row.reduce((s, x) => s + (x - mu) ** 2, 0) / row.length;
        return row.map(
          (x, j) =>
            ((x - mu) / Math.sqrt(v + (a.eps ?? 1e-5))) * (w ? w.data[j] : 1) + (b ? b.data[j] : 0),
        );
      });
    },
    samples: [
      {
        name: 'affine [3,5]',
        inputs: [F([3, 5]), F([5]), F([5])],
        args: { weight: true, bias: true },
      },
      { name: 'no affine [2,3,4]', inputs: [F([2, 3, 4])], args: {} },
      { name: 'weight only', inputs: [F([2, 4]), F([4])], args: { weight: true } },
      { name: 'bias only, eps 0.1', inputs: [F([2, 4]), F([4])], args: { bias: true, eps: 0.1 } },
      {
        name: 'one column',
        inputs: [F([3, 1]), F([1]), F([1])],
        args: { weight: true, bias: true },
      },
      { name: '1-D', inputs: [F([6]), F([6]), F([6])], args: { weight: true, bias: true } },
      {
        name: 'empty rows',
        inputs: [F([0, 3]), F([3]), F([3])],
        args: { weight: true, bias: true },
      },
    ],
    tol: { float32: { atol: 2e-5, rtol: 1e-4 } },
    errors: [
      {
        name: 'weight of the wrong size',
        fn: () => ops.layerNorm(ops.zeros([2, 4]), ops.ones([3]), null),
        error: ShapeError,
        message: /layerNorm: weight has shape \[3\], expected \[4\] for input \[2,4\]/,
      },
      {
        name: '0-d input',
        fn: () => ops.layerNorm(ops.zeros([]), null, null),
        error: ShapeError,
        message: /layerNorm: input must have at least 1 dim/,
      },
      {
        name: 'bias dtype differs',
        fn: () => ops.layerNorm(ops.zeros([2]), null, tensor(new Float64Array(2), [2])),
        error: DTypeError,
        message: /layerNorm: dtypes differ \(float32 vs float64\)/,
      },
    ],
  }),
  defineOp<NArgs>({
    name: 'rmsNorm',
    op: ([x, w], a) => ops.rmsNorm(x, a.weight ? w : null, a.eps),
    ref: ([x, w], a) =>
      rowsRef(x, (row) => {
        const ms = row.reduce((s, v) => s + v * v, 0) / row.length;
        return row.map(
          (v, j) => (v / Math.sqrt(ms + (a.eps ?? 1e-6))) * (a.weight ? w.data[j] : 1),
        );
      }),
    samples: [
      { name: 'weight [3,5]', inputs: [F([3, 5]), F([5])], args: { weight: true } },
      { name: 'no weight [2,3,4]', inputs: [F([2, 3, 4])], args: {} },
      { name: 'eps 0.5', inputs: [F([2, 3]), F([3])], args: { weight: true, eps: 0.5 } },
      { name: '1-D', inputs: [F([5]), F([5])], args: { weight: true } },
      { name: 'empty rows', inputs: [F([0, 2]), F([2])], args: { weight: true } },
    ],
    tol: { float32: { atol: 2e-5, rtol: 1e-4 } },
    errors: [
      {
        name: 'weight of the wrong size',
        fn: () => ops.rmsNorm(ops.zeros([2, 4]), ops.ones([5])),
        error: ShapeError,
        message: /rmsNorm: weight has shape \[5\], expected \[4\] for input \[2,4\]/,
      },
    ],
  }),
  defineOp<{ p: number; seed: number; training?: boolean }>({
    name: 'dropout',
    op: ([x], a) => ops.dropout(x, a.p, new Generator(a.seed), a.training),
    // Inverted dropout with the mask drawn in element order: keep where uniform() < 1 - p.
    ref: ([x], a) => {
      if (a.training === false || a.p === 0) return x;
      const rng = new Generator(a.seed);
      return {
        shape: x.shape,
        data: x.data.map((v) => (rng.uniform() < 1 - a.p ? v / (1 - a.p) : 0)),
      };
    },
    samples: [
      { name: 'p 0.3', inputs: [F([4, 5])], args: { p: 0.3, seed: 1 } },
      { name: 'p 0.5 0-d', inputs: [F([])], args: { p: 0.5, seed: 2 } },
      { name: 'p 0 identity', inputs: [F([3, 2])], args: { p: 0, seed: 3 } },
      { name: 'p 1 zeros', inputs: [F([3, 2])], args: { p: 1, seed: 3 } },
      { name: 'eval identity', inputs: [F([3, 2])], args: { p: 0.5, seed: 4, training: false } },
      { name: 'empty', inputs: [F([0, 2])], args: { p: 0.5, seed: 5 } },
    ],
    errors: [
      {
        name: 'p out of range',
        fn: () => ops.dropout(ops.zeros([2]), 1.5, new Generator(0)),
        error: ValueError,
        message: /dropout: p must be in \[0, 1\], got 1.5/,
      },
    ],
  }),
]);

describe('dropout', () => {
  const x = ops.ones([20000]);
  it('the same seed gives the same mask; another seed another', () => {
    const a = ops.dropout(x, 0.4, new Generator(7));
    const b = ops.dropout(x, 0.4, new Generator(7));
    const c = ops.dropout(x, 0.4, new Generator(8));
    expect(Array.from(a.data)).toEqual(Array.from(b.data));
    expect(Array.from(a.data)).not.toEqual(Array.from(c.data));
  });

  it('keeps 1 - p of the elements, scaled so the mean is unchanged', () => {
    const p = 0.3;
    const out = ops.dropout(x, p, new Generator(11));
    let zeros = 0;
    for (const v of out.data) {
      if (v === 0) zeros++;
      else expect(v).toBeCloseTo(1 / (1 - p), 6);
    }
    // Binomial(n, p) count of zeros: within 5 standard deviations.
    const n = x.size;
    expect(Math.abs(zeros - n * p)).toBeLessThan(5 * Math.sqrt(n * p * (1 - p)));
    expect(Math.abs(ops.mean(out).item() - 1)).toBeLessThan(0.03);
  });

  it('p 0 and eval mode pass the gradient through unchanged', () => {
    const w = ops.ones([3], { requiresGrad: true });
    ops.sum(ops.dropout(w, 0, new Generator(0))).backward();
    ops.sum(ops.dropout(w, 0.9, new Generator(0), false)).backward();
    expect(Array.from(w.grad!.data)).toEqual([2, 2, 2]);
  });

  it('an int32 input is a DTypeError', () => {
    expect(() => ops.dropout(tensor([1], [1], { dtype: 'int32' }), 0.5, new Generator(0))).toThrow(
      DTypeError,
    );
  });
});

describe('softmax: fully masked rows', () => {
  it('softmax gives zeros (attention relies on it), logSoftmax NaN (as torch)', () => {
    const x = tensor([-Infinity, -Infinity, 0, 1], [2, 2]);
    expect(Array.from(ops.softmax(x).data.slice(0, 2))).toEqual([0, 0]);
    expect(Array.from(ops.logSoftmax(x).data.slice(0, 2)).every(Number.isNaN)).toBe(true);
  });

  it('logSoftmax of a partly masked row is -Infinity at the masked entries', () => {
    const y = ops.logSoftmax(tensor([-Infinity, 0, 0], [3]));
    expect(y.data[0]).toBe(-Infinity);
    expect(y.data[1]).toBeCloseTo(Math.log(0.5), 6);
  });
});
