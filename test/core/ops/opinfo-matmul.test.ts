import { describe, expect, it } from 'vitest';
import * as ops from '../../../src/index.js';
import { DTypeError, ShapeError, tensor } from '../../../src/index.js';
import { bshape, build, defineOp, F, getB, runOpInfos, type Sample } from '../opinfo.js';

type MArgs = { transA?: boolean; transB?: boolean };

/** op(a) @ op(b) on nested loops, broadcasting batch dims; a, b stored as the flags say. */
function matmulRef(a: { shape: number[]; data: number[] }, b: typeof a, o: MArgs) {
  const [ar, ac] = a.shape.slice(-2);
  const [br, bc] = b.shape.slice(-2);
  const m = o.transA ? ac : ar;
  const k = o.transA ? ar : ac;
  const n = o.transB ? br : bc;
  const batch = bshape(a.shape.slice(0, -2), b.shape.slice(0, -2));
  return build([...batch, m, n], (idx) => {
    const bi = idx.slice(0, -2);
    const [i, j] = idx.slice(-2);
    let s = 0;
    for (let p = 0; p < k; p++) {
      const av = getB(a, [...bi, ...(o.transA ? [p, i] : [i, p])]);
      const bv = getB(b, [...bi, ...(o.transB ? [j, p] : [p, j])]);
      s += av * bv;
    }
    return s;
  });
}

/** Stored shapes for logical a [..., m, k] and b [..., k, n] under the flags. */
function stored(batchA: number[], batchB: number[], m: number, k: number, n: number, o: MArgs) {
  return [
    [...batchA, ...(o.transA ? [k, m] : [m, k])],
    [...batchB, ...(o.transB ? [n, k] : [k, n])],
  ];
}

const flags: MArgs[] = [{}, { transA: true }, { transB: true }, { transA: true, transB: true }];

const layouts: [string, number[], number[], number, number, number][] = [
  ['2-D', [], [], 3, 4, 5],
  ['batched', [2], [2], 3, 4, 2],
  ['broadcast batch [2,1]x[3]', [2, 1], [3], 2, 3, 4],
  ['fold [B,T,K]@[K,N]', [2, 3], [], 4, 3, 5],
  ['[1,..] x [B,..]', [1], [3], 2, 4, 3],
  ['[B,..] x [1,..]', [3], [1], 2, 4, 3],
  ['2-D x batched', [], [2], 3, 2, 4],
  ['m=1, n=1', [2], [2], 1, 5, 1],
  ['k=1 outer product', [], [], 4, 1, 3],
  ['empty k=0', [2], [], 3, 0, 2],
  ['empty m=0', [], [], 0, 3, 2],
];

const samples: Sample<MArgs>[] = [];
for (const [name, ba, bb, m, k, n] of layouts) {
  for (const o of flags) {
    const [sa, sb] = stored(ba, bb, m, k, n, o);
    const tag = `${o.transA ? 'Aᵀ' : 'A'}${o.transB ? 'Bᵀ' : 'B'}`;
    samples.push({ name: `${name} ${tag}`, inputs: [F(sa), F(sb)], args: o });
  }
}

runOpInfos([
  defineOp<MArgs>({
    name: 'matmul',
    op: ([a, b], o) => ops.matmul(a, b, o),
    ref: ([a, b], o) => matmulRef(a, b, o),
    samples,
    tol: { float32: { atol: 1e-5, rtol: 1e-4 } },
    errors: [
      {
        name: 'inner dims differ',
        fn: () => ops.matmul(ops.zeros([3, 4]), ops.zeros([5, 6])),
        error: ShapeError,
        message: /matmul: inner dims differ: a \[3,4\] has k=4, b \[5,6\] has k=5/,
      },
      {
        name: 'inner dims differ under transB',
        fn: () => ops.matmul(ops.zeros([3, 4]), ops.zeros([6, 5]), { transB: true }),
        error: ShapeError,
        message: /matmul: .*a \[3,4\] has k=4, b \[6,5\]ᵀ has k=5/,
      },
      {
        name: '1-D operand',
        fn: () => ops.matmul(ops.zeros([4]), ops.zeros([4, 2])),
        error: ShapeError,
        message: /matmul: both operands need at least 2 dims, got a \[4\] and b \[4,2\]/,
      },
      {
        name: 'batch dims that do not broadcast',
        fn: () => ops.matmul(ops.zeros([2, 3, 4]), ops.zeros([3, 4, 5])),
        error: ShapeError,
        message: /matmul: .*\[2,3,4\].*\[3,4,5\]/,
      },
      {
        name: 'dtype mismatch',
        fn: () => ops.matmul(ops.zeros([2, 2]), ops.zeros([2, 2], { dtype: 'float64' })),
        error: DTypeError,
        message: /matmul: dtypes differ \(float32 vs float64\)/,
      },
      {
        name: 'int32 operand',
        fn: () => ops.matmul(ops.zeros([2, 2], { dtype: 'int32' }), ops.zeros([2, 2])),
        error: DTypeError,
        message: /matmul: argument 'a' must be float32 or float64, got int32/,
      },
    ],
  }),
]);

describe('matmul gradients through one operand', () => {
  it('only the operand that requires grad gets one (fold path)', () => {
    const x = tensor(
      new Float64Array(24).map((_, i) => i / 10),
      [2, 3, 4],
    );
    const w = tensor(
      new Float64Array(20).map((_, i) => 1 - i / 7),
      [5, 4],
      { requiresGrad: true },
    );
    ops.sum(ops.matmul(x, w, { transB: true })).backward();
    expect(x.grad).toBeNull();
    expect(w.grad!.shape).toEqual([5, 4]);
    // d sum(x wᵀ)/dw[j][p] = sum over rows of x[., p]
    for (let p = 0; p < 4; p++) {
      let s = 0;
      for (let r = 0; r < 6; r++) s += x.data[r * 4 + p];
      expect(w.grad!.data[p]).toBeCloseTo(s, 12);
    }
  });
});
