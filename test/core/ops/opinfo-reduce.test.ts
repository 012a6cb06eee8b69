import { describe, expect, it } from 'vitest';
import * as ops from '../../../src/index.js';
import { DTypeError, IndexError, ShapeError, tensor } from '../../../src/index.js';
import {
  C,
  defineOp,
  F,
  reduceRef,
  runOpInfos,
  type InputSpec,
  type Nd,
  type Sample,
} from '../opinfo.js';

type RArgs = { axis?: number | number[]; keepDim?: boolean; correction?: number };

/** Non-negative sorted axes; undefined means all (a 0-d tensor has none to reduce). */
function axesOf(axis: number | number[] | undefined, rank: number): number[] {
  if (axis === undefined) return Array.from({ length: rank }, (_, i) => i);
  if (rank === 0) return [];
  return (typeof axis === 'number' ? [axis] : axis).map((a) => (a < 0 ? a + rank : a));
}

function samples(
  cases: [string, number[], RArgs][],
  spec: (shape: number[]) => InputSpec = (s) => F(s),
): Sample<RArgs>[] {
  return cases.map(([name, shape, args]) => ({ name, inputs: [spec(shape)], args }));
}

const multiAxis: [string, number[], RArgs][] = [
  ['all', [3, 4], {}],
  ['all keepDim', [2, 3], { keepDim: true }],
  ['axis 0', [3, 4], { axis: 0 }],
  ['axis -1', [2, 3, 4], { axis: -1 }],
  ['axis 1 keepDim', [2, 3, 4], { axis: 1, keepDim: true }],
  ['axes [0,2]', [2, 3, 4], { axis: [0, 2] }],
  ['axes [-1,0] keepDim', [2, 3, 5], { axis: [-1, 0], keepDim: true }],
  ['size-1 axis', [3, 1, 2], { axis: 1 }],
  ['0-d, all', [], {}],
  ['0-d, axis 0', [], { axis: 0 }],
  ['0-d, axis -1', [], { axis: -1 }],
  ['odd [7,5] axis 1', [7, 5], { axis: 1 }],
  ['empty [0,3] axis 0', [0, 3], { axis: 0 }],
  ['empty [0,3] axis 1', [0, 3], { axis: 1 }],
  ['empty all', [0, 2], {}],
];

const oneAxis: [string, number[], RArgs][] = [
  ['all', [3, 4], {}],
  ['all keepDim', [2, 3], { keepDim: true }],
  ['axis 0', [3, 4], { axis: 0 }],
  ['axis -1', [2, 3, 4], { axis: -1 }],
  ['axis 1 keepDim', [2, 3, 4], { axis: 1, keepDim: true }],
  ['size-1 axis', [3, 1, 2], { axis: 1 }],
  ['0-d, all', [], {}],
  ['0-d, axis 0', [], { axis: 0 }],
  ['0-d, axis -1 keepDim', [], { axis: -1, keepDim: true }],
  ['odd [7,5] axis 1', [7, 5], { axis: 1 }],
  ['empty outer [0,3] axis 1', [0, 3], { axis: 1 }],
];

const sumOf = (v: number[]) => v.reduce((p, x) => p + x, 0);
const reduceOp = (
  name: string,
  fn: (x: ops.Tensor, a: RArgs) => ops.Tensor,
  f: (v: number[], a: RArgs) => number,
) => ({
  op: (xs: ops.Tensor[], a: RArgs) => fn(xs[0], a),
  ref: ([x]: Nd[], a: RArgs) =>
    reduceRef(x, axesOf(a.axis, x.shape.length), a.keepDim ?? false, (v) => f(v, a)),
  name,
});

const firstIndex = (better: (a: number, b: number) => boolean) => (v: number[]) => {
  let best = 0;
  for (let i = 1; i < v.length; i++) {
    if (Number.isNaN(v[best])) break;
    if (better(v[i], v[best]) || Number.isNaN(v[i])) best = i;
  }
  return best;
};

const variance = (v: number[], a: RArgs) => {
  const m = sumOf(v) / v.length;
  return sumOf(v.map((x) => (x - m) ** 2)) / (v.length - (a.correction ?? 1));
};

const axisErrors = (name: string, fn: (x: ops.Tensor) => unknown) => [
  {
    name: 'axis out of range',
    fn: () => fn(ops.zeros([2, 3])),
    error: IndexError,
    message: new RegExp(`${name}: axis 2 is out of range for a tensor of rank 2`),
  },
];

const ties = (s: number[]) => C(s, { range: [-2, 2], integers: true });

runOpInfos([
  defineOp<RArgs>({
    ...reduceOp('sum', (x, a) => ops.sum(x, a.axis, a), sumOf),
    samples: [
      ...samples(multiAxis),
      ...samples([
        ['int32 all', [3, 4], {}],
        ['int32 axis 1', [3, 4], { axis: 1 }],
      ]).map((s) => ({
        ...s,
        dtypes: ['int32' as const],
      })),
    ],
    errors: [
      ...axisErrors('sum', (x) => ops.sum(x, 2)),
      {
        name: 'repeated axis',
        fn: () => ops.sum(ops.zeros([2, 3]), [1, -1]),
        error: ShapeError,
        message: /sum: repeated axis in \[1,-1\]/,
      },
    ],
  }),
  defineOp<RArgs>({
    ...reduceOp(
      'mean',
      (x, a) => ops.mean(x, a.axis, a),
      (v) => sumOf(v) / v.length,
    ),
    samples: samples(multiAxis),
    errors: [
      ...axisErrors('mean', (x) => ops.mean(x, 2)),
      {
        name: 'int32 input',
        fn: () => ops.mean(tensor([1, 2], [2], { dtype: 'int32' })),
        error: DTypeError,
        message: /mean: argument 'input' must be float32 or float64, got int32/,
      },
    ],
  }),
  defineOp<RArgs>({
    ...reduceOp(
      'max',
      (x, a) => ops.max(x, a.axis as number, a),
      (v) => Math.max(...v),
    ),
    samples: samples(oneAxis),
    errors: [
      ...axisErrors('max', (x) => ops.max(x, 2)),
      {
        name: 'empty reduced dim',
        fn: () => ops.max(ops.zeros([2, 0]), 1),
        error: ShapeError,
        message: /max: cannot reduce .*dim 1 of size 0.*\[2,0\]/,
      },
    ],
  }),
  defineOp<RArgs>({
    ...reduceOp(
      'min',
      (x, a) => ops.min(x, a.axis as number, a),
      (v) => Math.min(...v),
    ),
    samples: samples(oneAxis),
    errors: [
      ...axisErrors('min', (x) => ops.min(x, 2)),
      {
        name: 'empty tensor',
        fn: () => ops.min(ops.zeros([0])),
        error: ShapeError,
        message: /min: cannot reduce .*\[0\]/,
      },
    ],
  }),
  defineOp<RArgs>({
    ...reduceOp(
      'argmax',
      (x, a) => ops.argmax(x, a.axis as number, a),
      firstIndex((a, b) => a > b),
    ),
    outDtype: () => 'int32',
    grad: false,
    samples: [
      ...samples(oneAxis),
      ...samples([['ties take the first', [4, 5], { axis: 1 }]], ties),
      ...samples([['ties, all', [4, 5], {}]], ties),
      ...samples([['int32 ties', [4, 5], { axis: 0 }]], ties).map((s) => ({
        ...s,
        dtypes: ['int32' as const],
      })),
      ...samples([['NaN wins', [5], {}]], (s) => C(s, { values: [1, NaN, 3, NaN, 0] })),
    ],
    errors: axisErrors('argmax', (x) => ops.argmax(x, -3)).map((e) => ({
      ...e,
      message: /argmax: axis -3 is out of range for a tensor of rank 2/,
    })),
  }),
  defineOp<RArgs>({
    ...reduceOp(
      'argmin',
      (x, a) => ops.argmin(x, a.axis as number, a),
      firstIndex((a, b) => a < b),
    ),
    outDtype: () => 'int32',
    grad: false,
    samples: [
      ...samples(oneAxis),
      ...samples([['ties take the first', [4, 5], { axis: -1 }]], ties),
    ],
    errors: axisErrors('argmin', (x) => ops.argmin(x, 2)),
  }),
  defineOp<RArgs>({
    ...reduceOp(
      'logsumexp',
      (x, a) => ops.logsumexp(x, a.axis as number, a),
      (v) => {
        const m = Math.max(...v);
        if (!Number.isFinite(m)) return m;
        return m + Math.log(sumOf(v.map((x) => Math.exp(x - m))));
      },
    ),
    samples: [
      ...samples(oneAxis.filter(([, , a]) => a.axis !== undefined)),
      ...samples([['large values', [2, 3], { axis: 1 }]], (s) => F(s, { range: [500, 600] })),
      {
        name: '-Infinity entries',
        inputs: [C([2, 3], { values: [-Infinity, 1, 2, -Infinity, -Infinity, -Infinity] })],
        args: { axis: 1 },
      },
    ],
    tol: { float32: { atol: 1e-5, rtol: 2e-5 } },
    errors: axisErrors('logsumexp', (x) => ops.logsumexp(x, 2)),
  }),
  defineOp<RArgs>({
    ...reduceOp('var', (x, a) => ops.variance(x, a.axis, a), variance),
    samples: [
      // Bessel over a size-1 dim is 0/0 = NaN (as torch): values only.
      ...samples(multiAxis.filter(([n]) => !n.startsWith('0-d') && !n.startsWith('empty'))).map(
        (s) => (s.name === 'size-1 axis' ? { ...s, grad: false } : s),
      ),
      ...samples(multiAxis.filter(([n]) => !n.startsWith('0-d') && !n.startsWith('empty'))).map(
        (s) => ({ ...s, name: `${s.name} correction 0`, args: { ...s.args, correction: 0 } }),
      ),
    ],
    tol: { float32: { atol: 1e-5, rtol: 1e-4 } },
    errors: axisErrors('var', (x) => ops.variance(x, 2)),
  }),
]);

describe('reductions: gradient routing', () => {
  it('max/min send the gradient to the first extremal element', () => {
    const x = tensor([3, 1, 3, 2], [4], { requiresGrad: true });
    ops.max(x).backward();
    expect(Array.from(x.grad!.data)).toEqual([1, 0, 0, 0]);
  });

  it('variance of one element with correction 1 is NaN (0/0), as torch', () => {
    expect(ops.variance(tensor([2], [1])).item()).toBeNaN();
  });
});
