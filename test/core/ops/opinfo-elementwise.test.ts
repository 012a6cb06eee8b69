import { describe, expect, it } from 'vitest';
import * as ops from '../../../src/index.js';
import { DTypeError, ShapeError, tensor, type Tensor } from '../../../src/index.js';
import {
  bshape,
  build,
  C,
  defineOp,
  F,
  getB,
  I,
  runOpInfos,
  type InputSpec,
  type Nd,
  type OpInfo,
  type Sample,
} from '../opinfo.js';

type BinaryArgs = { scalar?: 'a' | 'b'; value?: number };

/** Shapes every binary op runs on: equal, broadcast both ways, 0-d, size-1, odd, empty. */
function binarySamples(
  a: Omit<InputSpec, 'shape'>,
  b: Omit<InputSpec, 'shape'>,
): Sample<BinaryArgs>[] {
  const pairs: [string, number[], number[]][] = [
    ['same shape', [3, 4], [3, 4]],
    ['broadcast [3,1] x [1,4]', [3, 1], [1, 4]],
    ['broadcast rank [2,3,4] x [4]', [2, 3, 4], [4]],
    ['broadcast rank [4] x [2,3,4]', [4], [2, 3, 4]],
    ['0-d x [2,3]', [], [2, 3]],
    ['[2,3] x 0-d', [2, 3], []],
    ['0-d x 0-d', [], []],
    ['size-1 dims [1,1,1] x [2,1,3]', [1, 1, 1], [2, 1, 3]],
    ['odd [5,7]', [5, 7], [5, 7]],
    ['empty [0,3] x [1,3]', [0, 3], [1, 3]],
  ];
  const samples: Sample<BinaryArgs>[] = pairs.map(([name, sa, sb]) => ({
    name,
    inputs: [
      { ...a, shape: sa },
      { ...b, shape: sb },
    ],
    args: {},
  }));
  samples.push({
    name: 'tensor op number',
    inputs: [{ ...a, shape: [2, 3] }],
    args: { scalar: 'b', value: 1.5 },
  });
  samples.push({
    name: 'number op tensor',
    inputs: [{ ...b, shape: [2, 3] }],
    args: { scalar: 'a', value: 1.25 },
  });
  return samples;
}

function binaryOp(
  name: string,
  fn: (a: ops.TensorLike, b: ops.TensorLike) => Tensor,
  f: (a: number, b: number) => number,
  a: Omit<InputSpec, 'shape'>,
  b: Omit<InputSpec, 'shape'>,
  extra: Partial<OpInfo<BinaryArgs>> = {},
): OpInfo<unknown> {
  return defineOp<BinaryArgs>({
    name,
    op: (xs, { scalar, value }) =>
      scalar === 'a' ? fn(value!, xs[0]) : scalar === 'b' ? fn(xs[0], value!) : fn(xs[0], xs[1]),
    ref: (xs, { scalar, value }) => {
      const k: Nd = { shape: [], data: [value!] };
      const [x, y] = scalar === 'a' ? [k, xs[0]] : scalar === 'b' ? [xs[0], k] : xs;
      return build(bshape(x.shape, y.shape), (i) => f(getB(x, i), getB(y, i)));
    },
    samples: binarySamples(a, b),
    errors: [
      {
        name: 'shapes that do not broadcast',
        fn: () => fn(ops.zeros([2, 3]), ops.zeros([4, 3])),
        error: ShapeError,
        message: new RegExp(`${name}: shapes \\[2,3\\] and \\[4,3\\] cannot be broadcast`),
      },
      {
        name: 'dtype mismatch',
        fn: () => fn(ops.zeros([2]), ops.zeros([2], { dtype: 'float64' })),
        error: DTypeError,
        message: new RegExp(`${name}: dtypes differ \\(float32 vs float64\\)`),
      },
      {
        name: 'two numbers',
        fn: () => fn(1, 2),
        error: DTypeError,
        message: new RegExp(`${name}: at least one operand must be a Tensor`),
      },
    ],
    ...extra,
  });
}

const any: Omit<InputSpec, 'shape'> = { kind: 'float', grad: true };
const positive: Omit<InputSpec, 'shape'> = { kind: 'float', grad: true, range: [0.5, 2] };
const small: Omit<InputSpec, 'shape'> = { kind: 'float', grad: true, range: [-1.5, 1.5] };
const ties: Omit<InputSpec, 'shape'> = {
  kind: 'float',
  grad: false,
  range: [-2, 2],
  integers: true,
};

const cmp = (
  name: string,
  fn: (a: ops.TensorLike, b: ops.TensorLike) => Tensor,
  f: (a: number, b: number) => boolean,
) => {
  const info = binaryOp(name, fn, (a, b) => (f(a, b) ? 1 : 0), ties, ties, { grad: false });
  for (const s of info.samples) {
    s.dtypes = ['float32', 'float64', 'int32'];
    // int32 runs turn the number operand into an int32 scalar: keep it integral.
    if ((s.args as BinaryArgs).value !== undefined) (s.args as BinaryArgs).value = 1;
  }
  return info;
};

const unaryShapes: [string, number[]][] = [
  ['[3,4]', [3, 4]],
  ['0-d', []],
  ['size-1 dims [2,1,3]', [2, 1, 3]],
  ['odd [7]', [7]],
  ['empty [0,2]', [0, 2]],
];

type UnaryArgs = { p?: number; q?: number };

function unaryOp(
  name: string,
  fn: (x: Tensor, args: UnaryArgs) => Tensor,
  f: (x: number, args: UnaryArgs) => number,
  options: {
    range?: [number, number];
    args?: UnaryArgs[];
    values?: number[];
    /** Also defined on int32 (neg); otherwise int32 input is a DTypeError. */
    ints?: boolean;
  } = {},
): OpInfo<unknown> {
  const argList = options.args ?? [{}];
  const samples: Sample<UnaryArgs>[] = [];
  for (const args of argList) {
    const tag = Object.keys(args).length ? ` ${JSON.stringify(args)}` : '';
    for (const [label, shape] of unaryShapes) {
      samples.push({
        name: `${label}${tag}`,
        inputs: [F(shape, { range: options.range })],
        args,
        dtypes: options.ints ? ['float32', 'float64', 'int32'] : undefined,
      });
    }
    if (options.values) {
      // Edge values (large magnitudes, exact points): values only, no gradient check.
      const v = options.values;
      samples.push({
        name: `edge values${tag}`,
        inputs: [F([v.length], { values: v })],
        args,
        grad: false,
      });
    }
  }
  return defineOp<UnaryArgs>({
    name,
    op: (xs, args) => fn(xs[0], args),
    ref: (xs, args) => ({ shape: xs[0].shape, data: xs[0].data.map((x) => f(x, args)) }),
    samples,
    errors: options.ints
      ? []
      : [
          {
            name: 'int32 input',
            fn: () => fn(tensor([1, 2], [2], { dtype: 'int32' }), argList[0]),
            error: DTypeError,
            message: new RegExp(`${name}: argument 'input' must be float32 or float64, got int32`),
          },
        ],
  });
}

const sig = (x: number) => 1 / (1 + Math.exp(-x));
const Phi = (x: number) => 0.5 * (1 + erfRef(x / Math.SQRT2));
/** erf by Simpson integration of 2/sqrt(pi) exp(-t^2): slow, independent of the engine's erf. */
function erfRef(x: number): number {
  const n = 2000;
  const h = x / n;
  let s = 1 + Math.exp(-x * x);
  for (let i = 1; i < n; i++) s += (i % 2 ? 4 : 2) * Math.exp(-((i * h) ** 2));
  return ((s * h) / 3) * (2 / Math.sqrt(Math.PI));
}
const geluTanh = (x: number) =>
  0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x ** 3)));

const whereSamples: Sample<unknown>[] = [
  {
    name: 'same shape',
    inputs: [C([3, 4], { range: [0, 1], integers: true }), F([3, 4]), F([3, 4])],
    args: {},
  },
  {
    name: 'broadcast all three',
    inputs: [C([3, 1], { range: [0, 1], integers: true }), F([1, 4]), F([3, 4])],
    args: {},
  },
  {
    name: 'int32 cond, 0-d branch',
    inputs: [I([2, 3], { range: [0, 1] }), F([2, 3]), F([])],
    args: {},
  },
  {
    name: 'cond larger than both',
    inputs: [C([2, 3, 2], { range: [0, 1], integers: true }), F([2]), F([3, 1])],
    args: {},
  },
  {
    name: 'empty',
    inputs: [C([0, 2], { range: [0, 1], integers: true }), F([0, 2]), F([1, 2])],
    args: {},
  },
];

runOpInfos([
  binaryOp('add', ops.add, (a, b) => a + b, any, any),
  binaryOp('sub', ops.sub, (a, b) => a - b, any, any),
  binaryOp('mul', ops.mul, (a, b) => a * b, any, any),
  binaryOp('div', ops.div, (a, b) => a / b, any, positive),
  binaryOp('pow', ops.pow, (a, b) => a ** b, positive, small),
  binaryOp('maximum', ops.maximum, (a, b) => Math.max(a, b), any, any),
  binaryOp('minimum', ops.minimum, (a, b) => Math.min(a, b), any, any),
  cmp('eq', ops.eq, (a, b) => a === b),
  cmp('ne', ops.ne, (a, b) => a !== b),
  cmp('lt', ops.lt, (a, b) => a < b),
  cmp('le', ops.le, (a, b) => a <= b),
  cmp('gt', ops.gt, (a, b) => a > b),
  cmp('ge', ops.ge, (a, b) => a >= b),
  defineOp({
    name: 'where',
    op: (xs) => ops.where(xs[0], xs[1], xs[2]),
    ref: ([c, a, b]) =>
      build(bshape(c.shape, a.shape, b.shape), (i) => (getB(c, i) !== 0 ? getB(a, i) : getB(b, i))),
    samples: whereSamples,
    errors: [
      {
        name: 'shapes that do not broadcast',
        fn: () => ops.where(ops.ones([2, 3]), ops.zeros([4, 3]), ops.zeros([2, 3])),
        error: ShapeError,
        message: /where: shapes \[2,3\] and \[4,3\] cannot be broadcast/,
      },
      {
        name: 'branch dtypes differ',
        fn: () => ops.where(ops.ones([2]), ops.zeros([2]), ops.zeros([2], { dtype: 'float64' })),
        error: DTypeError,
        message: /where: dtypes differ \(float32 vs float64\)/,
      },
    ],
  }),
  unaryOp(
    'neg',
    (x) => ops.neg(x),
    (x) => -x,
    { ints: true },
  ),
  unaryOp('exp', (x) => ops.exp(x), Math.exp, { values: [-800, -50, 0, 50, 100] }),
  unaryOp('log', (x) => ops.log(x), Math.log, { range: [0.2, 3], values: [0, 1, 1e-30, 1e30] }),
  unaryOp('tanh', (x) => ops.tanh(x), Math.tanh, { values: [-50, 0, 50] }),
  unaryOp('atan', (x) => ops.atan(x), Math.atan, { range: [-4, 4], values: [-1e30, 0, 1e30, NaN] }),
  unaryOp('sigmoid', (x) => ops.sigmoid(x), sig, { values: [-800, -30, 0, 30, 800] }),
  unaryOp(
    'relu',
    (x) => ops.relu(x),
    (x) => Math.max(0, x),
    { values: [-1, 0, 2, NaN] },
  ),
  unaryOp(
    'gelu',
    (x, a) => ops.gelu(x, a.p ? 'tanh' : 'none'),
    (x, a) => (a.p ? geluTanh(x) : x * Phi(x)),
    {
      range: [-3, 3],
      args: [{}, { p: 1 }],
      values: [-6, -1, 0, 1, 6],
    },
  ),
  unaryOp(
    'silu',
    (x) => ops.silu(x),
    (x) => x * sig(x),
    { values: [-800, -30, 0, 30, 800] },
  ),
  unaryOp('sqrt', (x) => ops.sqrt(x), Math.sqrt, { range: [0.2, 3], values: [0, 4, 1e-20] }),
  unaryOp(
    'rsqrt',
    (x) => ops.rsqrt(x),
    (x) => 1 / Math.sqrt(x),
    { range: [0.2, 3], values: [0, 4] },
  ),
  unaryOp('abs', (x) => ops.abs(x), Math.abs, { values: [-3, 0, 3] }),
  unaryOp(
    'square',
    (x) => ops.square(x),
    (x) => x * x,
  ),
  unaryOp('sin', (x) => ops.sin(x), Math.sin),
  unaryOp('cos', (x) => ops.cos(x), Math.cos),
  unaryOp(
    'powScalar',
    (x, a) => ops.powScalar(x, a.p!),
    (x, a) => x ** a.p!,
    {
      range: [0.3, 2],
      args: [{ p: 2 }, { p: 0.5 }, { p: -1.5 }, { p: 0 }, { p: 3 }],
    },
  ),
  unaryOp(
    'scale',
    (x, a) => ops.scale(x, a.p!),
    (x, a) => x * a.p!,
    { args: [{ p: -2.5 }, { p: 0 }] },
  ),
  unaryOp(
    'addScalar',
    (x, a) => ops.addScalar(x, a.p!),
    (x, a) => x + a.p!,
    { args: [{ p: 0.75 }] },
  ),
  unaryOp(
    'leakyRelu',
    (x, a) => ops.leakyRelu(x, a.p),
    (x, a) => (x > 0 ? x : x * (a.p ?? 0.01)),
    {
      args: [{}, { p: 0.2 }],
    },
  ),
  unaryOp(
    'elu',
    (x, a) => ops.elu(x, a.p),
    (x, a) => (x > 0 ? x : (a.p ?? 1) * (Math.exp(x) - 1)),
    {
      args: [{}, { p: 0.5 }],
    },
  ),
  unaryOp(
    'clamp',
    (x, a) => ops.clamp(x, a.p, a.q),
    (x, a) => Math.min(a.q ?? Infinity, Math.max(a.p ?? -Infinity, x)),
    { args: [{ p: -0.5, q: 0.7 }, { p: -0.3 }, { q: 0.4 }, { p: 0.2, q: 0.2 }] },
  ),
]);

describe('elementwise: PyTorch anchors and gradient edge cases', () => {
  it('gelu matches torch values', () => {
    const x = tensor(new Float64Array([-1, 0.5, 1, 2]), [4]);
    const exact = [
      -0.15865525393145707, 0.34573123063700656, 0.8413447460685429, 1.9544997361036416,
    ];
    ops.gelu(x).data.forEach((v, i) => expect(v).toBeCloseTo(exact[i], 13));
    expect(ops.gelu(tensor(new Float64Array([1]), [1]), 'tanh').data[0]).toBeCloseTo(
      0.8411919906082768,
      13,
    );
  });

  it('pow at a zero base gives zero (not NaN) gradients, as torch', () => {
    const x = tensor(new Float64Array([0, 0, 2]), [3], { requiresGrad: true });
    const y = tensor(new Float64Array([2, 0, 0]), [3], { requiresGrad: true });
    ops.sum(ops.pow(x, y)).backward();
    expect(Array.from(x.grad!.data)).toEqual([0, 0, 0]);
    expect(Array.from(y.grad!.data)).toEqual([0, 0, Math.log(2)]);
  });

  it('powScalar with exponent 0 has a zero gradient even at 0', () => {
    const x = tensor(new Float64Array([0, 3]), [2], { requiresGrad: true });
    ops.sum(ops.powScalar(x, 0)).backward();
    expect(Array.from(x.grad!.data)).toEqual([0, 0]);
  });

  it('maximum/minimum split the gradient at ties', () => {
    const a = tensor([1, 2], [2], { requiresGrad: true });
    const b = tensor([1, 3], [2], { requiresGrad: true });
    ops.sum(ops.maximum(a, b)).backward();
    expect(Array.from(a.grad!.data)).toEqual([0.5, 0]);
    expect(Array.from(b.grad!.data)).toEqual([0.5, 1]);
  });

  it('clamp passes the gradient at the bounds, as torch', () => {
    const x = tensor([-1, 0, 1, 2], [4], { requiresGrad: true });
    ops.sum(ops.clamp(x, 0, 1)).backward();
    expect(Array.from(x.grad!.data)).toEqual([0, 1, 1, 0]);
  });

  it('clamp rejects min > max', () => {
    expect(() => ops.clamp(ops.zeros([2]), 1, 0)).toThrow(/clamp: min 1 is greater than max 0/);
  });

  it('maximum propagates NaN', () => {
    const r = ops.maximum(tensor([NaN, 1], [2]), tensor([0, NaN], [2]));
    expect(Array.from(r.data).every(Number.isNaN)).toBe(true);
  });
});
