import * as ops from '../../../src/index.js';
import { IndexError, ShapeError } from '../../../src/index.js';
import { build, defineOp, F, get, getB, numel, runOpInfos, type Nd } from '../opinfo.js';

const norm = (axis: number, rank: number) => (axis < 0 ? axis + rank : axis);
const withShape = (x: Nd, shape: number[]): Nd => ({ shape, data: [...x.data] });

function permuteRef(x: Nd, perm: number[]): Nd {
  const p = perm.map((d) => norm(d, x.shape.length));
  return build(
    p.map((d) => x.shape[d]),
    (idx) => {
      const src = new Array<number>(idx.length);
      p.forEach((d, i) => (src[d] = idx[i]));
      return get(x, src);
    },
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
    name: 'reshape',
    op: ([x], a) => ops.reshape(x, a.shape!),
    ref: ([x], a) => {
      const known = a.shape!.reduce((p, d) => (d === -1 ? p : p * d), 1);
      return withShape(
        x,
        a.shape!.map((d) => (d === -1 ? x.data.length / known : d)),
      );
    },
    samples: [
      { name: '[2,3,4] -> [6,4]', inputs: [F([2, 3, 4])], args: { shape: [6, 4] } },
      { name: '-1 leading', inputs: [F([2, 3, 4])], args: { shape: [-1, 4] } },
      { name: '-1 inner', inputs: [F([2, 3, 4])], args: { shape: [2, -1, 2] } },
      { name: 'to 0-d', inputs: [F([1, 1])], args: { shape: [] } },
      { name: 'from 0-d', inputs: [F([])], args: { shape: [1, 1, 1] } },
      { name: 'empty -1', inputs: [F([0, 3])], args: { shape: [3, -1] } },
    ],
    errors: [
      {
        name: 'size mismatch',
        fn: () => ops.reshape(ops.zeros([2, 3]), [4, 2]),
        error: ShapeError,
        message: /reshape: cannot reshape \[2,3\] \(6 elements\) to \[4,2\]/,
      },
      {
        name: 'two -1',
        fn: () => ops.reshape(ops.zeros([2, 3]), [-1, -1]),
        error: ShapeError,
        message: /reshape: only one dim may be -1, got \[-1,-1\]/,
      },
      {
        name: '-1 that does not divide',
        fn: () => ops.reshape(ops.zeros([2, 3]), [4, -1]),
        error: ShapeError,
        message: /reshape: cannot reshape \[2,3\] \(6 elements\) to \[4,-1\]/,
      },
    ],
  }),
  defineOp<A>({
    name: 'flatten',
    op: ([x], a) => ops.flatten(x, a.start, a.end),
    ref: ([x], a) => {
      if (x.shape.length === 0) return withShape(x, [1]);
      const s = norm(a.start ?? 0, x.shape.length);
      const e = norm(a.end ?? -1, x.shape.length);
      const merged = numel(x.shape.slice(s, e + 1));
      return withShape(x, [...x.shape.slice(0, s), merged, ...x.shape.slice(e + 1)]);
    },
    samples: [
      { name: 'all', inputs: [F([2, 3, 4])], args: {} },
      { name: 'from 1', inputs: [F([2, 3, 4])], args: { start: 1 } },
      { name: '0..1', inputs: [F([2, 3, 4])], args: { start: 0, end: 1 } },
      { name: 'negative -2..-1', inputs: [F([2, 3, 4, 2])], args: { start: -2, end: -1 } },
      { name: 'single dim', inputs: [F([2, 3])], args: { start: 1, end: 1 } },
      { name: '0-d', inputs: [F([])], args: {} },
    ],
    errors: [
      {
        name: 'start after end',
        fn: () => ops.flatten(ops.zeros([2, 3, 4]), 2, 1),
        error: ShapeError,
        message: /flatten: start dim 2 comes after end dim 1 for \[2,3,4\]/,
      },
      {
        name: 'axis out of range',
        fn: () => ops.flatten(ops.zeros([2, 3]), 0, 5),
        error: IndexError,
        message: /flatten: axis 5 is out of range for a tensor of rank 2/,
      },
    ],
  }),
  defineOp<A>({
    name: 'squeeze',
    op: ([x], a) => ops.squeeze(x, a.axis),
    ref: ([x], a) =>
      a.axis === undefined
        ? withShape(
            x,
            x.shape.filter((d) => d !== 1),
          )
        : withShape(
            x,
            x.shape.filter((_, i) => x.shape.length === 0 || i !== norm(a.axis!, x.shape.length)),
          ),
    samples: [
      { name: 'all', inputs: [F([1, 3, 1, 2])], args: {} },
      { name: 'axis 2', inputs: [F([1, 3, 1, 2])], args: { axis: 2 } },
      { name: 'axis -4', inputs: [F([1, 3, 1, 2])], args: { axis: -4 } },
      { name: 'all ones -> 0-d', inputs: [F([1, 1])], args: {} },
      { name: '0-d axis 0', inputs: [F([])], args: { axis: 0 } },
    ],
    errors: [
      {
        name: 'dim not 1',
        fn: () => ops.squeeze(ops.zeros([2, 3]), -1),
        error: ShapeError,
        message: /squeeze: dim -1 of \[2,3\] has size 3, not 1/,
      },
    ],
  }),
  defineOp<A>({
    name: 'unsqueeze',
    op: ([x], a) => ops.unsqueeze(x, a.axis!),
    ref: ([x], a) => {
      const ax = norm(a.axis!, x.shape.length + 1);
      return withShape(x, [...x.shape.slice(0, ax), 1, ...x.shape.slice(ax)]);
    },
    samples: [
      { name: 'axis 0', inputs: [F([2, 3])], args: { axis: 0 } },
      { name: 'axis -1 (end)', inputs: [F([2, 3])], args: { axis: -1 } },
      { name: 'axis 2 (end)', inputs: [F([2, 3])], args: { axis: 2 } },
      { name: '0-d', inputs: [F([])], args: { axis: 0 } },
    ],
    errors: [
      {
        name: 'axis out of range',
        fn: () => ops.unsqueeze(ops.zeros([2, 3]), 3),
        error: IndexError,
        message: /unsqueeze: axis 3 is out of range for a tensor of rank 3/,
      },
    ],
  }),
  defineOp<A>({
    name: 'permute',
    op: ([x], a) => ops.permute(x, a.perm!),
    ref: ([x], a) => permuteRef(x, a.perm!),
    samples: [
      { name: '[2,0,1]', inputs: [F([2, 3, 4])], args: { perm: [2, 0, 1] } },
      { name: 'swap last two (fast path)', inputs: [F([2, 3, 4])], args: { perm: [0, 2, 1] } },
      { name: 'negative dims', inputs: [F([2, 3, 4])], args: { perm: [-1, -3, -2] } },
      { name: '4-D', inputs: [F([2, 1, 3, 2])], args: { perm: [3, 1, 0, 2] } },
      { name: 'identity', inputs: [F([3, 2])], args: { perm: [0, 1] } },
      { name: 'empty', inputs: [F([0, 3])], args: { perm: [1, 0] } },
      { name: '0-d', inputs: [F([])], args: { perm: [] } },
    ],
    errors: [
      {
        name: 'wrong length',
        fn: () => ops.permute(ops.zeros([2, 3]), [0]),
        error: ShapeError,
        message: /permute: got 1 dims \[0\] for a tensor of rank 2/,
      },
      {
        name: 'repeated dim',
        fn: () => ops.permute(ops.zeros([2, 3]), [1, -1]),
        error: ShapeError,
        message: /permute: repeated dim in \[1,-1\]/,
      },
    ],
  }),
  defineOp<A>({
    name: 'transpose',
    op: ([x], a) => ops.transpose(x, a.start, a.end),
    ref: ([x], a) => {
      const r = x.shape.length;
      const perm = Array.from({ length: r }, (_, i) => i);
      const [d0, d1] = [norm(a.start ?? -2, r), norm(a.end ?? -1, r)];
      [perm[d0], perm[d1]] = [d1, d0];
      return permuteRef(x, perm);
    },
    samples: [
      { name: 'default last two', inputs: [F([2, 3, 4])], args: {} },
      { name: '(0, 2)', inputs: [F([2, 3, 4])], args: { start: 0, end: 2 } },
      { name: '(-1, 0)', inputs: [F([2, 3])], args: { start: -1, end: 0 } },
      { name: 'same dim', inputs: [F([2, 3])], args: { start: 1, end: 1 } },
    ],
    errors: [
      {
        name: 'axis out of range',
        fn: () => ops.transpose(ops.zeros([2, 3]), 0, 2),
        error: IndexError,
        message: /transpose: axis 2 is out of range for a tensor of rank 2/,
      },
    ],
  }),
  defineOp<A>({
    name: 'expand',
    op: ([x], a) => ops.expand(x, a.shape!),
    ref: ([x], a) => {
      const lead = a.shape!.length - x.shape.length;
      const shape = a.shape!.map((d, i) => (d === -1 ? x.shape[i - lead] : d));
      return build(shape, (idx) => getB(x, idx));
    },
    samples: [
      { name: 'size-1 dims', inputs: [F([3, 1])], args: { shape: [3, 4] } },
      { name: 'new leading dims', inputs: [F([1, 3])], args: { shape: [2, 2, 3] } },
      { name: '-1 keeps a dim', inputs: [F([2, 1])], args: { shape: [-1, 3] } },
      { name: 'from 0-d', inputs: [F([])], args: { shape: [2, 3] } },
      { name: 'same shape', inputs: [F([2, 3])], args: { shape: [2, 3] } },
      { name: 'to an empty dim', inputs: [F([1, 3])], args: { shape: [0, 3] } },
    ],
    errors: [
      {
        name: 'non-1 dim changes',
        fn: () => ops.expand(ops.zeros([2, 3]), [4, 3]),
        error: ShapeError,
        message: /expand: cannot expand \[2,3\] to \[4,3\]/,
      },
      {
        name: 'fewer dims',
        fn: () => ops.expand(ops.zeros([2, 3]), [3]),
        error: ShapeError,
        message: /expand: cannot expand \[2,3\] to \[3\]/,
      },
      {
        name: '-1 in a new dim',
        fn: () => ops.expand(ops.zeros([3]), [-1, 3]),
        error: ShapeError,
        message: /expand: cannot expand \[3\] to \[-1,3\]/,
      },
    ],
  }),
]);
