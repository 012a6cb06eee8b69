import { describe, expect, it } from 'vitest';
import * as ops from '../../../src/index.js';
import { DTypeError, Generator, ShapeError, type Tensor } from '../../../src/index.js';
import { build, defineOp, F, get, runOpInfos, type Nd, type Sample } from '../opinfo.js';

type PArgs = { heads: number; causal?: boolean; scale?: number };

/** Attention of query (b, t, head h) over the packed keys/values, one output element at a time. */
function packedRef([qkv]: Nd[], a: PArgs): Nd {
  const [B, T, width] = qkv.shape;
  const H = a.heads;
  const D = width / (3 * H);
  const scale = a.scale ?? 1 / Math.sqrt(D);
  const at = (b: number, t: number, part: number, h: number, e: number) =>
    get(qkv, [b, t, part * H * D + h * D + e]);
  return build([B, T, H * D], ([b, t, c]) => {
    const h = Math.floor(c / D);
    const e = c % D;
    const seen = a.causal ? t + 1 : T;
    const scores: number[] = [];
    for (let j = 0; j < seen; j++) {
      let s = 0;
      for (let d = 0; d < D; d++) s += at(b, t, 0, h, d) * at(b, j, 1, h, d);
      scores.push(s * scale);
    }
    const m = Math.max(...scores);
    const w = scores.map((s) => Math.exp(s - m));
    const z = w.reduce((p, x) => p + x, 0);
    return w.reduce((acc, wj, j) => acc + (wj / z) * at(b, j, 2, h, e), 0);
  });
}

const samples: Sample<PArgs>[] = [
  { name: 'one head [1,3,6]', inputs: [F([1, 3, 6])], args: { heads: 1 } },
  { name: 'causal, 2 heads, batch 2', inputs: [F([2, 4, 12])], args: { heads: 2, causal: true } },
  {
    name: 'causal, 3 heads, custom scale',
    inputs: [F([1, 5, 9])],
    args: { heads: 3, causal: true, scale: 0.7 },
  },
  { name: 'one position', inputs: [F([2, 1, 6])], args: { heads: 2, causal: true } },
];

runOpInfos([
  defineOp<PArgs>({
    name: 'packedSelfAttention',
    op: ([qkv], a) => ops.packedSelfAttention(qkv, a.heads, { causal: a.causal, scale: a.scale }),
    ref: packedRef,
    samples,
    tol: { float32: { atol: 2e-5, rtol: 1e-4 } },
    errors: [
      {
        name: 'rank 2 qkv',
        fn: () => ops.packedSelfAttention(ops.zeros([3, 12]), 2),
        error: ShapeError,
        message:
          /packedSelfAttention: qkv must be \[batch, seq, 3 \* heads \* headDim\] with 2 heads, got \[3,12\]/,
      },
      {
        name: 'width not divisible by 3 heads',
        fn: () => ops.packedSelfAttention(ops.zeros([1, 2, 10]), 2),
        error: ShapeError,
        message: /with 2 heads, got \[1,2,10\]/,
      },
      {
        name: 'zero heads',
        fn: () => ops.packedSelfAttention(ops.zeros([1, 2, 6]), 0),
        error: ShapeError,
        message: /packedSelfAttention: heads must be a positive integer, got 0/,
      },
      {
        name: 'int32 qkv',
        fn: () => ops.packedSelfAttention(ops.zeros([1, 2, 6], { dtype: 'int32' }), 1),
        error: DTypeError,
        message: /packedSelfAttention: argument 'qkv' must be float32 or float64, got int32/,
      },
    ],
  }),
]);

describe('packedSelfAttention against the unfused path', () => {
  // The path GPT-2 took before: slice qkv in three, split heads, attend, merge heads.
  const unfused = (qkv: Tensor, H: number): Tensor => {
    const [B, T, width] = qkv.shape;
    const d = width / 3;
    const heads = (i: number) =>
      ops.permute(
        ops.reshape(ops.slice(qkv, 2, i * d, (i + 1) * d), [B, T, H, d / H]),
        [0, 2, 1, 3],
      );
    const y = ops.scaledDotProductAttention(heads(0), heads(1), heads(2), { causal: true });
    return ops.reshape(ops.permute(y, [0, 2, 1, 3]), [B, T, d]);
  };

  it('gives the same values and input gradient in float32', () => {
    const run = (fused: boolean) => {
      const qkv = ops.randn([2, 7, 24], new Generator(9)).requiresGrad_();
      const y = fused ? ops.packedSelfAttention(qkv, 2, { causal: true }) : unfused(qkv, 2);
      const w = ops.randn(y.shape, new Generator(11));
      ops.sum(ops.mul(y, w)).backward();
      return { y: Array.from(y.data), g: Array.from(qkv.grad!.data) };
    };
    const a = run(true);
    const b = run(false);
    expect(a.y.length).toBe(b.y.length);
    for (let i = 0; i < a.y.length; i++) expect(a.y[i]).toBeCloseTo(b.y[i], 5);
    for (let i = 0; i < a.g.length; i++) expect(a.g[i]).toBeCloseTo(b.g[i], 5);
  });
});
