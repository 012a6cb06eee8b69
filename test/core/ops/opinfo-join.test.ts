import { describe, expect, it } from 'vitest';
import * as ops from '../../../src/index.js';
import { DTypeError, IndexError, ShapeError, tensor } from '../../../src/index.js';
import { build, defineOp, F, get, runOpInfos, type Nd } from '../opinfo.js';

const norm = (axis: number, rank: number) => (axis < 0 ? axis + rank : axis);

/** Pieces of xs joined along ax: walk the output, find the piece that holds each position. */
function concatRef(xs: Nd[], axis: number): Nd {
  const ax = norm(axis, xs[0].shape.length);
  const shape = [...xs[0].shape];
  shape[ax] = xs.reduce((p, x) => p + x.shape[ax], 0);
  return build(shape, (idx) => {
    let pos = idx[ax];
    for (const x of xs) {
      if (pos < x.shape[ax])
        return get(
          x,
          idx.map((v, d) => (d === ax ? pos : v)),
        );
      pos -= x.shape[ax];
    }
    throw new Error('unreachable');
  });
}

function sliceRef(x: Nd, axis: number, start: number, end?: number): Nd {
  const ax = norm(axis, x.shape.length);
  const len = x.shape[ax];
  const s = start < 0 ? start + len : start;
  const e = end === undefined ? len : end < 0 ? end + len : end;
  const shape = [...x.shape];
  shape[ax] = e - s;
  return build(shape, (idx) =>
    get(
      x,
      idx.map((v, d) => (d === ax ? v + s : v)),
    ),
  );
}

type A = {
  shape?: number[];
  axis?: number;
  end?: number;
  start?: number;
  perm?: number[];
  sizes?: number | number[];
};

runOpInfos([
  defineOp<A>({
    name: 'slice',
    op: ([x], a) => ops.slice(x, a.axis!, a.start!, a.end),
    ref: ([x], a) => sliceRef(x, a.axis!, a.start!, a.end),
    samples: [
      { name: 'first axis (view)', inputs: [F([5, 3])], args: { axis: 0, start: 1, end: 4 } },
      { name: 'inner axis (copy)', inputs: [F([2, 5, 3])], args: { axis: 1, start: 2, end: 5 } },
      { name: 'last axis', inputs: [F([2, 3, 6])], args: { axis: -1, start: 1, end: 3 } },
      { name: 'negative bounds', inputs: [F([4, 6])], args: { axis: 1, start: -4, end: -1 } },
      { name: 'open end', inputs: [F([4, 6])], args: { axis: 1, start: 2 } },
      { name: 'empty range', inputs: [F([4, 6])], args: { axis: 0, start: 2, end: 2 } },
      {
        name: 'after leading 1 (view)',
        inputs: [F([1, 5, 2])],
        args: { axis: 1, start: 1, end: 3 },
      },
    ],
    errors: [
      {
        name: 'end past the dim',
        fn: () => ops.slice(ops.zeros([2, 3]), 1, 0, 4),
        error: IndexError,
        message: /slice: range \[0, 4\) is out of bounds for dim 1 of size 3 in \[2,3\]/,
      },
      {
        name: 'start after end',
        fn: () => ops.slice(ops.zeros([2, 3]), 0, 2, 1),
        error: IndexError,
        message: /slice: range \[2, 1\) is out of bounds for dim 0 of size 2/,
      },
      {
        name: '0-d',
        fn: () => ops.slice(ops.zeros([]), 0, 0, 1),
        error: ShapeError,
        message: /slice: cannot slice a 0-d tensor/,
      },
    ],
  }),
  defineOp<A>({
    name: 'concat',
    op: (xs, a) => ops.concat(xs, a.axis),
    ref: (xs, a) => concatRef(xs, a.axis ?? 0),
    samples: [
      { name: 'axis 0', inputs: [F([2, 3]), F([1, 3])], args: {} },
      { name: 'axis 1, three', inputs: [F([2, 1]), F([2, 3]), F([2, 2])], args: { axis: 1 } },
      { name: 'axis -1 of 3-D', inputs: [F([2, 2, 1]), F([2, 2, 3])], args: { axis: -1 } },
      { name: 'middle axis', inputs: [F([2, 1, 2]), F([2, 3, 2])], args: { axis: 1 } },
      { name: 'with an empty piece', inputs: [F([2, 0]), F([2, 3])], args: { axis: 1 } },
      { name: 'single', inputs: [F([3, 2])], args: { axis: 0 } },
    ],
    errors: [
      {
        name: 'shape mismatch',
        fn: () => ops.concat([ops.zeros([2, 3]), ops.zeros([2, 4])], 0),
        error: ShapeError,
        message: /concat: tensor 1 has shape \[2,4\].*incompatible with \[2,3\].*axis 0/,
      },
      {
        name: 'dtype mismatch',
        fn: () => ops.concat([ops.zeros([2]), ops.zeros([2], { dtype: 'float64' })]),
        error: DTypeError,
        message: /concat: tensor 1 is float64, expected float32/,
      },
      {
        name: 'empty list',
        fn: () => ops.concat([]),
        error: ShapeError,
        message: /concat: need at least one tensor/,
      },
      {
        name: '0-d tensors',
        fn: () => ops.concat([ops.zeros([]), ops.zeros([])]),
        error: ShapeError,
        message: /concat: cannot concatenate 0-d tensors/,
      },
    ],
  }),
  defineOp<A>({
    name: 'stack',
    op: (xs, a) => ops.stack(xs, a.axis),
    ref: (xs, a) => {
      const ax = norm(a.axis ?? 0, xs[0].shape.length + 1);
      const shape = [...xs[0].shape];
      shape.splice(ax, 0, xs.length);
      return build(shape, (idx) =>
        get(
          xs[idx[ax]],
          idx.filter((_, d) => d !== ax),
        ),
      );
    },
    samples: [
      { name: 'axis 0', inputs: [F([2, 3]), F([2, 3])], args: {} },
      { name: 'axis -1, three', inputs: [F([2, 3]), F([2, 3]), F([2, 3])], args: { axis: -1 } },
      { name: 'middle', inputs: [F([2, 3]), F([2, 3])], args: { axis: 1 } },
      { name: '0-d inputs', inputs: [F([]), F([]), F([])], args: {} },
    ],
    errors: [
      {
        name: 'shape mismatch',
        fn: () => ops.stack([ops.zeros([2, 3]), ops.zeros([3, 2])]),
        error: ShapeError,
        message: /stack: tensor 1 has shape \[3,2\], expected \[2,3\]/,
      },
    ],
  }),
  defineOp<A>({
    name: 'split',
    op: ([x], a) => ops.split(x, a.sizes!, a.axis),
    ref: ([x], a) => {
      const ax = norm(a.axis ?? 0, x.shape.length);
      const len = x.shape[ax];
      const parts: number[] = [];
      if (typeof a.sizes === 'number' && len === 0) parts.push(0);
      else if (typeof a.sizes === 'number')
        for (let s = 0; s < len; s += a.sizes) parts.push(Math.min(a.sizes, len - s));
      else parts.push(...a.sizes!);
      let start = 0;
      return parts.map((p) => {
        const r = sliceRef(x, ax, start, start + p);
        start += p;
        return r;
      });
    },
    samples: [
      { name: 'equal chunks', inputs: [F([6, 2])], args: { sizes: 2 } },
      { name: 'uneven chunks', inputs: [F([2, 7])], args: { sizes: 3, axis: 1 } },
      { name: 'sizes list', inputs: [F([2, 6])], args: { sizes: [1, 0, 5], axis: -1 } },
      { name: 'one chunk', inputs: [F([3, 2])], args: { sizes: 5 } },
      { name: 'empty dim: one empty chunk', inputs: [F([0, 2])], args: { sizes: 2 } },
    ],
    errors: [
      {
        name: 'sizes do not add up',
        fn: () => ops.split(ops.zeros([2, 6]), [2, 3], 1),
        error: ShapeError,
        message: /split: sizes \[2,3\] do not add up to dim 1 of size 6/,
      },
      {
        name: 'negative size',
        fn: () => ops.split(ops.zeros([4]), [5, -1]),
        error: ShapeError,
        message: /split: sizes \[5,-1\] must be non-negative integers/,
      },
      {
        name: 'chunk size 0',
        fn: () => ops.split(ops.zeros([4]), 0),
        error: ShapeError,
        message: /split: chunk size must be a positive integer, got 0/,
      },
    ],
  }),
]);

describe('shape ops: views and copies', () => {
  it('slice along the first axis is a view; an inner axis copies', () => {
    const x = ops.arange(12).reshape([4, 3]);
    const view = ops.slice(x, 0, 1, 3);
    expect(view.data.buffer).toBe(x.data.buffer);
    x.data[3] = 100;
    expect(view.data[0]).toBe(100);
    const copy = ops.slice(x, 1, 0, 2);
    expect(copy.data.buffer).not.toBe(x.data.buffer);
  });

  it('reshape shares the buffer', () => {
    const x = ops.arange(6);
    expect(ops.reshape(x, [2, 3]).data).toBe(x.data);
  });

  it('stack of tensors that differ in dtype is a DTypeError', () => {
    const f64 = tensor(new Float64Array([1, 2]), [2]);
    expect(() => ops.stack([ops.zeros([2]), f64])).toThrow(DTypeError);
  });
});
