import { record } from '../autograd.js';
import { DTypeError } from '../errors.js';
import { broadcastShapes, sameShape, type Shape } from '../shape.js';
import { Tensor } from '../tensor.js';
import { broadcastOffsets, makeBinaryKernel } from './broadcast.js';
import { sumTo } from './reduce.js';
import { assertSameDtype, newTensor, outputTensor, scalarLike } from './util.js';

export type TensorLike = Tensor | number;

const kernels = {
  add: makeBinaryKernel('a + b'),
  sub: makeBinaryKernel('a - b'),
  mul: makeBinaryKernel('a * b'),
  div: makeBinaryKernel('a / b'),
  pow: makeBinaryKernel('Math.pow(a, b)'),
  maximum: makeBinaryKernel('(a > b || a !== a) ? a : b'),
  minimum: makeBinaryKernel('(a < b || a !== a) ? a : b'),
  eq: makeBinaryKernel('a === b ? 1 : 0'),
  ne: makeBinaryKernel('a !== b ? 1 : 0'),
  lt: makeBinaryKernel('a < b ? 1 : 0'),
  le: makeBinaryKernel('a <= b ? 1 : 0'),
  gt: makeBinaryKernel('a > b ? 1 : 0'),
  ge: makeBinaryKernel('a >= b ? 1 : 0'),
};

function operands(op: string, a: TensorLike, b: TensorLike): [Tensor, Tensor] {
  if (typeof a === 'number' && typeof b === 'number') {
    throw new DTypeError(`${op}: at least one operand must be a Tensor`);
  }
  const ta = typeof a === 'number' ? scalarLike(a, b as Tensor) : a;
  const tb = typeof b === 'number' ? scalarLike(b, ta) : b;
  assertSameDtype(op, ta, tb);
  return [ta, tb];
}

/** Run a binary kernel with broadcasting; no autograd. */
function apply(name: keyof typeof kernels, a: Tensor, b: Tensor): Tensor {
  const outShape = sameShape(a.shape, b.shape) ? a.shape : broadcastShapes(name, a.shape, b.shape);
  const out = outputTensor(outShape, a.dtype); // the kernel writes every element
  const n = out.size;
  const ai = a.size === n || a.size === 1 ? null : broadcastOffsets(a.shape, outShape);
  const bi = b.size === n || b.size === 1 ? null : broadcastOffsets(b.shape, outShape);
  kernels[name](a.data, b.data, out.data, ai, bi);
  return out;
}

/** Reduce a broadcast gradient back to an operand's shape. */
function unbroadcast(g: Tensor, shape: Shape): Tensor {
  return sameShape(g.shape, shape) ? g : sumTo(g, shape);
}

export function add(a: TensorLike, b: TensorLike): Tensor {
  const [x, y] = operands('add', a, b);
  return record('add', [x, y], apply('add', x, y), (g) => [
    x.requiresGrad ? unbroadcast(g, x.shape) : null,
    y.requiresGrad ? unbroadcast(g, y.shape) : null,
  ]);
}

export function sub(a: TensorLike, b: TensorLike): Tensor {
  const [x, y] = operands('sub', a, b);
  return record('sub', [x, y], apply('sub', x, y), (g) => [
    x.requiresGrad ? unbroadcast(g, x.shape) : null,
    y.requiresGrad ? unbroadcast(neg(g), y.shape) : null,
  ]);
}

export function mul(a: TensorLike, b: TensorLike): Tensor {
  const [x, y] = operands('mul', a, b);
  return record('mul', [x, y], apply('mul', x, y), (g) => [
    x.requiresGrad ? unbroadcast(apply('mul', g, y), x.shape) : null,
    y.requiresGrad ? unbroadcast(apply('mul', g, x), y.shape) : null,
  ]);
}

export function div(a: TensorLike, b: TensorLike): Tensor {
  const [x, y] = operands('div', a, b);
  const out = apply('div', x, y);
  return record('div', [x, y], out, (g) => [
    x.requiresGrad ? unbroadcast(apply('div', g, y), x.shape) : null,
    // d(x/y)/dy = -(x/y)/y
    y.requiresGrad ? unbroadcast(neg(apply('div', apply('mul', g, out), y)), y.shape) : null,
  ]);
}

/**
 * Elementwise power with a tensor (or scalar) exponent. As in torch, the base gets no gradient
 * where the exponent is 0, and the exponent none where the base is 0 and the exponent >= 0
 * (the naive formulas give 0 * inf and 0 * log 0 = NaN there).
 */
export function pow(a: TensorLike, b: TensorLike): Tensor {
  const [x, y] = operands('pow', a, b);
  const out = apply('pow', x, y);
  return record('pow', [x, y], out, (g) => {
    const xi = broadcastOffsets(x.shape, out.shape);
    const yi = broadcastOffsets(y.shape, out.shape);
    const dx = x.requiresGrad ? newTensor(out.shape, g.dtype) : null;
    const dy = y.requiresGrad ? newTensor(out.shape, g.dtype) : null;
    for (let i = 0; i < out.size; i++) {
      const base = x.data[xi[i]];
      const e = y.data[yi[i]];
      if (dx) dx.data[i] = e === 0 ? 0 : g.data[i] * e * Math.pow(base, e - 1);
      if (dy) dy.data[i] = base === 0 && e >= 0 ? 0 : g.data[i] * out.data[i] * Math.log(base);
    }
    return [dx && unbroadcast(dx, x.shape), dy && unbroadcast(dy, y.shape)];
  });
}

/** Elementwise max; at ties the gradient is split evenly, as PyTorch does. NaN propagates. */
export function maximum(a: TensorLike, b: TensorLike): Tensor {
  return minMax('maximum', a, b);
}

export function minimum(a: TensorLike, b: TensorLike): Tensor {
  return minMax('minimum', a, b);
}

function minMax(name: 'maximum' | 'minimum', a: TensorLike, b: TensorLike): Tensor {
  const [x, y] = operands(name, a, b);
  return record(name, [x, y], apply(name, x, y), (g) => {
    const pick = name === 'maximum' ? 'gt' : 'lt';
    const half = scalarLike(0.5, g);
    const ties = apply('mul', apply('eq', x, y), half);
    const wx = apply('add', apply(pick, x, y), ties);
    const wy = apply('add', apply(pick, y, x), ties);
    return [
      x.requiresGrad ? unbroadcast(apply('mul', g, wx), x.shape) : null,
      y.requiresGrad ? unbroadcast(apply('mul', g, wy), y.shape) : null,
    ];
  });
}

/** Comparisons return 0/1 in the operands' dtype and are not differentiable. */
export const eq = (a: TensorLike, b: TensorLike): Tensor => apply('eq', ...operands('eq', a, b));
export const ne = (a: TensorLike, b: TensorLike): Tensor => apply('ne', ...operands('ne', a, b));
export const lt = (a: TensorLike, b: TensorLike): Tensor => apply('lt', ...operands('lt', a, b));
export const le = (a: TensorLike, b: TensorLike): Tensor => apply('le', ...operands('le', a, b));
export const gt = (a: TensorLike, b: TensorLike): Tensor => apply('gt', ...operands('gt', a, b));
export const ge = (a: TensorLike, b: TensorLike): Tensor => apply('ge', ...operands('ge', a, b));

export function neg(x: Tensor): Tensor {
  const out = newTensor(x.shape, x.dtype);
  const xd = x.data;
  const od = out.data;
  for (let i = 0; i < xd.length; i++) od[i] = -xd[i];
  return record('neg', [x], out, (g) => [neg(g)]);
}

/** where(cond, a, b): a where cond is non-zero, else b; broadcasts all three. */
export function where(cond: Tensor, a: TensorLike, b: TensorLike): Tensor {
  const [x, y] = operands('where', a, b);
  const shape = broadcastShapes('where', broadcastShapes('where', cond.shape, x.shape), y.shape);
  const out = newTensor(shape, x.dtype);
  const n = out.size;
  const ci = broadcastOffsets(cond.shape, shape);
  const xi = broadcastOffsets(x.shape, shape);
  const yi = broadcastOffsets(y.shape, shape);
  const cd = cond.data;
  for (let i = 0; i < n; i++) out.data[i] = cd[ci[i]] !== 0 ? x.data[xi[i]] : y.data[yi[i]];
  return record('where', [x, y], out, (g) => {
    const mask = newTensor(shape, g.dtype);
    for (let i = 0; i < n; i++) mask.data[i] = cd[ci[i]] !== 0 ? 1 : 0;
    return [
      x.requiresGrad ? unbroadcast(apply('mul', g, mask), x.shape) : null,
      y.requiresGrad
        ? unbroadcast(apply('mul', g, apply('sub', scalarLike(1, mask), mask)), y.shape)
        : null,
    ];
  });
}

/** Internal no-autograd helpers for backward passes and optimizers. */
export const raw = {
  add: (a: Tensor, b: Tensor) => apply('add', a, b),
  sub: (a: Tensor, b: Tensor) => apply('sub', a, b),
  mul: (a: Tensor, b: Tensor) => apply('mul', a, b),
  div: (a: Tensor, b: Tensor) => apply('div', a, b),
};
