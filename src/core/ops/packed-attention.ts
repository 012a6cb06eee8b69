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
 * scaledDotProductAttention and merging the heads back compute, as one graph node. Its GEMMs
 * read each head's queries, keys and values where they lie in qkv and write the merged output
 * and the [B, T, 3 H D] gradient in place, through leading dimensions (GemmArgs.lda/ldb/ldc),
 * one batched GEMM per head over the batch: no head is copied into [B, H, T, D] order and back
 * (eight such copies per layer and step before, a quarter of a millisecond each at gpt-step
 * size). No masks beyond causal, no dropout, no cache: callers needing those use
 * scaledDotProductAttention.
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
  const [B, T, W] = qkv.shape;
  const H = heads;
  const D = W / (3 * H);
  const HD = H * D;
  const causal = options.causal ?? false;
  const scale = options.scale ?? 1 / Math.sqrt(D);
  const dtype = qkv.dtype;
  const backend = backendFor(dtype);
  const rows = B * H * T;
  const packed = qkv.data as FloatArray;
  const probs = outputTensor([B, H, T, T], dtype);
  const pd = probs.data as FloatArray;
  // Operands of head h, batched over b: q, k, v of qkv (rows W apart, batch entries T W apart),
  // the merged output and its gradient (rows HD apart), probabilities [B, H, T, T] (contiguous).
  const q = (h: number): Operand => ({ data: packed, at: h * D, ld: W, stride: T * W });
  const k = (h: number): Operand => ({ data: packed, at: HD + h * D, ld: W, stride: T * W });
  const v = (h: number): Operand => ({ data: packed, at: 2 * HD + h * D, ld: W, stride: T * W });
  const merged = (x: FloatArray, h: number): Operand => ({
    data: x,
    at: h * D,
    ld: HD,
    stride: T * HD,
  });
  const square = (x: FloatArray, h: number): Operand => ({
    data: x,
    at: h * T * T,
    ld: T,
    stride: H * T * T,
  });
  const mm = headGemm(backend, B);

  // The scale rides on the GEMM's alpha (exact when it is a power of two, as 1/sqrt(64) is).
  for (let h = 0; h < H; h++) mm(q(h), k(h), square(pd, h), T, T, D, false, true, scale);
  if (causal) {
    // Query i sees keys 0..i.
    for (let r = 0; r < rows; r++) pd.fill(-Infinity, r * T + (r % T) + 1, (r + 1) * T);
  }
  backend.softmaxRows(pd, pd, rows, T);
  const out = outputTensor([B, T, HD], dtype);
  const od = out.data as FloatArray;
  for (let h = 0; h < H; h++) mm(square(pd, h), v(h), merged(od, h), T, D, T, false, false, 1);

  return record('packedSelfAttention', [qkv], out, (g) => {
    const gd = g.data as FloatArray;
    // dP = dY Vᵀ, then dS = softmax'(dP) in place; the scale folds into dS's two GEMMs.
    const ds = outputTensor([B, H, T, T], g.dtype);
    const dsd = ds.data as FloatArray;
    for (let h = 0; h < H; h++) mm(merged(gd, h), v(h), square(dsd, h), T, T, D, false, true, 1);
    backend.softmaxBackwardRows(pd, dsd, dsd, rows, T);
    const dqkv = outputTensor(qkv.shape, g.dtype);
    const dd = dqkv.data as FloatArray;
    const into = (part: number, h: number): Operand => ({
      data: dd,
      at: part * HD + h * D,
      ld: W,
      stride: T * W,
    });
    for (let h = 0; h < H; h++) {
      mm(square(dsd, h), k(h), into(0, h), T, D, T, false, false, scale); // dQ = dS K
      mm(square(dsd, h), q(h), into(1, h), T, D, T, true, false, scale); // dK = dSᵀ Q
      mm(square(pd, h), merged(gd, h), into(2, h), T, D, T, true, false, 1); // dV = Pᵀ dY
    }
    return [dqkv];
  });
}

/** A batch of matrices inside a larger array: first element, row stride, batch stride. */
interface Operand {
  data: FloatArray;
  at: number;
  ld: number;
  stride: number;
}

/**
 * One head's batched GEMM over `batch` entries, each operand read or written in place; C's
 * stored rows are n wide, A's and B's as op() implies, ld apart.
 */
function headGemm(backend: Backend, batch: number) {
  return (
    a: Operand,
    b: Operand,
    c: Operand,
    m: number,
    n: number,
    k: number,
    transA: boolean,
    transB: boolean,
    alpha: number,
  ): void =>
    backend.gemm(a.data.subarray(a.at), b.data.subarray(b.at), c.data.subarray(c.at), {
      batch,
      m,
      n,
      k,
      transA,
      transB,
      strideA: a.stride,
      strideB: b.stride,
      strideC: c.stride,
      lda: a.ld,
      ldb: b.ld,
      ldc: c.ld,
      alpha,
      beta: 0,
    });
}
