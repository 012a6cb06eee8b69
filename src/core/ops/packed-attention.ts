import { record } from '../autograd.js';
import { backendFor, type Backend } from '../backend/index.js';
import type { FloatArray } from '../dtype.js';
import { ShapeError } from '../errors.js';
import { formatShape } from '../shape.js';
import type { Tensor } from '../tensor.js';
import { assertFloat, outputTensor } from './util.js';

export interface PackedAttentionOptions {
  /** Each query attends only to keys at or before its own position. */
  causal?: boolean;
  /** Defaults to 1/sqrt(head dim). */
  scale?: number;
}

/**
 * Multi-head self-attention straight from a fused projection: qkv [B, T, 3 H D] holds queries,
 * keys and values side by side (GPT-2's c_attn output), the result is [B, T, H D] with the heads
 * merged. It computes what slicing qkv in three, splitting and permuting each into [B, H, T, D],
 * scaledDotProductAttention and merging the heads back compute, as one graph node: the forward
 * copies qkv into head-major order once instead of slicing and permuting it (six copies), and
 * the backward writes dq, dk, dv into one [B, T, 3 H D] gradient instead of three zero-filled
 * slice gradients that two more passes add up. No masks beyond causal, no dropout, no cache:
 * callers needing those use scaledDotProductAttention.
 */
export function packedSelfAttention(
  qkv: Tensor,
  heads: number,
  options: PackedAttentionOptions = {},
): Tensor {
  assertFloat('packedSelfAttention', qkv, 'qkv');
  if (!Number.isInteger(heads) || heads < 1) {
    throw new ShapeError(`packedSelfAttention: heads must be a positive integer, got ${heads}`);
  }
  if (qkv.rank !== 3 || qkv.shape[2] === 0 || qkv.shape[2] % (3 * heads) !== 0) {
    throw new ShapeError(
      `packedSelfAttention: qkv must be [batch, seq, 3 * heads * headDim] with ${heads} heads, got ${formatShape(qkv.shape)}`,
    );
  }
  const [B, T, width] = qkv.shape;
  const H = heads;
  const D = width / (3 * H);
  const causal = options.causal ?? false;
  const scale = options.scale ?? 1 / Math.sqrt(D);
  const dtype = qkv.dtype;
  const backend = backendFor(dtype);
  const heads4 = [B, H, T, D];
  const rows = B * H * T;
  const layout: HeadLayout = { B, T, H, D };
  const packed = qkv.data as FloatArray;
  const [q, k, v] = [0, 1, 2].map((part) => {
    const t = outputTensor(heads4, dtype);
    copyHeads(packed, 3, part, t.data as FloatArray, layout, false);
    return t;
  });
  const probs = outputTensor([B, H, T, T], dtype);
  const pd = probs.data as FloatArray;
  const mm = batchedGemm(backend, B * H);
  // The scale rides on the GEMM's alpha (exact when it is a power of two, as 1/sqrt(64) is).
  mm(q, k, pd, T, T, D, false, true, scale);
  if (causal) {
    // Query i sees keys 0..i.
    for (let r = 0; r < rows; r++) pd.fill(-Infinity, r * T + (r % T) + 1, (r + 1) * T);
  }
  backend.softmaxRows(pd, pd, rows, T);
  const y = outputTensor(heads4, dtype);
  mm(probs, v, y.data as FloatArray, T, D, T, false, false, 1);
  const out = outputTensor([B, T, H * D], dtype);
  copyHeads(out.data as FloatArray, 1, 0, y.data as FloatArray, layout, true);

  return record('packedSelfAttention', [qkv], out, (g) => {
    const gy = outputTensor(heads4, g.dtype);
    copyHeads(g.data as FloatArray, 1, 0, gy.data as FloatArray, layout, false);
    // dP = dY Vᵀ, then dS = softmax'(dP) in place; the scale folds into dS's two GEMMs.
    const ds = outputTensor([B, H, T, T], g.dtype);
    const dsd = ds.data as FloatArray;
    mm(gy, v, dsd, T, T, D, false, true, 1);
    backend.softmaxBackwardRows(pd, dsd, dsd, rows, T);
    const dqkv = outputTensor(qkv.shape, g.dtype);
    const dd = dqkv.data as FloatArray;
    const dh = outputTensor(heads4, g.dtype);
    const dhd = dh.data as FloatArray;
    mm(ds, k, dhd, T, D, T, false, false, scale); // dQ = dS K
    copyHeads(dd, 3, 0, dhd, layout, true);
    mm(ds, q, dhd, T, D, T, true, false, scale); // dK = dSᵀ Q
    copyHeads(dd, 3, 1, dhd, layout, true);
    mm(probs, gy, dhd, T, D, T, true, false, 1); // dV = Pᵀ dY
    copyHeads(dd, 3, 2, dhd, layout, true);
    return [dqkv];
  });
}

interface HeadLayout {
  B: number;
  T: number;
  H: number;
  D: number;
}

/**
 * Moves part `part` of `parts` side-by-side [B, T, H D] blocks of `packed` to or from `heads`
 * [B, H, T, D] (toPacked: heads -> packed). Each run of D floats is one TypedArray.set: at
 * D = 64 that took half the time of an element loop.
 */
function copyHeads(
  packed: FloatArray,
  parts: number,
  part: number,
  heads: FloatArray,
  { B, T, H, D }: HeadLayout,
  toPacked: boolean,
): void {
  const width = parts * H * D;
  let o = 0;
  for (let b = 0; b < B; b++) {
    for (let h = 0; h < H; h++) {
      let p = b * T * width + (part * H + h) * D;
      for (let t = 0; t < T; t++, p += width, o += D) {
        if (toPacked) packed.set(heads.subarray(o, o + D), p);
        else heads.set(packed.subarray(p, p + D), o);
      }
    }
  }
}

/** A batched GEMM over `batch` contiguous matrices per operand (one per batch entry and head). */
function batchedGemm(backend: Backend, batch: number) {
  return (
    a: Tensor,
    b: Tensor,
    c: FloatArray,
    m: number,
    n: number,
    k: number,
    transA: boolean,
    transB: boolean,
    alpha: number,
  ): void =>
    backend.gemm(a.data as FloatArray, b.data as FloatArray, c, {
      batch,
      m,
      n,
      k,
      transA,
      transB,
      strideA: m * k,
      strideB: k * n,
      strideC: m * n,
      alpha,
      beta: 0,
    });
}
