import { describe, expect, it } from 'vitest';
import * as ops from '../../../src/index.js';
import { DTypeError, IndexError, ShapeError, tensor } from '../../../src/index.js';
import { build, defineOp, F, get, I, indices, runOpInfos } from '../opinfo.js';

const norm = (axis: number, rank: number) => (axis < 0 ? axis + rank : axis);
const ints = (shape: number[], values: number[]) => tensor(values, shape, { dtype: 'int32' });

type Ax = { axis: number };

runOpInfos([
  defineOp<Ax>({
    name: 'indexSelect',
    op: ([x, i], a) => ops.indexSelect(x, a.axis, i),
    ref: ([x, i], a) => {
      const ax = norm(a.axis, x.shape.length);
      const shape = [...x.shape];
      shape[ax] = i.data.length;
      return build(shape, (idx) =>
        get(
          x,
          idx.map((v, d) => (d === ax ? i.data[v] : v)),
        ),
      );
    },
    samples: [
      { name: 'axis 0', inputs: [F([4, 3]), I([3], [3, 0, 2])], args: { axis: 0 } },
      {
        name: 'axis 1, repeats',
        inputs: [F([2, 4, 2]), I([5], [1, 1, 3, 0, 1])],
        args: { axis: 1 },
      },
      { name: 'axis -1', inputs: [F([2, 3]), I([2], [2, 0])], args: { axis: -1 } },
      { name: 'empty index', inputs: [F([3, 2]), I([0], [])], args: { axis: 0 } },
    ],
    errors: [
      {
        name: 'index out of range',
        fn: () => ops.indexSelect(ops.zeros([3, 2]), 0, ints([2], [1, 3])),
        error: IndexError,
        message: /indexSelect: index 3 at position 1 is out of range for a dim of size 3/,
      },
      {
        name: 'negative index',
        fn: () => ops.indexSelect(ops.zeros([3, 2]), 1, ints([1], [-1])),
        error: IndexError,
        message: /indexSelect: index -1 at position 0 is out of range for a dim of size 2/,
      },
      {
        name: 'float index',
        fn: () => ops.indexSelect(ops.zeros([3, 2]), 0, ops.zeros([2])),
        error: DTypeError,
        message: /indexSelect: argument 'index' must be int32, got float32/,
      },
      {
        name: '2-D index',
        fn: () => ops.indexSelect(ops.zeros([3, 2]), 0, ints([1, 1], [0])),
        error: ShapeError,
        message: /indexSelect: index must be 1-D, got \[1,1\]/,
      },
    ],
  }),
  defineOp<unknown>({
    name: 'embedding',
    op: ([w, ids]) => ops.embedding(w, ids),
    ref: ([w, ids]) =>
      build([...ids.shape, w.shape[1]], (idx) =>
        get(w, [get(ids, idx.slice(0, -1)), idx[idx.length - 1]]),
      ),
    samples: [
      {
        name: '2-D ids with repeats',
        inputs: [F([5, 3]), I([2, 3], [0, 4, 4, 1, 0, 2])],
        args: {},
      },
      { name: '1-D ids', inputs: [F([4, 2]), I([3], [3, 2, 3])], args: {} },
      { name: '0-d id', inputs: [F([4, 2]), I([], [1])], args: {} },
      { name: 'empty ids', inputs: [F([4, 2]), I([2, 0], [])], args: {} },
    ],
    errors: [
      {
        name: 'id out of range',
        fn: () => ops.embedding(ops.zeros([4, 2]), ints([2, 2], [0, 1, 4, 2])),
        error: IndexError,
        message: /embedding: id 4 at position 2 is out of range for a vocabulary of 4/,
      },
      {
        name: 'float ids',
        fn: () => ops.embedding(ops.zeros([4, 2]), ops.zeros([2])),
        error: DTypeError,
        message: /embedding: argument 'ids' must be int32, got float32/,
      },
      {
        name: '1-D weight',
        fn: () => ops.embedding(ops.zeros([4]), ints([1], [0])),
        error: ShapeError,
        message: /embedding: weight must be 2-D \[vocab, dim\], got \[4\]/,
      },
    ],
  }),
  defineOp<Ax>({
    name: 'gather',
    op: ([x, i], a) => ops.gather(x, a.axis, i),
    ref: ([x, i], a) => {
      const ax = norm(a.axis, x.shape.length);
      return build(i.shape, (idx) =>
        get(
          x,
          idx.map((v, d) => (d === ax ? get(i, idx) : v)),
        ),
      );
    },
    samples: [
      { name: 'axis 1', inputs: [F([3, 4]), I([3, 2], [0, 3, 1, 1, 2, 0])], args: { axis: 1 } },
      { name: 'axis 0', inputs: [F([3, 2]), I([2, 2], [2, 0, 1, 2])], args: { axis: 0 } },
      {
        name: 'axis -1, index smaller',
        inputs: [F([3, 4, 5]), I([2, 3, 2], { range: [0, 4] })],
        args: { axis: -1 },
      },
      {
        name: 'index longer than axis',
        inputs: [F([2, 3]), I([2, 5], { range: [0, 2] })],
        args: { axis: 1 },
      },
    ],
    errors: [
      {
        name: 'index out of range',
        fn: () => ops.gather(ops.zeros([2, 3]), 1, ints([2, 1], [0, 3])),
        error: IndexError,
        message: /gather: index 3 at position 1 is out of range for a dim of size 3/,
      },
      {
        name: 'index rank differs',
        fn: () => ops.gather(ops.zeros([2, 3]), 1, ints([2], [0, 1])),
        error: ShapeError,
        message: /gather: index shape \[2\] does not fit input \[2,3\] along axis 1/,
      },
      {
        name: 'index too large in another dim',
        fn: () => ops.gather(ops.zeros([2, 3]), 1, ints([3, 1], [0, 0, 0])),
        error: ShapeError,
        message: /gather: index shape \[3,1\] does not fit input \[2,3\]/,
      },
    ],
  }),
  defineOp<Ax>({
    name: 'scatterAdd',
    op: ([x, i, src], a) => ops.scatterAdd(x, a.axis, i, src),
    ref: ([x, i, src], a) => {
      const ax = norm(a.axis, x.shape.length);
      const out = { shape: [...x.shape], data: [...x.data] };
      for (const idx of indices(i.shape)) {
        const dst = idx.map((v, d) => (d === ax ? get(i, idx) : v));
        let off = 0;
        for (let d = 0; d < dst.length; d++) off = off * x.shape[d] + dst[d];
        out.data[off] += get(src, idx);
      }
      return out;
    },
    samples: [
      {
        name: 'axis 0, duplicates add',
        inputs: [F([3, 2]), I([4, 2], [0, 2, 0, 1, 2, 2, 0, 0]), F([4, 2])],
        args: { axis: 0 },
      },
      {
        name: 'axis 1, src larger than index',
        inputs: [F([2, 4]), I([2, 2], [3, 3, 0, 1]), F([2, 3])],
        args: { axis: 1 },
      },
      {
        name: 'axis -1 of 3-D',
        inputs: [F([2, 2, 3]), I([2, 1, 2], { range: [0, 2] }), F([2, 2, 2])],
        args: { axis: -1 },
      },
    ],
    errors: [
      {
        name: 'index out of range',
        fn: () => ops.scatterAdd(ops.zeros([2, 2]), 0, ints([1, 1], [2]), ops.zeros([1, 1])),
        error: IndexError,
        message: /scatterAdd: index 2 at position 0 is out of range for a dim of size 2/,
      },
      {
        name: 'index larger than src',
        fn: () =>
          ops.scatterAdd(ops.zeros([3, 3]), 0, ints([2, 2], [0, 0, 0, 0]), ops.zeros([1, 2])),
        error: ShapeError,
        message: /scatterAdd: index \[2,2\] must fit src \[1,2\] and input \[3,3\]/,
      },
      {
        name: 'src dtype differs',
        fn: () =>
          ops.scatterAdd(ops.zeros([2]), 0, ints([1], [0]), tensor(new Float64Array([1]), [1])),
        error: DTypeError,
        message: /scatterAdd: dtypes differ \(float32 vs float64\)/,
      },
    ],
  }),
  defineOp<{ n: number }>({
    name: 'oneHot',
    op: ([ids], a) => ops.oneHot(ids, a.n),
    ref: ([ids], a) =>
      build([...ids.shape, a.n], (idx) =>
        get(ids, idx.slice(0, -1)) === idx[idx.length - 1] ? 1 : 0,
      ),
    outDtype: () => 'float32',
    grad: false,
    samples: [
      { name: '1-D', inputs: [I([4], [0, 2, 1, 2])], args: { n: 3 }, dtypes: ['int32'] },
      { name: '2-D', inputs: [I([2, 2], [4, 0, 1, 3])], args: { n: 5 }, dtypes: ['int32'] },
      { name: '0-d', inputs: [I([], [1])], args: { n: 2 }, dtypes: ['int32'] },
      { name: 'empty', inputs: [I([0], [])], args: { n: 2 }, dtypes: ['int32'] },
    ],
    errors: [
      {
        name: 'id out of range',
        fn: () => ops.oneHot(ints([2], [1, 3]), 3),
        error: IndexError,
        message: /oneHot: index 3 at position 1 is out of range for a dim of size 3/,
      },
      {
        name: 'bad class count',
        fn: () => ops.oneHot(ints([1], [0]), 0),
        error: ShapeError,
        message: /oneHot: numClasses must be a positive integer, got 0/,
      },
      {
        name: 'float ids',
        fn: () => ops.oneHot(ops.zeros([1]), 2),
        error: DTypeError,
        message: /oneHot: argument 'ids' must be int32, got float32/,
      },
    ],
  }),
]);

describe('indexing: gradients accumulate over repeated indices', () => {
  it('embedding rows used twice get twice the gradient', () => {
    const w = ops.ones([3, 2], { requiresGrad: true });
    ops.sum(ops.embedding(w, ints([3], [1, 1, 2]))).backward();
    expect(Array.from(w.grad!.data)).toEqual([0, 0, 2, 2, 1, 1]);
  });
});
