import { describe, expect, it } from 'vitest';
import * as ops from '../../../src/index.js';
import { Generator, ShapeError, tensor, ValueError, type Tensor } from '../../../src/index.js';
import {
  build,
  C,
  defineOp,
  F,
  get,
  getB,
  I,
  runOpInfos,
  type Nd,
  type Sample,
} from '../opinfo.js';

type AArgs = { causal?: boolean; pad?: boolean; prefix?: boolean; mask?: boolean; scale?: number };

/** Inputs in order: q, k, v, [prefixKeys, prefixValues], [keyPaddingMask], [attnMask]. */
function unpack<T>(xs: T[], a: AArgs) {
  let i = 3;
  const pk = a.prefix ? xs[i++] : undefined;
  const pv = a.prefix ? xs[i++] : undefined;
  const pad = a.pad ? xs[i++] : undefined;
  const mask = a.mask ? xs[i++] : undefined;
  return { q: xs[0], k: xs[1], v: xs[2], pk, pv, pad, mask };
}

/** softmax(q·k * scale + masks) v, one query at a time; a query that sees no key gets zeros. */
function attentionRef(xs: Nd[], a: AArgs): Nd {
  const { q, k, v, pk, pv, pad, mask } = unpack(xs, a);
  const [B, H, Tq, D] = q.shape;
  const Tk = k.shape[2];
  const P = pk ? pk.shape[2] : 0;
  const Dv = v.shape[3];
  const scale = a.scale ?? 1 / Math.sqrt(D);
  const key = (b: number, h: number, j: number, d: number) =>
    j < P ? get(pk!, [b, h, j, d]) : get(k, [b, h, j - P, d]);
  const value = (b: number, h: number, j: number, e: number) =>
    j < P ? get(pv!, [b, h, j, e]) : get(v, [b, h, j - P, e]);
  return build([B, H, Tq, Dv], ([b, h, i, e]) => {
    const scores: number[] = [];
    for (let j = 0; j < P + Tk; j++) {
      const pos = j - P; // position among the keys passed (prefix keys are always visible)
      const hidden =
        pos >= 0 && ((a.causal && pos > i + (Tk - Tq)) || (pad && get(pad, [b, pos]) === 0));
      let s = 0;
      for (let d = 0; d < D; d++) s += get(q, [b, h, i, d]) * key(b, h, j, d);
      scores.push(hidden ? -Infinity : s * scale + (mask ? getB(mask, [b, h, i, j]) : 0));
    }
    const m = Math.max(...scores);
    if (m === -Infinity) return 0;
    const w = scores.map((s) => Math.exp(s - m));
    const z = w.reduce((p, x) => p + x, 0);
    return w.reduce((acc, wj, j) => acc + (wj / z) * value(b, h, j, e), 0);
  });
}

const qkv = (B: number, H: number, Tq: number, Tk: number, D: number, Dv = D) => [
  F([B, H, Tq, D]),
  F([B, H, Tk, D]),
  F([B, H, Tk, Dv]),
];

const samples: Sample<AArgs>[] = [
  { name: 'basic [1,1,3,4]', inputs: qkv(1, 1, 3, 3, 4), args: {} },
  { name: 'batch, heads, Dv != D, Tq != Tk', inputs: qkv(2, 2, 3, 5, 4, 3), args: {} },
  { name: 'causal Tq = Tk', inputs: qkv(1, 2, 4, 4, 3), args: { causal: true } },
  {
    name: 'causal Tq < Tk (offset: queries are the last positions)',
    inputs: qkv(1, 1, 2, 5, 3),
    args: { causal: true },
  },
  {
    name: 'causal Tq > Tk (early queries see nothing)',
    inputs: qkv(1, 1, 4, 2, 2),
    args: { causal: true },
  },
  {
    name: 'keyPaddingMask',
    inputs: [...qkv(2, 1, 3, 4, 2), I([2, 4], [1, 1, 0, 1, 1, 0, 0, 0])],
    args: { pad: true },
  },
  {
    name: 'keyPaddingMask hides every key of a batch',
    inputs: [...qkv(2, 1, 2, 3, 2), I([2, 3], [0, 0, 0, 1, 1, 1])],
    args: { pad: true },
  },
  {
    name: 'prefix keys/values',
    inputs: [...qkv(1, 2, 3, 3, 2), F([1, 2, 2, 2]), F([1, 2, 2, 2])],
    args: { prefix: true },
  },
  {
    name: 'prefix + causal + padding',
    inputs: [
      ...qkv(2, 1, 3, 3, 2),
      F([2, 1, 1, 2]),
      F([2, 1, 1, 2]),
      I([2, 3], [1, 0, 1, 0, 0, 0]),
    ],
    args: { prefix: true, causal: true, pad: true },
  },
  { name: 'custom scale', inputs: qkv(1, 1, 2, 3, 4), args: { scale: 0.5 } },
  {
    name: 'additive attnMask',
    inputs: [...qkv(1, 2, 2, 3, 2), C([1, 1, 2, 3])],
    args: { mask: true },
  },
  {
    name: 'attnMask over prefix + keys, causal',
    inputs: [...qkv(1, 1, 2, 2, 2), F([1, 1, 1, 2]), F([1, 1, 1, 2]), C([2, 3])],
    args: { prefix: true, mask: true, causal: true },
  },
];

runOpInfos([
  defineOp<AArgs>({
    name: 'scaledDotProductAttention',
    op: (xs, a) => {
      const { q, k, v, pk, pv, pad, mask } = unpack<Tensor>(xs, a);
      return ops.scaledDotProductAttention(q, k, v, {
        causal: a.causal,
        keyPaddingMask: pad,
        attnMask: mask,
        prefixKeys: pk,
        prefixValues: pv,
        scale: a.scale,
      });
    },
    ref: attentionRef,
    samples,
    tol: { float32: { atol: 2e-5, rtol: 1e-4 } },
    errors: [
      {
        name: 'rank 3 q',
        fn: () =>
          ops.scaledDotProductAttention(
            ops.zeros([2, 3, 4]),
            ops.zeros([2, 3, 4]),
            ops.zeros([2, 3, 4]),
          ),
        error: ShapeError,
        message:
          /scaledDotProductAttention: q, k, v must be \[batch, heads, seq, dim\], got \[2,3,4\]/,
      },
      {
        name: 'k head dim differs',
        fn: () =>
          ops.scaledDotProductAttention(
            ops.zeros([1, 1, 2, 4]),
            ops.zeros([1, 1, 2, 3]),
            ops.zeros([1, 1, 2, 3]),
          ),
        error: ShapeError,
        message:
          /scaledDotProductAttention: incompatible q \[1,1,2,4\], k \[1,1,2,3\], v \[1,1,2,3\]/,
      },
      {
        name: 'keyPaddingMask of the wrong shape',
        fn: () =>
          ops.scaledDotProductAttention(
            ops.zeros([1, 1, 2, 2]),
            ops.zeros([1, 1, 2, 2]),
            ops.zeros([1, 1, 2, 2]),
            {
              keyPaddingMask: ops.ones([1, 3]),
            },
          ),
        error: ShapeError,
        message: /scaledDotProductAttention: keyPaddingMask must be \[1, 2\], got \[1,3\]/,
      },
      {
        name: 'prefixKeys without prefixValues',
        fn: () =>
          ops.scaledDotProductAttention(
            ops.zeros([1, 1, 2, 2]),
            ops.zeros([1, 1, 2, 2]),
            ops.zeros([1, 1, 2, 2]),
            {
              prefixKeys: ops.zeros([1, 1, 1, 2]),
            },
          ),
        error: ShapeError,
        message:
          /scaledDotProductAttention: prefixKeys \[1,1,1,2\] and prefixValues missing must both be/,
      },
      {
        name: 'prefixValues with the wrong value dim',
        fn: () =>
          ops.scaledDotProductAttention(
            ops.zeros([1, 1, 2, 2]),
            ops.zeros([1, 1, 2, 2]),
            ops.zeros([1, 1, 2, 3]),
            {
              prefixKeys: ops.zeros([1, 1, 1, 2]),
              prefixValues: ops.zeros([1, 1, 1, 2]),
            },
          ),
        error: ShapeError,
        message: /scaledDotProductAttention: prefixValues \[1,1,1,2\] must be \[1, 1, 1, 3\]/,
      },
      {
        name: 'dropout without an rng',
        fn: () =>
          ops.scaledDotProductAttention(
            ops.zeros([1, 1, 2, 2]),
            ops.zeros([1, 1, 2, 2]),
            ops.zeros([1, 1, 2, 2]),
            {
              dropoutP: 0.1,
            },
          ),
        error: ValueError,
        message: /scaledDotProductAttention: dropoutP 0.1 needs an rng/,
      },
    ],
  }),
]);

describe('scaledDotProductAttention dropout', () => {
  const rng = new Generator(3);
  const [q, k, v] = [
    ops.randn([1, 2, 3, 4], rng),
    ops.randn([1, 2, 3, 4], rng),
    ops.randn([1, 2, 3, 4], rng),
  ];
  it('is seeded and off outside training', () => {
    const run = (seed: number, training = true) =>
      Array.from(
        ops.scaledDotProductAttention(q, k, v, {
          dropoutP: 0.5,
          rng: new Generator(seed),
          training,
        }).data,
      );
    expect(run(1)).toEqual(run(1));
    expect(run(1)).not.toEqual(run(2));
    expect(run(1, false)).toEqual(Array.from(ops.scaledDotProductAttention(q, k, v).data));
  });

  it('keyPaddingMask accepts int32 and float masks alike', () => {
    const a = ops.scaledDotProductAttention(q, k, v, {
      keyPaddingMask: tensor([1, 0, 1], [1, 3], { dtype: 'int32' }),
    });
    const b = ops.scaledDotProductAttention(q, k, v, { keyPaddingMask: tensor([1, 0, 1], [1, 3]) });
    expect(Array.from(a.data)).toEqual(Array.from(b.data));
  });
});
